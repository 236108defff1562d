// The config keys the preflight and the socket tuning read: [tcp], [preflight]
// and [preflight.checks].

#include <gtest/gtest.h>

#include "ringway/config/config.h"

namespace ringway::config {
namespace {

constexpr std::string_view http_section = R"([http]
listen = ["0.0.0.0:80"]
acme_webroot = "/srv/acme"
)";

LoadResult parse_with(std::string_view extra) {
  return parse_config(std::string(http_section) + std::string(extra), "test.toml");
}

std::string only_error(const LoadResult& result) {
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.errors.size(), 1u) << ::testing::PrintToString(result.errors);
  return result.errors.empty() ? std::string() : result.errors.front();
}

TEST(TcpKeys, Defaults) {
  LoadResult result = parse_with("");
  ASSERT_TRUE(result.ok);
  const Tcp& tcp = result.config.tcp;
  EXPECT_EQ(tcp.congestion, "bbr");
  EXPECT_EQ(tcp.keepalive_idle_s, 60u);
  EXPECT_EQ(tcp.keepalive_interval_s, 10u);
  EXPECT_EQ(tcp.keepalive_count, 6u);
  EXPECT_EQ(result.config.preflight.policy, CheckPolicy::warn);
  EXPECT_EQ(result.config.preflight.sysctl_dir, "/usr/lib/sysctl.d");
  EXPECT_TRUE(result.config.preflight.checks.empty());
}

TEST(TcpKeys, EveryKey) {
  LoadResult result = parse_with(R"([tcp]
congestion = "cubic"
keepalive_idle = "2m"
keepalive_interval = 5
keepalive_count = 3
)");
  ASSERT_TRUE(result.ok) << ::testing::PrintToString(result.errors);
  const Tcp& tcp = result.config.tcp;
  EXPECT_EQ(tcp.congestion, "cubic");
  EXPECT_EQ(tcp.keepalive_idle_s, 120u);
  EXPECT_EQ(tcp.keepalive_interval_s, 5u);
  EXPECT_EQ(tcp.keepalive_count, 3u);
  EXPECT_EQ(parse_with("[tcp]\ncongestion = \"\"\n").config.tcp.congestion, "");
}

TEST(TcpKeys, BadValuesNameLineAndKey) {
  EXPECT_EQ(only_error(parse_with("[tcp]\ncongestion = \"BBR!\"\n")),
            "test.toml:5:14: tcp.congestion: must be a kernel congestion control name like "
            "\"bbr\", or \"\"");
  EXPECT_EQ(only_error(parse_with("[tcp]\ncongestion = \"a_name_far_too_long\"\n")).substr(0, 30),
            "test.toml:5:14: tcp.congestion");
  EXPECT_EQ(only_error(parse_with("[tcp]\nkeepalive_idle = \"1500ms\"\n")),
            "test.toml:5:18: tcp.keepalive_idle: must be whole seconds");
  EXPECT_EQ(only_error(parse_with("[tcp]\nkeepalive_interval = \"10h\"\n")),
            "test.toml:5:22: tcp.keepalive_interval: must be at most 32767s");
  EXPECT_EQ(only_error(parse_with("[tcp]\nkeepalive_idle = \"soon\"\n")).substr(0, 35),
            "test.toml:5:18: tcp.keepalive_idle:");
  EXPECT_EQ(only_error(parse_with("[tcp]\nkeepalive_count = 128\n")),
            "test.toml:5:19: tcp.keepalive_count: must be from 1 to 127");
  EXPECT_EQ(only_error(parse_with("[tcp]\nkeepalive = true\n")),
            "test.toml:5:1: tcp.keepalive: unknown key");
}

