#include "ringway/preflight/socket_tuning.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ringway::preflight {
namespace {

int set_int(int fd, int level, int name, int value) noexcept {
  return setsockopt(fd, level, name, &value, sizeof value) == 0 ? 0 : errno;
}

int get_int(int fd, int level, int name) {
  int value = 0;
  socklen_t length = sizeof value;
  return getsockopt(fd, level, name, &value, &length) == 0 ? value : -1;
}

}  // namespace

TcpTuningResult apply_tcp_tuning(int fd, const config::Tcp& tcp) noexcept {
  TcpTuningResult result;
  result.keepalive_error = set_int(fd, SOL_SOCKET, SO_KEEPALIVE, 1);
  result.keepalive_idle_error =
      set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, static_cast<int>(tcp.keepalive_idle_s));
  result.keepalive_interval_error =
      set_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, static_cast<int>(tcp.keepalive_interval_s));
  result.keepalive_count_error =
      set_int(fd, IPPROTO_TCP, TCP_KEEPCNT, static_cast<int>(tcp.keepalive_count));
  if (!tcp.congestion.empty()) {
    // Fails with ENOENT when the kernel lacks the algorithm, and with EPERM when
    // it is a module that is not loaded and only CAP_NET_ADMIN may load it.
    result.congestion_error = setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, tcp.congestion.data(),
                                         static_cast<socklen_t>(tcp.congestion.size())) == 0
                                  ? 0
                                  : errno;
  }
  return result;
}

TcpTuningProbe probe_tcp_tuning(const config::Tcp& tcp) {
  TcpTuningProbe probe;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) {
    probe.socket_error = errno;
    return probe;
  }
  probe.set = apply_tcp_tuning(fd, tcp);
  probe.keepalive = get_int(fd, SOL_SOCKET, SO_KEEPALIVE);
  probe.keepalive_idle_s = get_int(fd, IPPROTO_TCP, TCP_KEEPIDLE);
  probe.keepalive_interval_s = get_int(fd, IPPROTO_TCP, TCP_KEEPINTVL);
  probe.keepalive_count = get_int(fd, IPPROTO_TCP, TCP_KEEPCNT);
  char name[16] = {};  // TCP_CA_NAME_MAX
  socklen_t length = sizeof name;
  if (getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, &length) == 0) {
    probe.congestion.assign(name, strnlen(name, length));
  }
  close(fd);
  return probe;
}

}  // namespace ringway::preflight
