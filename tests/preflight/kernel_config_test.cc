#include "ringway/preflight/kernel_config.h"

#include <gtest/gtest.h>

namespace ringway::preflight {
namespace {

constexpr std::string_view config_text = R"(#
# Automatically generated file; DO NOT EDIT.
#
CONFIG_TCP_CONG_ADVANCED=y
CONFIG_TCP_CONG_BBR=y
CONFIG_TCP_CONG_CUBIC=m
# CONFIG_NET_SCH_FQ is not set
CONFIG_NET_SCH_FQ_CODEL=m
CONFIG_DEFAULT_TCP_CONG="bbr"
CONFIG_HZ=250
)";

TEST(KernelConfig, States) {
  KernelConfig config = KernelConfig::parse(config_text, "/proc/config.gz");
  EXPECT_TRUE(config.known());
  EXPECT_EQ(config.source(), "/proc/config.gz");
  EXPECT_EQ(config.state("CONFIG_TCP_CONG_BBR"), OptionState::built_in);
  EXPECT_EQ(config.state("CONFIG_TCP_CONG_CUBIC"), OptionState::module);
  EXPECT_EQ(config.state("CONFIG_NET_SCH_FQ"), OptionState::not_set);
  EXPECT_EQ(config.state("CONFIG_NET_SCH_FQ_CODEL"), OptionState::module);
  // Not mentioned at all: not set either (it may not exist in this kernel).
  EXPECT_EQ(config.state("CONFIG_NET_SCH_CAKE"), OptionState::not_set);
  // Values other than y/m are not features that are "on".
  EXPECT_EQ(config.state("CONFIG_HZ"), OptionState::not_set);
}

TEST(KernelConfig, WithoutASourceEverythingIsUnknown) {
  KernelConfig config;
  EXPECT_FALSE(config.known());
  EXPECT_EQ(config.state("CONFIG_NET_SCH_FQ"), OptionState::unknown);
}

TEST(KernelOptions, ForSysctlValues) {
  EXPECT_EQ(kernel_option_for("net.core.default_qdisc", "fq"), "CONFIG_NET_SCH_FQ");
  EXPECT_EQ(kernel_option_for("net/core/default_qdisc", "fq_codel"), "CONFIG_NET_SCH_FQ_CODEL");
  EXPECT_EQ(kernel_option_for("net.core.default_qdisc", "pfifo_fast"), "");
  EXPECT_EQ(kernel_option_for("net.ipv4.tcp_congestion_control", "bbr"), "CONFIG_TCP_CONG_BBR");
  EXPECT_EQ(kernel_option_for("net.ipv4.tcp_congestion_control", "reno"), "");
  EXPECT_EQ(kernel_option_for("net.ipv4.tcp_keepalive_time", "60"), "");
  EXPECT_EQ(qdisc_kernel_option("pfifo"), "CONFIG_NET_SCH_FIFO");
  EXPECT_EQ(congestion_kernel_option("cubic"), "CONFIG_TCP_CONG_CUBIC");
}

}  // namespace
}  // namespace ringway::preflight
