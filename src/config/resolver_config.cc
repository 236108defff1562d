#include "resolver_config.h"

#include <algorithm>
#include <cstring>

#include "duration.h"
#include "listen_address.h"

namespace ringway::config {
namespace {

bool has_port(std::string_view text) {
  // "[::1]" ends in its bracket; "127.0.0.11" has no colon at all.
  if (text.starts_with('[')) return !text.ends_with(']');
  return text.find(':') != text.npos;
}

bool same_server(const ResolverServer& left, const ResolverServer& right) {
  return left.address_length == right.address_length &&
         std::memcmp(&left.address, &right.address, left.address_length) == 0;
}

void read_servers(TableReader& reader, std::vector<ResolverServer>& servers) {
  const toml::node* node = reader.take("servers");
  if (node == nullptr) return reader.missing("servers");
  const toml::array* array = node->as_array();
  if (array == nullptr) return reader.wrong_type(*node, "servers", "an array of strings");
  if (array->empty()) return reader.error(*node, "servers", "must list at least one server");
  for (std::size_t index = 0; index < array->size(); ++index) {
    const toml::node& element = *array->get(index);
    std::string key = fmt::format("servers[{}]", index);
    const toml::value<std::string>* text = element.as_string();
    if (text == nullptr) {
      reader.wrong_type(element, key, "a string");
      continue;
    }
    std::string error;
    std::optional<ResolverServer> server = parse_resolver_server(text->get(), error);
    if (!server) {
      reader.error(element, key, error);
      continue;
    }
    auto same = std::find_if(servers.begin(), servers.end(), [&](const ResolverServer& earlier) {
      return same_server(earlier, *server);
    });
    if (same != servers.end()) {
      reader.error(element, key, fmt::format("duplicate of \"{}\"", same->text));
      continue;
    }
    servers.push_back(std::move(*server));
  }
}

// valid_min <= valid <= valid_max, each reported at the key that breaks it.
void check_bounds(TableReader& reader, const Resolver& resolver) {
  if (resolver.valid_min_ms > resolver.valid_max_ms) {
    // Only a written key can break the defaults' order; blame the one that is there.
    std::string_view key = reader.has("valid_min") ? "valid_min" : "valid_max";
    return reader.error(*reader.take(key), key,
                        fmt::format("valid_min ({}) must not be above valid_max ({})",
                                    format_duration(resolver.valid_min_ms),
                                    format_duration(resolver.valid_max_ms)));
  }
  if (resolver.valid_ms == 0) return;
  if (resolver.valid_ms < resolver.valid_min_ms || resolver.valid_ms > resolver.valid_max_ms) {
    reader.error(*reader.take("valid"), "valid",
                 fmt::format("must be from valid_min ({}) to valid_max ({})",
                             format_duration(resolver.valid_min_ms),
                             format_duration(resolver.valid_max_ms)));
  }
}

}  // namespace

std::optional<ResolverServer> parse_resolver_server(std::string_view text, std::string& error) {
  if (!text.starts_with('[') && std::count(text.begin(), text.end(), ':') > 1) {
    error = "\"" + std::string(text) + "\" needs brackets, like \"[::1]\" or \"[::1]:53\"";
    return std::nullopt;
  }
  std::string with_port(text);
  if (!has_port(text)) with_port += ":53";
  std::optional<ListenAddress> address = parse_listen_address(with_port, error);
  if (!address) {
    if (error.starts_with("expected")) {
      error = "expected \"IPv4[:port]\" or \"[IPv6][:port]\" with a numeric address";
    }
    return std::nullopt;
  }
  ResolverServer server;
  server.text = std::string(text);
  server.address = address->address;
  server.address_length = address->address_length;
  return server;
}

void read_resolver(TableReader& reader, Config& config) {
  Resolver& resolver = config.resolver;
  read_servers(reader, resolver.servers);
  read_duration(reader, "valid", resolver.valid_ms);
  read_duration(reader, "valid_min", resolver.valid_min_ms);
  read_duration(reader, "valid_max", resolver.valid_max_ms);
  read_duration(reader, "timeout", resolver.timeout_ms);
  check_bounds(reader, resolver);
}

}  // namespace ringway::config
