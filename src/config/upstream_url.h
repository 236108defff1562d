#pragma once
// Upstream URLs as written in the config: "http://opam_live:80", "https://peer.example".

#include <optional>
#include <string>
#include <string_view>

#include "ringway/config/config.h"

namespace ringway::config {

// Parses scheme://host[:port] with an optional trailing "/" (no other path, no
// userinfo, no query). host is a DNS name, an IPv4 address or a bracketed IPv6
// address; port defaults to 80 or 443. On failure sets error and returns nothing.
std::optional<Upstream> parse_upstream_url(std::string_view text, std::string& error);

}  // namespace ringway::config
