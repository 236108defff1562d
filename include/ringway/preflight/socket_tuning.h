#pragma once
// Per-socket TCP tuning: what ringway sets itself so that it behaves the same
// whatever the host's sysctls say (a container does not inherit them).

#include <string>

#include "ringway/config/config.h"

namespace ringway::preflight {

// errno of each setsockopt, 0 when it took effect.
struct TcpTuningResult {
  int keepalive_error = 0;           // SO_KEEPALIVE
  int keepalive_idle_error = 0;      // TCP_KEEPIDLE
  int keepalive_interval_error = 0;  // TCP_KEEPINTVL
  int keepalive_count_error = 0;     // TCP_KEEPCNT
  int congestion_error = 0;          // TCP_CONGESTION; 0 when tcp.congestion is empty

  bool all_ok() const {
    return keepalive_error == 0 && keepalive_idle_error == 0 && keepalive_interval_error == 0 &&
           keepalive_count_error == 0 && congestion_error == 0;
  }
};

// Sets SO_KEEPALIVE, TCP_KEEPIDLE/TCP_KEEPINTVL/TCP_KEEPCNT and, when named,
// TCP_CONGESTION on a TCP socket. Set on a listening socket, Linux copies them to
// every socket it accepts. Makes only setsockopt calls: no allocation, no throw,
// fit for the data plane (upstream sockets).
TcpTuningResult apply_tcp_tuning(int fd, const config::Tcp& tcp) noexcept;

// What a throwaway socket says after apply_tcp_tuning: the errors, and each option
// read back with getsockopt (-1 or empty where it could not be read).
struct TcpTuningProbe {
  int socket_error = 0;  // socket(2) failed: nothing below was tried
  TcpTuningResult set;
  int keepalive = -1;
  int keepalive_idle_s = -1;
  int keepalive_interval_s = -1;
  int keepalive_count = -1;
  std::string congestion;
};

// Opens an unbound TCP socket, tunes it, reads every option back, closes it.
TcpTuningProbe probe_tcp_tuning(const config::Tcp& tcp);

}  // namespace ringway::preflight
