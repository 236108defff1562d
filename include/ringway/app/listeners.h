#pragma once
// A configured listen address opened and tuned: io opens the socket, the
// preflight's TCP tuning is set on it so that accepted sockets inherit it.

#include "ringway/config/config.h"
#include "ringway/io/listener.h"

namespace ringway::app {

// Linux copies keepalive and congestion control from the listener to each
// accepted socket, so this tunes every connection without a call per accept.
// Tuning that does not take is no error here: the preflight reports it.
io::ListenResult open_tuned_listener(const config::ListenAddress& address, int backlog,
                                     const config::Tcp& tcp);

}  // namespace ringway::app
