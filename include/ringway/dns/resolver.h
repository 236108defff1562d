#pragma once
// Resolves upstream names with one c-ares channel whose sockets the owner's event
// loop polls: no blocking call and no thread of its own. Each upstream's
// addresses are published as an immutable AddressSet that workers read without
// locks; failed lookups keep the last good set (see refresh_schedule.h).
//
// Everything here runs on one thread, the control thread; only the
// base::Published<AddressSet> it hands out is read from others.
//
// Driving it from the control loop's ring (src/control/control_loop.cc):
//   1. At startup: resolver.open(config.resolver), then for each upstream
//      `const auto& published = resolver.resolve(host, port, now_ms)` and give
//      workers `base::Published<AddressSet>::Reader(published)`.
//   2. After every call into the resolver, apply resolver.take_poll_changes(): for
//      each change, cancel the fd's armed poll if any (io_uring_prep_poll_remove),
//      then, if it wants readable or writable, arm io_uring_prep_poll_add with
//      POLLIN and/or POLLOUT. Tag user_data with the fd and a per-fd generation
//      bumped on each change: c-ares closes sockets and the kernel reuses the
//      number, so a late completion of an old poll must be dropped.
//   3. On a poll completion for a current generation: on_readable(fd, now_ms) for
//      POLLIN, POLLERR or POLLHUP; on_writable(fd, now_ms) for POLLOUT. A one-shot
//      poll_add is then re-armed if wanted(fd) still asks for it and no change
//      replaced it (re-arming is what makes it level-triggered: c-ares may leave
//      data in the socket).
//   4. Wait no longer than next_timer_ms(now_ms), and call on_timer(now_ms) each
//      turn it has passed (c-ares' query timeouts and re-resolutions both hang on it).
// A poll(2) loop works the same way with watched() (tests/dns/ does that).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "ringway/base/published.h"
#include "ringway/config/config.h"
#include "ringway/dns/address_set.h"
#include "ringway/dns/dns_error.h"
#include "ringway/dns/refresh_schedule.h"
#include "ringway/log/error_log.h"

namespace ringway::dns {

// A socket to watch with the events wanted; both false: stop watching it.
struct PollRequest {
  int fd = -1;
  bool readable = false;
  bool writable = false;
};

// How one upstream name is doing, for status output and tests.
struct UpstreamStatus {
  Health health = Health::unknown;
  std::error_code last_error;  // the last failed lookup's cause; empty while ok
  std::uint32_t failures = 0;  // consecutive failed lookups
  bool lookup_in_flight = false;
};

// Where state-change lines go; the error log by default.
using LogSink = std::function<void(log::Level level, const std::string& text)>;

class Resolver {
 public:
  Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;
  ~Resolver();

  // Opens the c-ares channel for `settings`' servers and timeout; no system
  // resolver configuration is read. Empty string on success, else a message.
  std::string open(const config::Resolver& settings);

  // Replaces where state-change lines go (tests collect them).
  void set_log_sink(LogSink sink);

  // Starts keeping `name:port` resolved and returns its published set, which
  // lives as long as the Resolver (a second call for the same pair returns the
  // same one). A literal IPv4 or IPv6 address ("[::1]" too) is published at once
  // and never looked up. For a name the first lookup starts now; until it
  // succeeds the published pointer is empty.
  const base::Published<AddressSet>& resolve(std::string_view name, std::uint16_t port,
                                             std::uint64_t now_ms);

  // The watch changes since the last call, at most one per fd (the latest).
  std::vector<PollRequest> take_poll_changes();
  // Every socket c-ares wants watched now.
  const std::vector<PollRequest>& watched() const;
  // What c-ares wants for `fd` now; nothing when it does not watch it.
  std::optional<PollRequest> wanted(int fd) const;

  // `fd` polled readable (or in error) / writable: c-ares reads or writes it.
  void on_readable(int fd, std::uint64_t now_ms);
  void on_writable(int fd, std::uint64_t now_ms);
  // Handles c-ares' query timeouts and starts the lookups that are due.
  void on_timer(std::uint64_t now_ms);
  // When on_timer should run next (monotonic ms, maybe <= now_ms); UINT64_MAX: never.
  std::uint64_t next_timer_ms(std::uint64_t now_ms);

  // The state of `name:port`; Health::unknown when it was never asked for.
  UpstreamStatus status(std::string_view name, std::uint16_t port) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ringway::dns
