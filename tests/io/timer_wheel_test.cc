#include "ringway/io/timer_wheel.h"

#include <gtest/gtest.h>

#include <vector>

namespace ringway::io {
namespace {

std::vector<std::uint32_t> advance_to(TimerWheel& wheel, std::uint64_t now_ms) {
  std::vector<std::uint32_t> fired;
  wheel.advance(now_ms, [&](TimerNode& node) { fired.push_back(node.owner); });
  return fired;
}

TEST(TimerWheel, FiresWithinOneTickAfterTheDeadline) {
  TimerWheel wheel(1000, 100, 16);
  TimerNode node;
  node.owner = 7;
  wheel.schedule(node, 1250);
  EXPECT_TRUE(advance_to(wheel, 1249).empty());
  EXPECT_EQ(advance_to(wheel, 1300), std::vector<std::uint32_t>{7});
  EXPECT_FALSE(node.linked());
}

TEST(TimerWheel, CancelledNodesNeverFire) {
  TimerWheel wheel(0, 10, 8);
  TimerNode first, second;
  first.owner = 1;
  second.owner = 2;
  wheel.schedule(first, 30);
  wheel.schedule(second, 30);
  TimerWheel::cancel(first);
  EXPECT_EQ(advance_to(wheel, 100), std::vector<std::uint32_t>{2});
}

TEST(TimerWheel, DeadlinesBeyondOneTurnFireEarlyForTheOwnerToReschedule) {
  TimerWheel wheel(0, 10, 8);  // one turn is 80 ms
  TimerNode node;
  node.owner = 3;
  wheel.schedule(node, 500);
  std::vector<std::uint32_t> fired = advance_to(wheel, 80);
  ASSERT_EQ(fired, std::vector<std::uint32_t>{3});
  EXPECT_EQ(node.deadline_ms, 500u);  // the owner sees the real deadline and reschedules
  wheel.schedule(node, node.deadline_ms);
  EXPECT_TRUE(advance_to(wheel, 499).empty() || node.deadline_ms == 500u);
}

TEST(TimerWheel, RescheduleMovesTheNode) {
  TimerWheel wheel(0, 10, 64);
  TimerNode node;
  node.owner = 4;
  wheel.schedule(node, 20);
  wheel.schedule(node, 200);
  EXPECT_TRUE(advance_to(wheel, 150).empty());
  EXPECT_EQ(advance_to(wheel, 220), std::vector<std::uint32_t>{4});
}

TEST(TimerWheel, NextTickDistance) {
  TimerWheel wheel(1005, 100, 8);
  EXPECT_EQ(wheel.milliseconds_to_next_tick(1005), 95u);
}

}  // namespace
}  // namespace ringway::io
