#pragma once
// Sibling failover, per route: while a local upstream cannot be reached its
// requests go to the route's fallback, and one request a second tries the local
// one again. Pure: the worker asks and tells, this remembers.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ringway::proxy {

class FailoverState {
 public:
  // While failing over, one request this often tries the local upstream; the
  // others go straight to the fallback. An upstream that drops connection
  // attempts (a service address with no task behind it) would otherwise cost
  // every request the whole connect timeout.
  static constexpr std::uint64_t probe_interval_ms = 1000;

  explicit FailoverState(std::size_t route_count)
      : failing_(route_count, false), probe_at_ms_(route_count, 0) {}

  bool failing(std::uint32_t route) const { return failing_[route]; }
  // Whether a request for route skips its local upstream now. False while the
  // route is healthy, and for the one request whose turn it is to probe.
  bool skip_local(std::uint32_t route, std::uint64_t now_ms);
  // The local upstream of route could not be reached. True when the route
  // starts failing over with this (the moment to say so in the log).
  bool begin(std::uint32_t route, std::uint64_t now_ms);
  // The local upstream of route answered. True when it had been failing over.
  bool end(std::uint32_t route);

 private:
  std::vector<bool> failing_;
  std::vector<std::uint64_t> probe_at_ms_;
};

}  // namespace ringway::proxy
