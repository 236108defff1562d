#include "ringway/proxy/failover_state.h"

#include <gtest/gtest.h>

namespace ringway::proxy {
namespace {

constexpr std::uint64_t interval_ms = FailoverState::probe_interval_ms;

TEST(FailoverState, AHealthyRouteNeverSkipsItsLocalUpstream) {
  FailoverState state(2);
  EXPECT_FALSE(state.failing(0));
  EXPECT_FALSE(state.skip_local(0, 0));
  EXPECT_FALSE(state.skip_local(0, 5 * interval_ms));
  EXPECT_FALSE(state.end(0));  // nothing to say: it never failed
}

TEST(FailoverState, BeginIsReportedOnceAndRoutesAreIndependent) {
  FailoverState state(2);
  EXPECT_TRUE(state.begin(1, 100));
  EXPECT_FALSE(state.begin(1, 150));  // already failing over: no second log line
  EXPECT_TRUE(state.failing(1));
  EXPECT_FALSE(state.failing(0));
  EXPECT_FALSE(state.skip_local(0, 150));
}

TEST(FailoverState, OneRequestAnIntervalProbesTheLocalUpstream) {
  FailoverState state(1);
  state.begin(0, 1000);
  EXPECT_TRUE(state.skip_local(0, 1000));
  EXPECT_TRUE(state.skip_local(0, 1000 + interval_ms - 1));
  EXPECT_FALSE(state.skip_local(0, 1000 + interval_ms));  // this one probes
  EXPECT_TRUE(state.skip_local(0, 1000 + interval_ms));   // the next ones do not
  EXPECT_FALSE(state.skip_local(0, 1000 + 2 * interval_ms));
}

TEST(FailoverState, EndReturnsTheRouteToItsLocalUpstream) {
  FailoverState state(1);
  state.begin(0, 0);
  EXPECT_TRUE(state.end(0));
  EXPECT_FALSE(state.failing(0));
  EXPECT_FALSE(state.skip_local(0, 1));
  EXPECT_FALSE(state.end(0));
}

}  // namespace
}  // namespace ringway::proxy
