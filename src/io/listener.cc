#include "ringway/io/listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "ringway/preflight/socket_tuning.h"

namespace ringway::io {

namespace {

ListenResult failure(const config::ListenAddress& address, const char* step, int fd) {
  ListenResult result;
  result.error = "listen " + address.text + ": " + step + ": " + std::strerror(errno);
  if (errno == EACCES && step[0] == 'b')
    result.error += " (ports below 1024 need root or CAP_NET_BIND_SERVICE)";
  if (fd >= 0) close(fd);
  return result;
}

}  // namespace

ListenResult open_listener(const config::ListenAddress& address, int backlog,
                           const config::Tcp& tcp) {
  int family = address.ipv6 ? AF_INET6 : AF_INET;
  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) return failure(address, "socket", fd);
  int on = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0 ||
      setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) < 0) {
    return failure(address, "setsockopt SO_REUSEPORT", fd);
  }
  if (address.ipv6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) < 0) {
    return failure(address, "setsockopt IPV6_V6ONLY", fd);
  }
  // Responses leave in one send; waiting for an ACK before the next would stall
  // pipelined and keepalive clients that delay their ACKs.
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  // Linux copies keepalive and congestion control to each accepted socket, so
  // setting them here tunes every connection without a system call per accept.
  preflight::apply_tcp_tuning(fd, tcp);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&address.address), address.address_length) < 0) {
    return failure(address, "bind", fd);
  }
  if (listen(fd, backlog) < 0) return failure(address, "listen", fd);
  ListenResult result;
  result.fd = fd;
  return result;
}

std::string peer_address_text(int fd) {
  sockaddr_storage peer{};
  socklen_t length = sizeof peer;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length) < 0) return {};
  char text[INET6_ADDRSTRLEN] = {};
  if (peer.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&peer)->sin_addr, text, sizeof text);
  } else if (peer.ss_family == AF_INET6) {
    auto* peer6 = reinterpret_cast<sockaddr_in6*>(&peer);
    if (IN6_IS_ADDR_V4MAPPED(&peer6->sin6_addr)) {
      inet_ntop(AF_INET, &peer6->sin6_addr.s6_addr[12], text, sizeof text);
    } else {
      inet_ntop(AF_INET6, &peer6->sin6_addr, text, sizeof text);
    }
  }
  return text;
}

}  // namespace ringway::io
