#include "ringway/dns/refresh_schedule.h"

#include <algorithm>

#include <fmt/format.h>

namespace ringway::dns {
namespace {

// std::clamp is undefined when low > high; config rejects that, this stays safe.
std::uint64_t bounded(std::uint64_t value, std::uint64_t low, std::uint64_t high) {
  return std::max(std::min(value, high), low);
}

}  // namespace

RefreshTiming refresh_timing(const config::Resolver& resolver) {
  return {resolver.valid_ms, resolver.valid_min_ms, resolver.valid_max_ms};
}

std::uint64_t validity_ms(const RefreshTiming& timing, std::uint32_t ttl_s) {
  std::uint64_t wanted_ms = timing.valid_ms ? timing.valid_ms : std::uint64_t{ttl_s} * 1000;
  return bounded(wanted_ms, timing.valid_min_ms, timing.valid_max_ms);
}

std::uint64_t retry_delay_ms(const RefreshTiming& timing, std::uint32_t failures) {
  std::uint64_t ceiling_ms = timing.valid_ms ? timing.valid_ms : failing_retry_max_ms;
  ceiling_ms = bounded(ceiling_ms, timing.valid_min_ms, timing.valid_max_ms);
  std::uint64_t delay_ms = std::max<std::uint64_t>(timing.valid_min_ms, 1);
  // Doubling past the ceiling stops early, so a long outage cannot overflow.
  for (std::uint32_t step = 1; step < failures && delay_ms < ceiling_ms; ++step) delay_ms *= 2;
  return bounded(delay_ms, timing.valid_min_ms, ceiling_ms);
}

RefreshDecision RefreshSchedule::on_success(std::uint64_t now_ms, std::uint32_t ttl_s,
                                            bool changed) {
  RefreshDecision decision;
  decision.failures_before = failures_;
  switch (health_) {
    case Health::unknown:
      decision.change = HealthChange::first_success;
      break;
    case Health::failing:
      decision.change = HealthChange::recovered;
      break;
    case Health::ok:
      decision.change = changed ? HealthChange::addresses_changed : HealthChange::none;
      break;
  }
  health_ = Health::ok;
  failures_ = 0;
  decision.valid_until_ms = now_ms + validity_ms(timing_, ttl_s);
  decision.next_lookup_ms = decision.valid_until_ms;
  return decision;
}

RefreshDecision RefreshSchedule::on_failure(std::uint64_t now_ms) {
  RefreshDecision decision;
  decision.failures_before = failures_;
  if (health_ == Health::unknown) decision.change = HealthChange::first_failure;
  if (health_ == Health::ok) decision.change = HealthChange::started_failing;
  health_ = Health::failing;
  failures_ = failures_ == UINT32_MAX ? failures_ : failures_ + 1;
  decision.next_lookup_ms = now_ms + retry_delay_ms(timing_, failures_);
  return decision;
}

std::optional<ChangeMessage> describe_change(HealthChange change, const ChangeFacts& facts) {
  switch (change) {
    case HealthChange::none:
      return std::nullopt;
    case HealthChange::first_success:
      return ChangeMessage{log::Level::info,
                           fmt::format("dns: {} resolved to {}", facts.upstream, facts.addresses)};
    case HealthChange::addresses_changed:
      return ChangeMessage{log::Level::info,
                           fmt::format("dns: {} now resolves to {} (was {})", facts.upstream,
                                       facts.addresses, facts.previous_addresses)};
    case HealthChange::recovered:
      return ChangeMessage{
          log::Level::info,
          fmt::format("dns: {} resolves again after {} failed lookup{}: {}", facts.upstream,
                      facts.failures, facts.failures == 1 ? "" : "s", facts.addresses)};
    case HealthChange::first_failure:
      return ChangeMessage{log::Level::warning,
                           fmt::format("dns: {} cannot be resolved: {}; retrying, no addresses "
                                       "to use until it resolves",
                                       facts.upstream, facts.error.message())};
    case HealthChange::started_failing:
      return ChangeMessage{log::Level::warning,
                           fmt::format("dns: {} lookups failing: {}; keeping the last good "
                                       "addresses {} and retrying",
                                       facts.upstream, facts.error.message(), facts.addresses)};
  }
  return std::nullopt;
}

}  // namespace ringway::dns