TEST(PreflightKeys, PolicyDirectoryAndOverrides) {
  LoadResult result = parse_with(R"([preflight]
policy = "enforce"
sysctl_dir = "/etc/ringway/sysctl.d"
[preflight.checks]
fq = "warn"
nofile = "off"
bbr = "enforce"
)");
  ASSERT_TRUE(result.ok) << ::testing::PrintToString(result.errors);
  const Preflight& preflight = result.config.preflight;
  EXPECT_EQ(preflight.policy, CheckPolicy::enforce);
  EXPECT_EQ(preflight.sysctl_dir, "/etc/ringway/sysctl.d");
  ASSERT_EQ(preflight.checks.size(), 3u);
  EXPECT_EQ(policy_for(preflight, "fq"), CheckPolicy::warn);
  EXPECT_EQ(policy_for(preflight, "nofile"), CheckPolicy::off);
  EXPECT_EQ(policy_for(preflight, "bbr"), CheckPolicy::enforce);
  EXPECT_EQ(policy_for(preflight, "keepalive"), CheckPolicy::enforce);
}

TEST(PreflightKeys, DottedOverride) {
  LoadResult result =
      parse_config("preflight.checks.bbr = \"enforce\"\n" + std::string(http_section), "test.toml");
  ASSERT_TRUE(result.ok) << ::testing::PrintToString(result.errors);
  EXPECT_EQ(policy_for(result.config.preflight, "bbr"), CheckPolicy::enforce);
  EXPECT_EQ(policy_for(result.config.preflight, "fq"), CheckPolicy::warn);
}

TEST(PreflightKeys, BadValuesNameLineAndKey) {
  EXPECT_EQ(only_error(parse_with("[preflight]\npolicy = \"off\"\n")),
            "test.toml:5:10: preflight.policy: must be \"warn\" or \"enforce\"");
  EXPECT_EQ(only_error(parse_with("[preflight]\nsysctl_dir = \"etc\"\n")),
            "test.toml:5:14: preflight.sysctl_dir: must be an absolute path");
  EXPECT_EQ(only_error(parse_with("[preflight.checks]\nqdisc = \"warn\"\n")).substr(0, 55),
            "test.toml:5:1: preflight.checks.qdisc: unknown check; t");
  EXPECT_EQ(only_error(parse_with("[preflight.checks]\nfq = \"strict\"\n")),
            "test.toml:5:6: preflight.checks.fq: must be \"warn\", \"enforce\" or \"off\"");
  EXPECT_EQ(only_error(parse_with("[preflight.checks]\nfq = 1\n")),
            "test.toml:5:6: preflight.checks.fq: must be \"warn\", \"enforce\" or \"off\"");
  EXPECT_EQ(only_error(parse_with("[preflight]\nchecks = 1\n")),
            "test.toml:5:10: preflight.checks: expected a table, got an integer");
  EXPECT_EQ(only_error(parse_with("[preflight]\nstrict = true\n")),
            "test.toml:5:1: preflight.strict: unknown key");
}

TEST(PreflightKeys, EveryCheckNameIsAccepted) {
  for (std::string_view name : preflight_check_names) {
    LoadResult result = parse_with("[preflight.checks]\n" + std::string(name) + " = \"enforce\"\n");
    EXPECT_TRUE(result.ok) << name << ::testing::PrintToString(result.errors);
  }
}

TEST(DemoConfigText, ShowsTheTcpAndPreflightValues) {
  std::string text = demo_config_text("/tmp/webroot");
  EXPECT_NE(text.find("[tcp]"), std::string::npos) << text;
  EXPECT_NE(text.find("[preflight]"), std::string::npos) << text;
  LoadResult result = parse_config(text, "<built-in demo>");
  ASSERT_TRUE(result.ok) << ::testing::PrintToString(result.errors);
  Config demo = demo_config("/tmp/webroot");
  EXPECT_EQ(result.config.tcp.congestion, demo.tcp.congestion);
  EXPECT_EQ(result.config.tcp.keepalive_idle_s, demo.tcp.keepalive_idle_s);
  EXPECT_EQ(result.config.tcp.keepalive_interval_s, demo.tcp.keepalive_interval_s);
  EXPECT_EQ(result.config.tcp.keepalive_count, demo.tcp.keepalive_count);
  EXPECT_EQ(result.config.preflight.policy, demo.preflight.policy);
}

}  // namespace
}  // namespace ringway::config
