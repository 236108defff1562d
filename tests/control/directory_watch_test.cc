#include "ringway/control/directory_watch.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace ringway::control {
namespace {

class DirectoryWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/ringway-watch-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    root_ = pattern;
  }
  void TearDown() override { std::system(("rm -rf " + root_).c_str()); }

  // Waits up to timeout_ms for the watch to become readable, then drains it.
  static bool changed(DirectoryWatch& watch, int timeout_ms = 1000) {
    pollfd ready{watch.fd(), POLLIN, 0};
    if (poll(&ready, 1, timeout_ms) <= 0) return false;
    return watch.drain();
  }

  static void write_file(const std::string& path, const char* text) {
    FILE* file = std::fopen(path.c_str(), "w");
    ASSERT_NE(file, nullptr);
    std::fputs(text, file);
    std::fclose(file);
  }

  std::string root_;
};

TEST_F(DirectoryWatchTest, SeesAFileWrittenInAWatchedDirectory) {
  DirectoryWatch watch;
  ASSERT_TRUE(watch.ok());
  watch.watch({root_});
  EXPECT_FALSE(changed(watch, 50));
  write_file(root_ + "/fullchain.pem", "x");
  EXPECT_TRUE(changed(watch));
}

TEST_F(DirectoryWatchTest, SeesAMissingDirectoryAppear) {
  DirectoryWatch watch;
  std::string live = root_ + "/live/example.org";
  watch.watch({live});
  ASSERT_EQ(mkdir((root_ + "/live").c_str(), 0755), 0);
  EXPECT_TRUE(changed(watch));
}

TEST_F(DirectoryWatchTest, FollowsSymlinksIntoTheirTargetDirectory) {
  std::string archive = root_ + "/archive";
  std::string live = root_ + "/live";
  ASSERT_EQ(mkdir(archive.c_str(), 0755), 0);
  ASSERT_EQ(mkdir(live.c_str(), 0755), 0);
  write_file(archive + "/cert1.pem", "1");
  ASSERT_EQ(symlink("../archive/cert1.pem", (live + "/cert.pem").c_str()), 0);
  DirectoryWatch watch;
  watch.watch({live});
  write_file(archive + "/cert2.pem", "2");  // certbot writes the new file in archive/ first
  EXPECT_TRUE(changed(watch));
}

}  // namespace
}  // namespace ringway::control
