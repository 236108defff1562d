#pragma once
// Validation of the Host field for building redirect Locations safely.

#include <optional>
#include <string_view>

namespace ringway::http {

// Returns the host part of a Host field value (port and its colon removed,
// IPv6 literals keep their brackets) when it is a valid DNS name, IPv4 address
// or bracketed IPv6 literal; nullopt otherwise (empty, bad characters, bad port,
// userinfo, anything that could inject into a Location header).
std::optional<std::string_view> host_without_port(std::string_view host_field);

}  // namespace ringway::http
