#pragma once
// Private to src/config/: the [resolver] table.

#include <optional>
#include <string>
#include <string_view>

#include "table_reader.h"

namespace ringway::config {

// Reads [resolver]: servers (required there), valid, valid_min, valid_max, timeout.
void read_resolver(TableReader& reader, Config& config);

// Parses a numeric "IPv4[:port]" or "[IPv6][:port]"; the port defaults to 53. On
// failure returns nothing and sets `error` to what is wrong.
std::optional<ResolverServer> parse_resolver_server(std::string_view text, std::string& error);

}  // namespace ringway::config
