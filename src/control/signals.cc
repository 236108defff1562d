#include "ringway/control/signals.h"

#include <pthread.h>

namespace ringway::control {

namespace {

sigset_t control_signal_set() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  return signals;
}

}  // namespace

void block_control_signals() {
  sigset_t signals = control_signal_set();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

}  // namespace ringway::control
