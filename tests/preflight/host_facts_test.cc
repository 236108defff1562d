#include "ringway/preflight/host_facts.h"

#include <gtest/gtest.h>

#include "gzip_maker.h"
#include "prepared_tree.h"

namespace ringway::preflight {
namespace {

TEST(ReadSysctl, ValuesWithoutTheNewline) {
  PreparedTree tree;
  tree.sysctl("net.ipv4.tcp_keepalive_time", "7200");
  tree.write("proc/sys/net/ipv4/ip_local_port_range", "32768\t60999\n");
  EXPECT_EQ(read_sysctl(tree.paths().proc_sys, "net.ipv4.tcp_keepalive_time"), "7200");
  EXPECT_EQ(read_sysctl(tree.paths().proc_sys, "net/ipv4/tcp_keepalive_time"), "7200");
  EXPECT_EQ(read_sysctl(tree.paths().proc_sys, "net.ipv4.ip_local_port_range"), "32768\t60999");
  EXPECT_EQ(read_sysctl(tree.paths().proc_sys, "net.core.default_qdisc"), std::nullopt);
}

TEST(ReadKernelConfig, PrefersProcConfigGz) {
  PreparedTree tree;
  tree.write("proc/config.gz", gzip_of("CONFIG_TCP_CONG_BBR=y\n# CONFIG_NET_SCH_FQ is not set\n"));
  tree.write("boot/config-6.1.0-test", "CONFIG_NET_SCH_FQ=y\n");
  KernelConfig config = read_kernel_config(tree.paths());
  EXPECT_EQ(config.source(), tree.root() + "/proc/config.gz");
  EXPECT_EQ(config.state("CONFIG_NET_SCH_FQ"), OptionState::not_set);
  EXPECT_EQ(config.state("CONFIG_TCP_CONG_BBR"), OptionState::built_in);
}

TEST(ReadKernelConfig, FallsBackToBootConfigOfTheRelease) {
  PreparedTree tree;
  tree.write("proc/config.gz", "not gzip");
  tree.write("boot/config-6.1.0-other", "CONFIG_NET_SCH_FQ=n\n");
  tree.write("boot/config-6.1.0-test", "CONFIG_NET_SCH_FQ=m\n");
  KernelConfig config = read_kernel_config(tree.paths());
  EXPECT_EQ(config.source(), tree.root() + "/boot/config-6.1.0-test");
  EXPECT_EQ(config.state("CONFIG_NET_SCH_FQ"), OptionState::module);
}

TEST(ReadKernelConfig, UnknownWithoutEither) {
  PreparedTree tree;
  EXPECT_FALSE(read_kernel_config(tree.paths()).known());
}

TEST(ReadCpuAes, X86FlagsAndArmFeatures) {
  PreparedTree tree;
  EXPECT_EQ(read_cpu_aes(tree.paths()), std::nullopt);
  tree.write("proc/cpuinfo",
             "processor\t: 0\nflags\t\t: fpu vme sse2 pclmulqdq aes avx\nprocessor\t: 1\n");
  EXPECT_EQ(read_cpu_aes(tree.paths()), true);
  tree.write("proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu vme sse2 vaes_not aesx\n");
  EXPECT_EQ(read_cpu_aes(tree.paths()), false);
  tree.write("proc/cpuinfo", "processor\t: 0\nFeatures\t: fp asimd aes pmull sha1\n");
  EXPECT_EQ(read_cpu_aes(tree.paths()), true);
}

TEST(ReadCapabilities, CapEffInHex) {
  PreparedTree tree;
  EXPECT_EQ(read_effective_capabilities(tree.paths()), std::nullopt);
  tree.write("proc/self/status",
             "Name:\tringway\nCapInh:\t0000000000000000\n"
             "CapEff:\t0000000000000400\nCapBnd:\t000001ffffffffff\n");
  EXPECT_EQ(read_effective_capabilities(tree.paths()), 0x400u);
  tree.write("proc/self/status", "Name:\tringway\nCapEff:\tzz\n");
  EXPECT_EQ(read_effective_capabilities(tree.paths()), std::nullopt);
}

TEST(ReadHostFacts, EverySysctlAskedForAndTheExtras) {
  PreparedTree tree;
  tree.sysctl("net.ipv4.tcp_keepalive_time", "60");
  tree.sysctl("net.core.somaxconn", "4096");
  HostFacts facts = read_host_facts(
      tree.paths(),
      {"net.ipv4.tcp_keepalive_time", "net/ipv4/tcp_keepalive_time", "net.core.default_qdisc"},
      config::Tcp{});
  EXPECT_EQ(facts.sysctl("net.ipv4.tcp_keepalive_time"), "60");
  EXPECT_EQ(facts.sysctl("net.core.somaxconn"), "4096");
  EXPECT_EQ(facts.sysctl("net.core.default_qdisc"), std::nullopt);
  EXPECT_EQ(facts.sysctls.size(), 2u + extra_sysctl_keys().size());
  EXPECT_FALSE(facts.interfaces.read);
  EXPECT_FALSE(facts.socket);
}

TEST(ReadInterfaces, LoopbackIsThere) {
  // The one reader that needs the real kernel: every network namespace has lo.
  Interfaces interfaces = read_interfaces();
  ASSERT_TRUE(interfaces.read) << interfaces.error;
  bool found = false;
  for (const InterfaceQdiscs& interface : interfaces.list) {
    if (!interface.loopback) continue;
    found = true;
    EXPECT_EQ(interface.name, "lo");
    EXPECT_GT(interface.index, 0);
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace ringway::preflight
