#include "ringway/acme/challenge_file.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ringway::acme {
namespace {

TEST(ChallengeFile, PathAndFileLieInTheChunkTailRelativeToTheWebroot) {
  std::vector<char> chunk(64 * 1024, 'x');
  const char* path = write_challenge_path(chunk.data(), chunk.size(), "abc_-9");
  EXPECT_EQ(std::string(path), ".well-known/acme-challenge/abc_-9");
  char* file = challenge_file_area(chunk.data(), chunk.size());
  EXPECT_EQ(file + challenge_file_bytes_max + 1, chunk.data() + chunk.size());  // one byte more
  EXPECT_EQ(path + challenge_path_bytes_max, file);
  EXPECT_GE(chunk.size(), challenge_area_bytes);
}

TEST(ChallengeFile, EachOutcomeAnswersOneWay) {
  EXPECT_EQ(verdict_for_open(io::Outcome::done), FileVerdict::serve);
  EXPECT_EQ(verdict_for_open(io::Outcome::not_found), FileVerdict::ask_peer);
  EXPECT_EQ(verdict_for_open(io::Outcome::failed), FileVerdict::not_found);  // EACCES, ELOOP, ...
  EXPECT_EQ(verdict_for_read(io::Outcome::done, 87), FileVerdict::serve);
  EXPECT_EQ(verdict_for_read(io::Outcome::done, challenge_file_bytes_max), FileVerdict::serve);
  EXPECT_EQ(verdict_for_read(io::Outcome::done, challenge_file_bytes_max + 1),
            FileVerdict::too_large);
  EXPECT_EQ(verdict_for_read(io::Outcome::failed, 0), FileVerdict::not_found);
  EXPECT_EQ(verdict_status(FileVerdict::serve), 200);
  EXPECT_EQ(verdict_status(FileVerdict::ask_peer), 404);
  EXPECT_EQ(verdict_status(FileVerdict::not_found), 404);
  EXPECT_EQ(verdict_status(FileVerdict::too_large), 500);
}

}  // namespace
}  // namespace ringway::acme
