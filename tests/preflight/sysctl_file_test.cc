#include "ringway/preflight/sysctl_file.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace ringway::preflight {
namespace {

TEST(ParseSysctlFile, KeysValuesCommentsAndBlanks) {
  SysctlFile file = parse_sysctl_file(
      "# a comment\n"
      "; another\n"
      "\n"
      "net.core.default_qdisc = fq\n"
      "  net.ipv4.tcp_keepalive_time=60  \n"
      "-net.ipv4.optional = 1\n"
      "net.ipv4.ip_local_port_range = 1024 65535\r\n",
      "x.conf", "/etc/sysctl.d/x.conf");
  EXPECT_EQ(file.name, "x.conf");
  EXPECT_EQ(file.path, "/etc/sysctl.d/x.conf");
  EXPECT_TRUE(file.errors.empty()) << ::testing::PrintToString(file.errors);
  ASSERT_EQ(file.settings.size(), 4u);
  EXPECT_EQ(file.settings[0].key, "net.core.default_qdisc");
  EXPECT_EQ(file.settings[0].value, "fq");
  EXPECT_EQ(file.settings[0].line, 4u);
  EXPECT_FALSE(file.settings[0].ignore_failure);
  EXPECT_EQ(file.settings[1].key, "net.ipv4.tcp_keepalive_time");
  EXPECT_EQ(file.settings[1].value, "60");
  EXPECT_EQ(file.settings[2].key, "net.ipv4.optional");
  EXPECT_TRUE(file.settings[2].ignore_failure);
  EXPECT_EQ(file.settings[3].value, "1024 65535");
}

TEST(ParseSysctlFile, ReportsLinesItCannotRead) {
  SysctlFile file = parse_sysctl_file("just words\nnet.* = 1\n = 2\nok.key = 3\n", "y.conf", "");
  ASSERT_EQ(file.errors.size(), 3u);
  EXPECT_EQ(file.errors[0], "y.conf:1: expected \"key = value\"");
  EXPECT_EQ(file.errors[1], "y.conf:2: unsupported key \"net.*\"");
  ASSERT_EQ(file.settings.size(), 1u);
  EXPECT_EQ(file.settings[0].line, 4u);
}

TEST(SysctlKeys, PathsAndDots) {
  EXPECT_EQ(sysctl_key_path("net.ipv4.tcp_keepalive_time"), "net/ipv4/tcp_keepalive_time");
  EXPECT_EQ(sysctl_key_path("net/ipv4/conf/eth0.100/rp_filter"),
            "net/ipv4/conf/eth0.100/rp_filter");
  EXPECT_EQ(sysctl_key_dotted("net/core/somaxconn"), "net.core.somaxconn");
  EXPECT_EQ(sysctl_key_dotted("net.core.somaxconn"), "net.core.somaxconn");
  EXPECT_EQ(sysctl_key_dotted("net/ipv4/conf/eth0.100/rp_filter"),
            "net.ipv4.conf.eth0.100.rp_filter");
}

TEST(SysctlValues, CompareWordByWord) {
  EXPECT_TRUE(sysctl_values_equal("32768\t60999", "32768 60999"));
  EXPECT_TRUE(sysctl_values_equal("fq", " fq "));
  EXPECT_FALSE(sysctl_values_equal("fq", "fq_codel"));
  EXPECT_FALSE(sysctl_values_equal("1 2", "1"));
  EXPECT_TRUE(sysctl_values_equal("", ""));
}

std::string read_source_file(const std::string& relative) {
  std::ifstream stream(std::string(RINGWAY_SOURCE_ROOT) + "/" + relative, std::ios::binary);
  std::stringstream text;
  text << stream.rdbuf();
  return text.str();
}

TEST(BuiltinSysctlFiles, AreTheShippedFilesByteForByte) {
  auto files = builtin_sysctl_files();
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].name, "01-bbr.conf");
  EXPECT_EQ(files[1].name, "02-keepalive.conf");
  for (const BuiltinFile& file : files) {
    EXPECT_EQ(file.text, read_source_file("sysctl/" + std::string(file.name))) << file.name;
  }
}

TEST(BuiltinSysctlFiles, HoldTheDocumentedSettings) {
  std::vector<std::pair<std::string, std::string>> settings;
  for (const BuiltinFile& builtin : builtin_sysctl_files()) {
    SysctlFile file = parse_sysctl_file(builtin.text, std::string(builtin.name), "");
    EXPECT_TRUE(file.errors.empty()) << ::testing::PrintToString(file.errors);
    for (const SysctlSetting& setting : file.settings)
      settings.emplace_back(setting.key, setting.value);
  }
  std::vector<std::pair<std::string, std::string>> expected = {
      {"net.core.default_qdisc", "fq"},       {"net.ipv4.tcp_congestion_control", "bbr"},
      {"net.ipv4.tcp_keepalive_time", "60"},  {"net.ipv4.tcp_keepalive_intvl", "10"},
      {"net.ipv4.tcp_keepalive_probes", "6"},
  };
  EXPECT_EQ(settings, expected);
}

}  // namespace
}  // namespace ringway::preflight
