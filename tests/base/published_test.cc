#include "ringway/base/published.h"

#include <gtest/gtest.h>

#include <memory>

namespace ringway::base {
namespace {

TEST(Published, ReadersSeeANewSnapshotOnlyAfterRefresh) {
  Published<int> published;
  published.publish(std::make_shared<const int>(1));
  Published<int>::Reader reader(published);
  ASSERT_NE(reader.get(), nullptr);
  EXPECT_EQ(*reader.get(), 1);
  EXPECT_FALSE(reader.refresh());

  published.publish(std::make_shared<const int>(2));
  EXPECT_EQ(*reader.get(), 1);  // a worker keeps its copy until its next turn
  EXPECT_TRUE(reader.refresh());
  EXPECT_EQ(*reader.get(), 2);
}

TEST(Published, OldSnapshotsLiveWhileSomeoneHoldsThem) {
  Published<int> published;
  published.publish(std::make_shared<const int>(1));
  Published<int>::Reader reader(published);
  std::shared_ptr<const int> held = reader.get();  // e.g. a session started on it
  published.publish(std::make_shared<const int>(2));
  reader.refresh();
  EXPECT_EQ(*held, 1);
  EXPECT_EQ(held.use_count(), 1);
}

}  // namespace
}  // namespace ringway::base
