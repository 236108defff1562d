#include "upstream_url.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>

#include "ringway/http/host.h"

namespace ringway::config {

namespace {

bool set_literal(Upstream& upstream) {
  std::string host = upstream.host;
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  sockaddr_in ipv4{};
  sockaddr_in6 ipv6{};
  if (inet_pton(AF_INET, host.c_str(), &ipv4.sin_addr) == 1) {
    ipv4.sin_family = AF_INET;
    ipv4.sin_port = htons(upstream.port);
    std::memcpy(&upstream.address, &ipv4, sizeof ipv4);
    upstream.address_length = sizeof ipv4;
  } else if (inet_pton(AF_INET6, host.c_str(), &ipv6.sin6_addr) == 1) {
    ipv6.sin6_family = AF_INET6;
    ipv6.sin6_port = htons(upstream.port);
    std::memcpy(&upstream.address, &ipv6, sizeof ipv6);
    upstream.address_length = sizeof ipv6;
  } else {
    return false;
  }
  upstream.host = host;
  upstream.literal = true;
  return true;
}

}  // namespace

std::optional<Upstream> parse_upstream_url(std::string_view text, std::string& error) {
  Upstream upstream;
  if (text.starts_with("http://")) {
    text.remove_prefix(7);
  } else if (text.starts_with("https://")) {
    text.remove_prefix(8);
    upstream.tls = true;
  } else {
    error = "must start with http:// or https://";
    return std::nullopt;
  }
  if (text.ends_with('/')) text.remove_suffix(1);
  if (text.find_first_of("/?#@") != std::string_view::npos) {
    error = "must be scheme://host[:port] with no path, query or user";
    return std::nullopt;
  }
  std::optional<std::string_view> host = http::host_without_port(text);
  if (!host) {
    error = "has no valid host";
    return std::nullopt;
  }
  upstream.port = upstream.tls ? 443 : 80;
  std::string_view port_text = text.substr(host->size());
  if (!port_text.empty()) {
    unsigned port = 0;
    auto [end, problem] =
        std::from_chars(port_text.data() + 1, port_text.data() + port_text.size(), port);
    if (problem != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      error = "has a bad port";
      return std::nullopt;
    }
    upstream.port = static_cast<std::uint16_t>(port);
  }
  upstream.host = std::string(*host);
  upstream.authority = std::string(text);
  set_literal(upstream);
  return upstream;
}

}  // namespace ringway::config
