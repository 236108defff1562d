#include "ringway/dns/refresh_schedule.h"

#include "ringway/dns/dns_error.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ringway::dns {
namespace {

constexpr RefreshTiming ttl_timing{0, 1000, 3600 * 1000};
constexpr RefreshTiming override_timing{15 * 1000, 1000, 3600 * 1000};

TEST(Validity, UsesTheTtlClampedToFloorAndCeiling) {
  EXPECT_EQ(validity_ms(ttl_timing, 300), 300u * 1000);
  EXPECT_EQ(validity_ms(ttl_timing, 0), 1000u);  // TTL 0 (Docker, challtestsrv) hits the floor
  EXPECT_EQ(validity_ms(ttl_timing, 86400), 3600u * 1000);
}

TEST(Validity, OverrideReplacesTheTtl) {
  EXPECT_EQ(validity_ms(override_timing, 0), 15u * 1000);
  EXPECT_EQ(validity_ms(override_timing, 86400), 15u * 1000);
  EXPECT_EQ(validity_ms({500, 1000, 3600 * 1000}, 60), 1000u);                 // clamped up
  EXPECT_EQ(validity_ms({7200 * 1000, 1000, 3600 * 1000}, 60), 3600u * 1000);  // clamped down
}

TEST(RetryDelay, DoublesFromTheFloorUpToValid) {
  std::vector<std::uint64_t> delays;
  for (std::uint32_t failures = 1; failures <= 7; ++failures) {
    delays.push_back(retry_delay_ms(override_timing, failures));
  }
  EXPECT_EQ(delays, (std::vector<std::uint64_t>{1000, 2000, 4000, 8000, 15000, 15000, 15000}));
  EXPECT_EQ(retry_delay_ms(override_timing, UINT32_MAX), 15000u);  // no overflow
}

TEST(RetryDelay, WithoutOverrideCapsAtThirtySeconds) {
  EXPECT_EQ(retry_delay_ms(ttl_timing, 1), 1000u);
  EXPECT_EQ(retry_delay_ms(ttl_timing, 5), 16000u);
  EXPECT_EQ(retry_delay_ms(ttl_timing, 6), failing_retry_max_ms);
  EXPECT_EQ(retry_delay_ms({0, 1000, 10 * 1000}, 10), 10000u);  // a lower ceiling wins
}

TEST(RetryDelay, StaysWithinTheFloorWhenValidIsBelowIt) {
  EXPECT_EQ(retry_delay_ms({200, 1000, 3600 * 1000}, 1), 1000u);
  EXPECT_EQ(retry_delay_ms({200, 1000, 3600 * 1000}, 4), 1000u);
}

TEST(RefreshSchedule, SuccessSchedulesTheNextLookupAtExpiry) {
  RefreshSchedule schedule(override_timing);
  RefreshDecision decision = schedule.on_success(5000, 0, true);
  EXPECT_EQ(decision.change, HealthChange::first_success);
  EXPECT_EQ(decision.valid_until_ms, 20000u);
  EXPECT_EQ(decision.next_lookup_ms, 20000u);
  EXPECT_EQ(schedule.health(), Health::ok);

  decision = schedule.on_success(20000, 0, false);
  EXPECT_EQ(decision.change, HealthChange::none);
  EXPECT_EQ(decision.next_lookup_ms, 35000u);
  decision = schedule.on_success(35000, 0, true);
  EXPECT_EQ(decision.change, HealthChange::addresses_changed);
}

TEST(RefreshSchedule, FailuresBackOffAndReportOnlyTheChange) {
  RefreshSchedule schedule(override_timing);
  schedule.on_success(0, 0, true);
  std::uint64_t now_ms = 15000;
  std::vector<HealthChange> changes;
  std::vector<std::uint64_t> waits_ms;
  for (int attempt = 0; attempt < 6; ++attempt) {
    RefreshDecision decision = schedule.on_failure(now_ms);
    changes.push_back(decision.change);
    waits_ms.push_back(decision.next_lookup_ms - now_ms);
    now_ms = decision.next_lookup_ms;
  }
  EXPECT_EQ(changes.front(), HealthChange::started_failing);
  for (std::size_t index = 1; index < changes.size(); ++index) {
    EXPECT_EQ(changes[index], HealthChange::none) << "retry " << index;
  }
  EXPECT_EQ(waits_ms, (std::vector<std::uint64_t>{1000, 2000, 4000, 8000, 15000, 15000}));
  EXPECT_EQ(schedule.failures(), 6u);

  RefreshDecision recovered = schedule.on_success(now_ms, 0, false);
  EXPECT_EQ(recovered.change, HealthChange::recovered);
  EXPECT_EQ(recovered.failures_before, 6u);
  EXPECT_EQ(schedule.failures(), 0u);
  // The next failure starts over from the floor.
  EXPECT_EQ(schedule.on_failure(now_ms + 15000).next_lookup_ms, now_ms + 16000);
}

TEST(RefreshSchedule, FailingBeforeAnyAnswerIsItsOwnChange) {
  RefreshSchedule schedule(ttl_timing);
  EXPECT_EQ(schedule.on_failure(0).change, HealthChange::first_failure);
  EXPECT_EQ(schedule.on_failure(1000).change, HealthChange::none);
  EXPECT_EQ(schedule.on_success(3000, 60, true).change, HealthChange::recovered);
}

// A day of flapping DNS, fed through the schedule and describe_change: one line
// per change of state, none per retry or per unchanged refresh.
TEST(DescribeChange, OneLinePerChangeOfState) {
  RefreshSchedule schedule(override_timing);
  std::vector<std::string> lines;
  auto record = [&](const RefreshDecision& decision, std::error_code error = {}) {
    ChangeFacts facts{"backend.test:80", "127.0.0.2:80", "127.0.0.1:80", error,
                      decision.failures_before};
    if (auto message = describe_change(decision.change, facts)) lines.push_back(message->text);
  };
  std::uint64_t now_ms = 0;
  record(schedule.on_success(now_ms, 0, true));
  for (int refresh = 0; refresh < 10; ++refresh)
    record(schedule.on_success(now_ms += 15000, 0, false));
  for (int retry = 0; retry < 10; ++retry)
    record(schedule.on_failure(now_ms += 1000), DnsError::timeout);
  for (int refresh = 0; refresh < 10; ++refresh)
    record(schedule.on_success(now_ms += 15000, 0, false));
  record(schedule.on_success(now_ms += 15000, 0, true));

  ASSERT_EQ(lines.size(), 4u) << ::testing::PrintToString(lines);
  EXPECT_EQ(lines[0], "dns: backend.test:80 resolved to 127.0.0.2:80");
  EXPECT_EQ(lines[1],
            "dns: backend.test:80 lookups failing: no answer from the DNS servers in time; "
            "keeping the last good addresses 127.0.0.2:80 and retrying");
  EXPECT_EQ(lines[2], "dns: backend.test:80 resolves again after 10 failed lookups: 127.0.0.2:80");
  EXPECT_EQ(lines[3], "dns: backend.test:80 now resolves to 127.0.0.2:80 (was 127.0.0.1:80)");
}

TEST(DescribeChange, LevelsAndTheFirstFailure) {
  ChangeFacts facts{"opam_live:80", "", "", DnsError::not_found, 0};
  auto failure = describe_change(HealthChange::first_failure, facts);
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->level, log::Level::warning);
  EXPECT_EQ(failure->text,
            "dns: opam_live:80 cannot be resolved: name does not exist (NXDOMAIN); retrying, no "
            "addresses to use until it resolves");
  EXPECT_FALSE(describe_change(HealthChange::none, facts));
  EXPECT_EQ(describe_change(HealthChange::first_success, facts)->level, log::Level::info);
}

}  // namespace
}  // namespace ringway::dns
