#include "ringway/app/listeners.h"

#include "ringway/preflight/socket_tuning.h"

namespace ringway::app {

io::ListenResult open_tuned_listener(const config::ListenAddress& address, int backlog,
                                     const config::Tcp& tcp) {
  io::ListenResult listener =
      io::open_listener(address.address, address.address_length, address.text, backlog);
  if (listener.fd >= 0) preflight::apply_tcp_tuning(listener.fd, tcp);
  return listener;
}

}  // namespace ringway::app
