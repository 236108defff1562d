#include "ringway/io/listener.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace ringway::io {

namespace {

ListenResult failure(std::string_view text, const char* step, int fd) {
  ListenResult result;
  result.error = "listen " + std::string(text) + ": " + step + ": " + std::strerror(errno);
  if (errno == EACCES && step[0] == 'b')
    result.error += " (ports below 1024 need root or CAP_NET_BIND_SERVICE)";
  if (fd >= 0) close(fd);
  return result;
}

}  // namespace

ListenResult open_listener(const sockaddr_storage& address, socklen_t address_length,
                           std::string_view text, int backlog) {
  bool ipv6 = address.ss_family == AF_INET6;
  int family = ipv6 ? AF_INET6 : AF_INET;
  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) return failure(text, "socket", fd);
  int on = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0 ||
      setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) < 0) {
    return failure(text, "setsockopt SO_REUSEPORT", fd);
  }
  if (ipv6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) < 0) {
    return failure(text, "setsockopt IPV6_V6ONLY", fd);
  }
  // Responses leave in one send; waiting for an ACK before the next would stall
  // pipelined and keepalive clients that delay their ACKs.
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&address), address_length) < 0) {
    return failure(text, "bind", fd);
  }
  if (listen(fd, backlog) < 0) return failure(text, "listen", fd);
  ListenResult result;
  result.fd = fd;
  return result;
}

}  // namespace ringway::io
