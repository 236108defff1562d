#pragma once
// Listen addresses as written in the config file: "192.0.2.1:80" or "[2001:db8::1]:80".

#include <optional>
#include <string>
#include <string_view>

#include "ringway/config/config.h"

namespace ringway::config {

// Parses "host:port" where host is a numeric IPv4 address or a numeric IPv6
// address in brackets (no names, no zone) and port is 1-65535. On failure
// returns nothing and sets `error` to what is wrong.
std::optional<ListenAddress> parse_listen_address(std::string_view text, std::string& error);

// True when both name the same family, address and port, however they were written.
bool same_endpoint(const ListenAddress& left, const ListenAddress& right);

}  // namespace ringway::config
