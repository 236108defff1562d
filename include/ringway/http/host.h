#pragma once
// Validation of the Host field for building redirect Locations safely, and the
// authority of an absolute-form request target.

#include <optional>
#include <string_view>

namespace ringway::http {

// Returns the host part of a Host field value (port and its colon removed,
// IPv6 literals keep their brackets) when it is a valid DNS name, IPv4 address
// or bracketed IPv6 literal; nullopt otherwise (empty, bad characters, bad port,
// userinfo, anything that could inject into a Location header).
std::optional<std::string_view> host_without_port(std::string_view host_field);

// The authority of an absolute-form target with the http or https scheme (compared
// without case): "http://a.test:8080/x?y" -> "a.test:8080", "" for "http:///x";
// nothing for any other form ("/x", "*", "a.test:443", "ftp://a.test/").
std::optional<std::string_view> absolute_form_authority(std::string_view target);

}  // namespace ringway::http
