#include "ringway/preflight/gzip.h"

#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "gzip_samples.h"

namespace ringway::preflight {
namespace {

using namespace samples;  // NOLINT(google-build-using-namespace)

std::string dynamic_text() {
  std::string text;
  for (int index = 0; index < 60; ++index) {
    text += "CONFIG_OPTION_" + std::to_string(index) + "=" + (index % 2 == 0 ? "y" : "m") + "\n";
    text += "# CONFIG_OTHER_" + std::to_string(index * 7) + " is not set\n";
  }
  return text;
}

TEST(Gunzip, StoredBlock) {
  EXPECT_EQ(gunzip(bytes(stored_member)), small_text);
}

TEST(Gunzip, FixedCodes) {
  EXPECT_EQ(gunzip(bytes(fixed_member)), small_text);
}

TEST(Gunzip, DynamicCodes) {
  std::optional<std::string> text = gunzip(bytes(dynamic_member));
  ASSERT_TRUE(text);
  EXPECT_EQ(text->size(), 2913u);
  EXPECT_EQ(*text, dynamic_text());
}

TEST(Gunzip, SkipsTheFileName) {
  EXPECT_EQ(gunzip(bytes(named_member)), small_text);
}

TEST(Gunzip, RejectsWhatIsNotGzip) {
  EXPECT_FALSE(gunzip(""));
  EXPECT_FALSE(gunzip("CONFIG_X=y\n"));
  std::string wrong_method = bytes(fixed_member);
  wrong_method[2] = 7;
  EXPECT_FALSE(gunzip(wrong_method));
}

TEST(Gunzip, RejectsEveryTruncation) {
  std::string whole = bytes(dynamic_member);
  for (std::size_t size = 0; size < whole.size(); ++size) {
    EXPECT_FALSE(gunzip(std::string_view(whole).substr(0, size))) << size;
  }
}

TEST(Gunzip, ChecksTheCrcAndTheLength) {
  std::string bad_crc = bytes(fixed_member);
  bad_crc[bad_crc.size() - 8] ^= 1;
  EXPECT_FALSE(gunzip(bad_crc));
  std::string bad_length = bytes(fixed_member);
  bad_length[bad_length.size() - 4] ^= 1;
  EXPECT_FALSE(gunzip(bad_length));
}

TEST(Gunzip, CorruptDataFailsCleanly) {
  // Flip each bit of the deflate stream in turn: every result is either
  // rejected or caught by the CRC; none crashes or reads out of bounds.
  std::string whole = bytes(dynamic_member);
  for (std::size_t index = 10; index + 8 < whole.size(); ++index) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string corrupt = whole;
      corrupt[index] = static_cast<char>(corrupt[index] ^ (1 << bit));
      std::optional<std::string> text = gunzip(corrupt);
      if (text) {
        EXPECT_EQ(*text, dynamic_text());
      }
    }
  }
}

TEST(Gunzip, StopsAtTheOutputLimit) {
  EXPECT_FALSE(gunzip(bytes(dynamic_member), 1000));
  EXPECT_TRUE(gunzip(bytes(dynamic_member), 2913));
}

}  // namespace
}  // namespace ringway::preflight
