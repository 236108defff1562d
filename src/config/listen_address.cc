#include "listen_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>

namespace ringway::config {
namespace {

constexpr std::string_view expected_form =
    "expected \"IPv4:port\" or \"[IPv6]:port\" with a numeric address";

std::optional<std::uint16_t> parse_port(std::string_view text, std::string& error) {
  if (text.empty() || text.size() > 5 || text.find_first_not_of("0123456789") != text.npos) {
    error = "port must be a number from 1 to 65535";
    return std::nullopt;
  }
  unsigned port = 0;
  std::from_chars(text.data(), text.data() + text.size(), port);
  if (port == 0 || port > 65535) {
    error = "port must be a number from 1 to 65535";
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(port);
}

// inet_pton wants a terminated string; addresses are short, so a stack buffer does.
bool to_binary(int family, std::string_view host, void* binary) {
  char buffer[INET6_ADDRSTRLEN + 1] = {};
  if (host.empty() || host.size() >= sizeof buffer) return false;
  std::memcpy(buffer, host.data(), host.size());
  return inet_pton(family, buffer, binary) == 1;
}

std::optional<ListenAddress> make_ipv4(std::string_view host, std::uint16_t port,
                                       std::string& error) {
  ListenAddress address;
  auto* ipv4 = reinterpret_cast<sockaddr_in*>(&address.address);
  ipv4->sin_family = AF_INET;
  ipv4->sin_port = htons(port);
  if (!to_binary(AF_INET, host, &ipv4->sin_addr)) {
    error = "\"" + std::string(host) + "\" is not a numeric IPv4 address (IPv6 needs brackets)";
    return std::nullopt;
  }
  address.address_length = sizeof(sockaddr_in);
  return address;
}

std::optional<ListenAddress> make_ipv6(std::string_view host, std::uint16_t port,
                                       std::string& error) {
  ListenAddress address;
  auto* ipv6 = reinterpret_cast<sockaddr_in6*>(&address.address);
  ipv6->sin6_family = AF_INET6;
  ipv6->sin6_port = htons(port);
  if (!to_binary(AF_INET6, host, &ipv6->sin6_addr)) {
    error = "\"" + std::string(host) + "\" is not a numeric IPv6 address";
    return std::nullopt;
  }
  address.address_length = sizeof(sockaddr_in6);
  address.ipv6 = true;
  return address;
}

}  // namespace

std::optional<ListenAddress> parse_listen_address(std::string_view text, std::string& error) {
  std::size_t colon = text.rfind(':');
  // "[::1]" has colons but no port; without this it would be reported as a bad port "1]".
  if (colon == text.npos || text.ends_with(']')) {
    error = expected_form;
    return std::nullopt;
  }
  std::string_view host = text.substr(0, colon);
  std::optional<std::uint16_t> port = parse_port(text.substr(colon + 1), error);
  if (!port) return std::nullopt;

  std::optional<ListenAddress> address;
  if (host.starts_with('[')) {
    if (!host.ends_with(']')) {
      error = expected_form;
      return std::nullopt;
    }
    address = make_ipv6(host.substr(1, host.size() - 2), *port, error);
  } else {
    address = make_ipv4(host, *port, error);
  }
  if (address) address->text = std::string(text);
  return address;
}

bool same_endpoint(const ListenAddress& left, const ListenAddress& right) {
  if (left.ipv6 != right.ipv6) return false;
  if (left.ipv6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&left.address);
    const auto* b = reinterpret_cast<const sockaddr_in6*>(&right.address);
    return a->sin6_port == b->sin6_port &&
           std::memcmp(&a->sin6_addr, &b->sin6_addr, sizeof a->sin6_addr) == 0;
  }
  const auto* a = reinterpret_cast<const sockaddr_in*>(&left.address);
  const auto* b = reinterpret_cast<const sockaddr_in*>(&right.address);
  return a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr;
}

}  // namespace ringway::config
