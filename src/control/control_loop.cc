#include "ringway/control/control_loop.h"

#include <poll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <ctime>
#include <optional>

#include "resolver_polls.h"
#include "ringway/base/clock.h"
#include "ringway/control/directory_watch.h"
#include "ringway/io/uring_ring.h"
#include "ringway/log/error_log.h"

namespace ringway::control {

namespace {

constexpr std::uint32_t signal_source = 0;
constexpr std::uint32_t watch_source = 1;
constexpr std::uint64_t idle_wait_ms = std::uint64_t{60} * 1000;

using base::monotonic_ms;
void prep_poll(io::Ring& ring, int fd, std::uint32_t source) {
  ring.prep_poll({io::OperationKind::wake, source, 0}, fd, POLLIN, false);
}

int open_signal_fd() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  return signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
}

// Reads one pending signal; 0 when none.
int next_signal(int signal_fd) {
  signalfd_siginfo info{};
  if (read(signal_fd, &info, sizeof info) != static_cast<ssize_t>(sizeof info)) return 0;
  return static_cast<int>(info.ssi_signo);
}

}  // namespace

namespace {

// The control loop's clock readings: when the periodic action is due, and the
// certificate changes waiting for quiet.
struct LoopTimes {
  std::uint64_t now_ms = 0;
  std::uint64_t next_periodic_ms = 0;  // 0: no periodic action
  std::uint64_t first_change_ms = 0;   // 0: no change waiting
  std::uint64_t last_change_ms = 0;
};

std::uint64_t wake_at_ms(const ControlActions& actions, const LoopTimes& times) {
  std::uint64_t wake_ms = times.now_ms + idle_wait_ms;
  if (times.next_periodic_ms) wake_ms = std::min(wake_ms, times.next_periodic_ms);
  if (actions.resolver != nullptr) {
    wake_ms = std::min(wake_ms, actions.resolver->next_timer_ms(times.now_ms));
  }
  if (times.first_change_ms) {
    wake_ms = std::min({wake_ms, times.last_change_ms + actions.quiet_ms,
                        times.first_change_ms + actions.quiet_ms_max});
  }
  return wake_ms;
}

// Reads every pending signal: the stopping one's number, else 0 after any reloads.
int handle_signals(const ControlActions& actions, int signal_fd, DirectoryWatch& watch) {
  while (int number = next_signal(signal_fd)) {
    if (number == SIGTERM || number == SIGINT) return number;
    if (actions.reload) actions.reload("SIGHUP");
    if (actions.watched_directories) watch.watch(actions.watched_directories());
  }
  return 0;
}

// Certificate changes come in bursts (certbot writes several files): reload once
// they have been quiet for a while, or at the latest quiet_ms_max after the first.
void reload_when_quiet(const ControlActions& actions, LoopTimes& times, DirectoryWatch& watch) {
  bool quiet =
      times.first_change_ms && (times.now_ms >= times.last_change_ms + actions.quiet_ms ||
                                times.now_ms >= times.first_change_ms + actions.quiet_ms_max);
  if (!quiet) return;
  times.first_change_ms = 0;
  if (actions.reload) actions.reload("certificate files changed");
  if (actions.watched_directories) watch.watch(actions.watched_directories());
}

}  // namespace

int run_control_loop(const ControlActions& actions) {
  io::UringRing ring;
  std::string error = ring.open({64, 0, 0});
  int signal_fd = open_signal_fd();
  if (!error.empty() || signal_fd < 0) {
    log::write_line(log::Level::error, "control loop: %s",
                    error.empty() ? std::strerror(errno) : error.c_str());
    if (signal_fd >= 0) close(signal_fd);
    return -1;
  }
  DirectoryWatch watch;
  if (actions.watched_directories) watch.watch(actions.watched_directories());
  prep_poll(ring, signal_fd, signal_source);
  if (watch.ok()) prep_poll(ring, watch.fd(), watch_source);
  std::optional<ResolverPolls> resolver_polls;
  if (actions.resolver != nullptr) {
    resolver_polls.emplace(ring, *actions.resolver);
    resolver_polls->apply_changes();
  }

  LoopTimes times;
  times.now_ms = monotonic_ms();
  if (actions.periodic_ms) times.next_periodic_ms = times.now_ms + actions.periodic_ms;
  for (;;) {
    std::uint64_t wake_ms = wake_at_ms(actions, times);
    ring.submit_and_wait(1, wake_ms > times.now_ms ? wake_ms - times.now_ms : 0);
    bool signal_ready = false;
    bool watch_ready = false;
    ring.for_each_completion([&](const io::Completion& completion) {
      io::Operation operation = completion.operation;
      if (operation.kind == io::OperationKind::dns_poll && resolver_polls) {
        resolver_polls->on_completion(completion, monotonic_ms());
      } else if (operation.kind == io::OperationKind::wake) {
        signal_ready |= operation.slot == signal_source;
        watch_ready |= operation.slot == watch_source;
      }
    });
    times.now_ms = monotonic_ms();
    if (resolver_polls) {
      if (actions.resolver->next_timer_ms(times.now_ms) <= times.now_ms) {
        actions.resolver->on_timer(times.now_ms);
      }
      resolver_polls->apply_changes();
    }
    if (signal_ready) {
      if (int stop = handle_signals(actions, signal_fd, watch)) {
        close(signal_fd);
        return stop;
      }
      prep_poll(ring, signal_fd, signal_source);
    }
    if (watch_ready) {
      if (watch.drain()) {
        times.last_change_ms = times.now_ms;
        if (!times.first_change_ms) times.first_change_ms = times.now_ms;
      }
      prep_poll(ring, watch.fd(), watch_source);
    }
    reload_when_quiet(actions, times, watch);
    if (times.next_periodic_ms && times.now_ms >= times.next_periodic_ms) {
      if (actions.periodic) actions.periodic();
      times.next_periodic_ms = times.now_ms + actions.periodic_ms;
    }
  }
}

}  // namespace ringway::control
