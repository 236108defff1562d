#pragma once
// Listening sockets. Each worker opens its own for every address with
// SO_REUSEPORT, so the kernel spreads new connections over the workers and no
// accept is ever handed between threads.

#include <sys/socket.h>

#include <string>
#include <string_view>

namespace ringway::io {

// The backlog ringway asks for; the kernel caps it at net.core.somaxconn, which
// the preflight checks.
inline constexpr int listen_backlog = 4096;

struct ListenResult {
  int fd = -1;
  std::string error;  // empty on success: "listen 0.0.0.0:80: bind: Address already in use"
};

// Opens, binds and listens on address (text names it in errors). IPv6 sockets
// are IPV6_V6ONLY so that "[::]:80" and "0.0.0.0:80" can both be listed.
// Options set on the returned socket before the first accept (TCP tuning) are
// inherited by accepted sockets.
ListenResult open_listener(const sockaddr_storage& address, socklen_t address_length,
                           std::string_view text, int backlog);

}  // namespace ringway::io
