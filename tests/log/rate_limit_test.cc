#include "ringway/log/rate_limit.h"

#include <gtest/gtest.h>

namespace ringway::log {
namespace {

TEST(RateLimit, FirstLineAtOnceThenOncePerInterval) {
  RateLimit limit(1000);
  EXPECT_TRUE(limit.allow(5000));
  EXPECT_FALSE(limit.allow(5001));
  EXPECT_FALSE(limit.allow(5999));
  EXPECT_EQ(limit.take_suppressed(), 2u);
  EXPECT_EQ(limit.take_suppressed(), 0u);  // taking resets the count
  EXPECT_TRUE(limit.allow(6000));
  EXPECT_FALSE(limit.allow(6500));
  EXPECT_TRUE(limit.allow(9000));
  EXPECT_EQ(limit.take_suppressed(), 1u);
}

TEST(RateLimit, AllowsAtTimeZero) {
  RateLimit limit(1000);
  EXPECT_TRUE(limit.allow(0));
  EXPECT_FALSE(limit.allow(999));
  EXPECT_TRUE(limit.allow(1000));
}

}  // namespace
}  // namespace ringway::log
