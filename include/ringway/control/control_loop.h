#pragma once
// The control plane: one thread (main's) with its own ring that takes signals,
// notices certificate files changing and runs periodic jobs. It never touches a
// connection; it rebuilds snapshots and publishes them for the workers.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace ringway::dns {
class Resolver;
}

namespace ringway::control {

struct ControlActions {
  // SIGHUP, or watched directories changed and then stayed quiet for a moment.
  std::function<void(std::string_view reason)> reload;
  // What to watch; asked again after every reload, since files and links move.
  std::function<std::vector<std::string>()> watched_directories;
  // Called every periodic_ms (ticket key rotation); 0 disables it.
  std::function<void()> periodic;
  std::uint64_t periodic_ms = 0;
  // How long changes must stay quiet before a reload, so half-written files are
  // not read; a burst never delays a reload past quiet_ms_max.
  std::uint64_t quiet_ms = 500;
  std::uint64_t quiet_ms_max = 2000;
  // Upstream names to keep resolved: the loop polls the resolver's sockets
  // through its ring and runs its timers. May be null.
  dns::Resolver* resolver = nullptr;
};

// Runs until SIGTERM or SIGINT (blocked beforehand with block_control_signals)
// and returns that signal's number; -1 with a logged reason when the loop cannot run.
int run_control_loop(const ControlActions& actions);

}  // namespace ringway::control
