#pragma once
// The control side of the process: signals are blocked in every thread and
// taken synchronously here, so workers never run a signal handler.

#include <csignal>

namespace ringway::control {

// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread (threads started
// later inherit the mask) and ignores SIGPIPE. Call before starting workers.
void block_control_signals();

}  // namespace ringway::control
