#include "ringway/proxy/failover_state.h"

namespace ringway::proxy {

bool FailoverState::skip_local(std::uint32_t route, std::uint64_t now_ms) {
  if (!failing_[route]) return false;
  if (now_ms < probe_at_ms_[route]) return true;
  probe_at_ms_[route] = now_ms + probe_interval_ms;  // this request probes
  return false;
}

bool FailoverState::begin(std::uint32_t route, std::uint64_t now_ms) {
  if (failing_[route]) return false;
  failing_[route] = true;
  probe_at_ms_[route] = now_ms + probe_interval_ms;
  return true;
}

bool FailoverState::end(std::uint32_t route) {
  if (!failing_[route]) return false;
  failing_[route] = false;
  return true;
}

}  // namespace ringway::proxy
