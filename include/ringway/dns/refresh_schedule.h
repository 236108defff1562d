#pragma once
// When to look an upstream name up again, and what to tell people about it: pure
// decisions from times and results, no I/O, so the policy is tested without DNS.
//
// An answer is used for its TTL, or for the configured `valid` override, clamped
// to valid_min..valid_max. A failed lookup keeps the last good set and is retried
// after valid_min, doubling per consecutive failure up to `valid` (or 30 s when
// no override is set). Lines are written on changes of state only: the first
// answer, ok -> failing, failing -> ok, and a changed answer; never per retry.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "ringway/config/config.h"
#include "ringway/log/error_log.h"

namespace ringway::dns {

struct RefreshTiming {
  std::uint64_t valid_ms = 0;  // overrides the TTL; 0: use the TTL
  std::uint64_t valid_min_ms = 1000;
  std::uint64_t valid_max_ms = std::uint64_t{3600} * 1000;
};

// Without a `valid` override, a failing name is retried at least this often.
inline constexpr std::uint64_t failing_retry_max_ms = std::uint64_t{30} * 1000;

RefreshTiming refresh_timing(const config::Resolver& resolver);

// How long an answer whose smallest TTL is `ttl_s` is used.
std::uint64_t validity_ms(const RefreshTiming& timing, std::uint32_t ttl_s);

// The wait after the `failures`-th consecutive failed lookup (1 for the first).
std::uint64_t retry_delay_ms(const RefreshTiming& timing, std::uint32_t failures);

enum class Health { unknown, ok, failing };

// What one lookup result changed; `none` means nothing worth a line.
enum class HealthChange {
  none,               // a refresh with the same answer, or one more failed retry
  first_success,      // unknown -> ok
  first_failure,      // unknown -> failing: there are no addresses yet
  started_failing,    // ok -> failing: the last good set stays in use
  recovered,          // failing -> ok
  addresses_changed,  // ok -> ok with another answer
};

struct RefreshDecision {
  HealthChange change = HealthChange::none;
  std::uint64_t next_lookup_ms = 0;   // when to look the name up again
  std::uint64_t valid_until_ms = 0;   // after a success: the new set's valid_until_ms
  std::uint32_t failures_before = 0;  // consecutive failures this result ended or extended
};

// One upstream name's state between lookups. Times are monotonic milliseconds.
class RefreshSchedule {
 public:
  explicit RefreshSchedule(RefreshTiming timing) : timing_(timing) {}

  // A lookup answered with addresses; `changed`: they differ from the last good set.
  RefreshDecision on_success(std::uint64_t now_ms, std::uint32_t ttl_s, bool changed);
  // A lookup failed (timeout, NXDOMAIN, ...): the last good set, if any, stays.
  RefreshDecision on_failure(std::uint64_t now_ms);

  Health health() const { return health_; }
  std::uint32_t failures() const { return failures_; }

 private:
  RefreshTiming timing_;
  Health health_ = Health::unknown;
  std::uint32_t failures_ = 0;
};

// What a line about a change needs to say.
struct ChangeFacts {
  std::string_view upstream;            // "name:port"
  std::string_view addresses;           // the new set, or the one kept while failing
  std::string_view previous_addresses;  // for addresses_changed
  std::error_code error;                // for the failing changes
  std::uint32_t failures = 0;           // for recovered: how many lookups failed
};

struct ChangeMessage {
  log::Level level = log::Level::info;
  std::string text;
};

// The line for `change`, or nothing for HealthChange::none.
std::optional<ChangeMessage> describe_change(HealthChange change, const ChangeFacts& facts);

}  // namespace ringway::dns
