#pragma once
// Listening sockets. Each worker opens its own for every address with
// SO_REUSEPORT, so the kernel spreads new connections over the workers and no
// accept is ever handed between threads.

#include <string>

#include "ringway/config/config.h"

namespace ringway::io {

// The backlog ringway asks for; the kernel caps it at net.core.somaxconn, which
// the preflight checks.
inline constexpr int listen_backlog = 4096;

struct ListenResult {
  int fd = -1;
  std::string error;  // empty on success: "listen 0.0.0.0:80: Address already in use"
};

// Opens, binds and listens. IPv6 sockets are IPV6_V6ONLY so that "[::]:80" and
// "0.0.0.0:80" can both be listed. Options set here are inherited by accepted
// sockets, the TCP tuning of `tcp` among them (keepalive, congestion control);
// tuning that does not take is not an error here: the preflight reports it.
ListenResult open_listener(const config::ListenAddress& address, int backlog,
                           const config::Tcp& tcp);

// "127.0.0.1" or "::1" for a connected socket's peer; empty when unknown.
std::string peer_address_text(int fd);

}  // namespace ringway::io
