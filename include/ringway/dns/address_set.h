#pragma once
// The addresses of one upstream name at one moment: an immutable snapshot the
// control thread publishes (base::Published<AddressSet>) and workers read
// without locks. A new lookup makes a new snapshot; nothing in one ever changes.

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ringway::dns {

struct AddressSet {
  // In the order the server answered, IPv4 (A) first, then IPv6 (AAAA); each
  // carries the upstream's port. Never empty in a published set.
  std::vector<sockaddr_storage> addresses;
  std::uint64_t resolved_at_ms = 0;  // monotonic clock, when the answer arrived
  // When the control thread asks again. The set stays in use after this until a
  // newer one replaces it (a failing server never empties it).
  std::uint64_t valid_until_ms = 0;
  // Counts changes of `addresses`: a re-resolution with the same answer keeps the
  // generation, so a pool can skip re-checking its idle connections.
  std::uint64_t generation = 0;
};

// sizeof the sockaddr_in or sockaddr_in6 inside `address`, for connect(2).
socklen_t address_length(const sockaddr_storage& address);

// True when `set` holds `address` (family, address and port; IPv6 scope too).
bool contains(const AddressSet& set, const sockaddr_storage& address);

// True when both hold the same addresses in the same order.
bool same_addresses(const AddressSet& left, const AddressSet& right);

// "192.0.2.1:80" or "[2001:db8::1]:80".
std::string format_address(const sockaddr_storage& address);

// "192.0.2.1:80, [2001:db8::1]:80".
std::string format_addresses(const AddressSet& set);

// A numeric IPv4 or IPv6 literal ("192.0.2.1", "2001:db8::1", "[2001:db8::1]") as
// a socket address with `port`; nothing for a name.
std::optional<sockaddr_storage> parse_literal(std::string_view host, std::uint16_t port);

}  // namespace ringway::dns
