#include "ringway/dns/address_set.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

namespace ringway::dns {
namespace {

bool same_address(const sockaddr_storage& left, const sockaddr_storage& right) {
  if (left.ss_family != right.ss_family) return false;
  if (left.ss_family == AF_INET) {
    const auto& a = reinterpret_cast<const sockaddr_in&>(left);
    const auto& b = reinterpret_cast<const sockaddr_in&>(right);
    return a.sin_port == b.sin_port && a.sin_addr.s_addr == b.sin_addr.s_addr;
  }
  if (left.ss_family == AF_INET6) {
    const auto& a = reinterpret_cast<const sockaddr_in6&>(left);
    const auto& b = reinterpret_cast<const sockaddr_in6&>(right);
    return a.sin6_port == b.sin6_port && a.sin6_scope_id == b.sin6_scope_id &&
           std::memcmp(&a.sin6_addr, &b.sin6_addr, sizeof a.sin6_addr) == 0;
  }
  return false;
}

}  // namespace

socklen_t address_length(const sockaddr_storage& address) {
  if (address.ss_family == AF_INET) return sizeof(sockaddr_in);
  if (address.ss_family == AF_INET6) return sizeof(sockaddr_in6);
  return 0;
}

bool contains(const AddressSet& set, const sockaddr_storage& address) {
  return std::any_of(set.addresses.begin(), set.addresses.end(),
                     [&](const sockaddr_storage& entry) { return same_address(entry, address); });
}

bool same_addresses(const AddressSet& left, const AddressSet& right) {
  return std::equal(left.addresses.begin(), left.addresses.end(), right.addresses.begin(),
                    right.addresses.end(), same_address);
}

std::string format_address(const sockaddr_storage& address) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET) {
    const auto& ipv4 = reinterpret_cast<const sockaddr_in&>(address);
    inet_ntop(AF_INET, &ipv4.sin_addr, text, sizeof text);
    return std::string(text) + ":" + std::to_string(ntohs(ipv4.sin_port));
  }
  if (address.ss_family == AF_INET6) {
    const auto& ipv6 = reinterpret_cast<const sockaddr_in6&>(address);
    inet_ntop(AF_INET6, &ipv6.sin6_addr, text, sizeof text);
    return "[" + std::string(text) + "]:" + std::to_string(ntohs(ipv6.sin6_port));
  }
  return "(no address)";
}

std::string format_addresses(const AddressSet& set) {
  std::string text;
  for (const sockaddr_storage& address : set.addresses) {
    if (!text.empty()) text += ", ";
    text += format_address(address);
  }
  return text;
}

std::optional<sockaddr_storage> parse_literal(std::string_view host, std::uint16_t port) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  // inet_pton wants a terminated string; a literal fits in INET6_ADDRSTRLEN.
  char buffer[INET6_ADDRSTRLEN] = {};
  if (host.empty() || host.size() >= sizeof buffer) return std::nullopt;
  std::memcpy(buffer, host.data(), host.size());
  sockaddr_storage address{};
  auto& ipv4 = reinterpret_cast<sockaddr_in&>(address);
  if (inet_pton(AF_INET, buffer, &ipv4.sin_addr) == 1) {
    ipv4.sin_family = AF_INET;
    ipv4.sin_port = htons(port);
    return address;
  }
  auto& ipv6 = reinterpret_cast<sockaddr_in6&>(address);
  if (inet_pton(AF_INET6, buffer, &ipv6.sin6_addr) == 1) {
    ipv6.sin6_family = AF_INET6;
    ipv6.sin6_port = htons(port);
    return address;
  }
  return std::nullopt;
}

}  // namespace ringway::dns
