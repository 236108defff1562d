#include "ringway/preflight/gzip.h"

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "gzip_maker.h"

namespace ringway::preflight {
namespace {

// About 200 KB of Kconfig lines, the size of a distribution's /proc/config.gz text.
std::string kernel_config_text() {
  std::string text;
  for (int index = 0; index < 5000; ++index) {
    text += "CONFIG_OPTION_" + std::to_string(index) + "=" + (index % 2 == 0 ? "y" : "m") + "\n";
    text += "# CONFIG_OTHER_" + std::to_string(index * 7) + " is not set\n";
  }
  return text;
}

// What `gzip -9 -c` writes for `text`, file name field included.
std::string gzip_tool_output(std::string_view text) {
  char path[] = "/tmp/ringway-gzip-test-XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  std::string compressed;
  std::FILE* pipe = popen(("gzip -9 -c " + std::string(path)).c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "cannot run gzip";
  } else {
    char buffer[4096];
    std::size_t count = 0;
    while ((count = std::fread(buffer, 1, sizeof buffer, pipe)) > 0)
      compressed.append(buffer, count);
    EXPECT_EQ(pclose(pipe), 0);
  }
  unlink(path);
  return compressed;
}

TEST(Gunzip, RoundTripsWhatZlibAndTheGzipToolMake) {
  std::string text = kernel_config_text();
  std::string error;
  EXPECT_EQ(gunzip(gzip_of(text), error), text) << error;
  EXPECT_EQ(gunzip(gzip_tool_output(text), error), text) << error;
  EXPECT_EQ(gunzip(gzip_of(""), error), "") << error;
}

TEST(Gunzip, RejectsWhatIsNotGzip) {
  std::string error;
  EXPECT_FALSE(gunzip("CONFIG_X=y\n", error));
  EXPECT_NE(error.find("corrupt"), std::string::npos) << error;
  error.clear();
  EXPECT_FALSE(gunzip("", error));
  EXPECT_NE(error.find("truncated"), std::string::npos) << error;
}

TEST(Gunzip, RejectsATruncatedStream) {
  std::string whole = gzip_of(kernel_config_text());
  // Inside the header, inside the deflate data, and inside the trailer.
  for (std::size_t size : {std::size_t{5}, whole.size() / 2, whole.size() - 1}) {
    std::string error;
    EXPECT_FALSE(gunzip(std::string_view(whole).substr(0, size), error)) << size;
    EXPECT_NE(error.find("truncated"), std::string::npos) << size << ": " << error;
  }
}

TEST(Gunzip, RejectsACorruptStream) {
  std::string whole = gzip_of(kernel_config_text());
  std::string bad_crc = whole;
  bad_crc[bad_crc.size() - 8] ^= 1;
  std::string error;
  EXPECT_FALSE(gunzip(bad_crc, error));
  EXPECT_NE(error.find("corrupt"), std::string::npos) << error;
  std::string bad_length = whole;
  bad_length[bad_length.size() - 4] ^= 1;
  EXPECT_FALSE(gunzip(bad_length, error));
  std::string bad_data = whole;
  bad_data[whole.size() / 2] ^= 0x5a;
  EXPECT_FALSE(gunzip(bad_data, error));
}

TEST(Gunzip, StopsAtTheOutputLimit) {
  // 64 MiB of zeros is about 64 KB compressed: the limit, not the file, bounds memory.
  std::string zeros = gzip_of(std::string(64u << 20, '\0'));
  std::string error;
  EXPECT_FALSE(gunzip(zeros, error, 1u << 20));
  EXPECT_NE(error.find("more than 1048576 bytes"), std::string::npos) << error;
  std::string text = kernel_config_text();
  EXPECT_FALSE(gunzip(gzip_of(text), error, text.size() - 1));
  EXPECT_EQ(gunzip(gzip_of(text), error, text.size()), text) << error;
}

}  // namespace
}  // namespace ringway::preflight
