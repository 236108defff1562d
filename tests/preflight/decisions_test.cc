// Every verdict of every decision, from prepared trees and made-up values.

#include "ringway/preflight/decisions.h"

#include <sys/resource.h>

#include <cerrno>

#include <gtest/gtest.h>

#include "prepared_tree.h"

namespace ringway::preflight {
namespace {

std::vector<config::ListenAddress> listen(const std::string& addresses) {
  config::LoadResult result = config::parse_config(
      "[http]\nlisten = [" + addresses + "]\nacme_webroot = \"/srv\"\n", "test.toml");
  EXPECT_TRUE(result.ok) << ::testing::PrintToString(result.errors);
  return result.config.http.listen;
}

const Finding* find(const std::vector<Finding>& findings, std::string_view subject) {
  for (const Finding& finding : findings) {
    if (finding.subject == subject) return &finding;
  }
  ADD_FAILURE() << "no finding for " << subject;
  return nullptr;
}

// A machine like the one this was written on: no fq in the kernel, BBR as a
// module, Linux's keepalive defaults.
void prepare_host(const PreparedTree& tree) {
  tree.sysctl("net.core.default_qdisc", "pfifo_fast");
  tree.sysctl("net.ipv4.tcp_congestion_control", "cubic");
  tree.sysctl("net.ipv4.tcp_available_congestion_control", "reno cubic");
  tree.sysctl("net.ipv4.tcp_keepalive_time", "7200");
  tree.sysctl("net.ipv4.tcp_keepalive_intvl", "75");
  tree.sysctl("net.ipv4.tcp_keepalive_probes", "9");
  tree.sysctl("kernel.io_uring_disabled", "0");
  tree.sysctl("net.core.somaxconn", "4096");
  tree.sysctl("net.ipv4.ip_unprivileged_port_start", "1024");
  tree.write("boot/config-6.1.0-test", "# CONFIG_NET_SCH_FQ is not set\nCONFIG_TCP_CONG_BBR=m\n");
}

SysctlFile shipped_file(std::string_view name, std::string path) {
  for (const BuiltinFile& builtin : builtin_sysctl_files()) {
    if (builtin.name == name) return parse_sysctl_file(builtin.text, std::string(name), path);
  }
  ADD_FAILURE() << "no built-in " << name;
  return {};
}

HostFacts read_tree(const PreparedTree& tree, const std::vector<SysctlFile>& files) {
  std::vector<std::string> keys;
  for (const SysctlFile& file : files) {
    for (const SysctlSetting& setting : file.settings) keys.push_back(setting.key);
  }
  return read_host_facts(tree.paths(), keys, config::Tcp{});
}

// --- the sysctl files ---

TEST(DecideSysctls, OkDiffersAndUnavailableFromAPreparedTree) {
  PreparedTree tree;
  prepare_host(tree);
  tree.sysctl("net.ipv4.tcp_keepalive_intvl", "10");
  std::vector<SysctlFile> files = {shipped_file("01-bbr.conf", "/usr/lib/sysctl.d/01-bbr.conf"),
                                   shipped_file("02-keepalive.conf", "")};
  std::vector<Finding> findings = decide_sysctls(files, read_tree(tree, files));
  ASSERT_EQ(findings.size(), 5u);

  const Finding* qdisc = find(findings, "net.core.default_qdisc");
  EXPECT_EQ(qdisc->check, "fq");
  EXPECT_EQ(qdisc->verdict, Verdict::unavailable);
  EXPECT_EQ(qdisc->expected, "fq");
  EXPECT_EQ(qdisc->actual, "pfifo_fast");
  EXPECT_EQ(qdisc->reason, "the kernel has no fq: CONFIG_NET_SCH_FQ is not set (" + tree.root() +
                               "/boot/config-6.1.0-test)");
  EXPECT_EQ(qdisc->fix, "a kernel with CONFIG_NET_SCH_FQ=y or =m");

  const Finding* congestion = find(findings, "net.ipv4.tcp_congestion_control");
  EXPECT_EQ(congestion->check, "bbr");
  EXPECT_EQ(congestion->verdict, Verdict::differs);
  EXPECT_EQ(congestion->actual, "cubic");
  EXPECT_EQ(congestion->fix, "sysctl -p /usr/lib/sysctl.d/01-bbr.conf");
  EXPECT_EQ(congestion->reason, "CONFIG_TCP_CONG_BBR is a module: setting the sysctl loads it");

  const Finding* time = find(findings, "net.ipv4.tcp_keepalive_time");
  EXPECT_EQ(time->check, "keepalive");
  EXPECT_EQ(time->verdict, Verdict::differs);
  EXPECT_EQ(time->expected, "60");
  EXPECT_EQ(time->actual, "7200");
  // The built-in copy has no file to point sysctl -p at.
  EXPECT_EQ(time->fix, "sysctl -w net.ipv4.tcp_keepalive_time=60");

  EXPECT_EQ(find(findings, "net.ipv4.tcp_keepalive_intvl")->verdict, Verdict::ok);
  EXPECT_EQ(find(findings, "net.ipv4.tcp_keepalive_probes")->verdict, Verdict::differs);
}

TEST(DecideSysctls, KeyMissingInANetworkNamespace) {
  PreparedTree tree;
  prepare_host(tree);
  std::filesystem::remove(tree.root() + "/proc/sys/net/core/default_qdisc");
  std::filesystem::remove(tree.root() + "/boot/config-6.1.0-test");
  std::vector<SysctlFile> files = {shipped_file("01-bbr.conf", "/etc/ringway/01-bbr.conf")};
  std::vector<Finding> findings = decide_sysctls(files, read_tree(tree, files));
  const Finding* qdisc = find(findings, "net.core.default_qdisc");
  EXPECT_EQ(qdisc->verdict, Verdict::unavailable);
  EXPECT_EQ(qdisc->reason, "not in this network namespace (only the host's initial one has it)");
  EXPECT_EQ(qdisc->fix, "on the host: sysctl -p /etc/ringway/01-bbr.conf");
}

TEST(DecideSysctls, KeyMissingAndKernelWithoutTheOption) {
  PreparedTree tree;
  prepare_host(tree);
  std::filesystem::remove(tree.root() + "/proc/sys/net/core/default_qdisc");
  std::vector<SysctlFile> files = {shipped_file("01-bbr.conf", "/etc/ringway/01-bbr.conf")};
  std::vector<Finding> findings = decide_sysctls(files, read_tree(tree, files));
  const Finding* qdisc = find(findings, "net.core.default_qdisc");
  EXPECT_EQ(qdisc->verdict, Verdict::unavailable);
  EXPECT_EQ(qdisc->reason, "the kernel has no fq: CONFIG_NET_SCH_FQ is not set (" + tree.root() +
                               "/boot/config-6.1.0-test); and the key is not in this network "
                               "namespace (only the host's initial one has it)");
  EXPECT_EQ(qdisc->fix, "a kernel with CONFIG_NET_SCH_FQ=y or =m");
}

TEST(DecideSysctls, WithoutKernelConfigAWrongQdiscDiffers) {
  PreparedTree tree;
  prepare_host(tree);
  std::filesystem::remove(tree.root() + "/boot/config-6.1.0-test");
  std::vector<SysctlFile> files = {shipped_file("01-bbr.conf", "/x/01-bbr.conf")};
  std::vector<Finding> findings = decide_sysctls(files, read_tree(tree, files));
  EXPECT_EQ(find(findings, "net.core.default_qdisc")->verdict, Verdict::differs);
}

TEST(DecideSysctls, OptionalAndUnknownKeys) {
  PreparedTree tree;
  tree.sysctl("vm.swappiness", "60");
  std::vector<SysctlFile> files = {parse_sysctl_file(
      "-net.ipv4.not_here = 1\nnet.ipv4.not_here_either = 2\nvm.swappiness = 60\n", "x.conf",
      "/x.conf")};
  std::vector<Finding> findings = decide_sysctls(files, read_tree(tree, files));
  ASSERT_EQ(findings.size(), 3u);
  EXPECT_EQ(findings[0].verdict, Verdict::not_applicable);
  EXPECT_EQ(findings[1].verdict, Verdict::unavailable);
  EXPECT_EQ(findings[1].check, "sysctl");
  EXPECT_EQ(findings[1].reason, "not here (not built, or not in this network namespace)");
  EXPECT_EQ(findings[2].verdict, Verdict::ok);
  EXPECT_EQ(findings[2].actual, "60");
}

// --- congestion control ---

TEST(DecideCongestionAvailable, EveryVerdict) {
  KernelConfig built_in = KernelConfig::parse("CONFIG_TCP_CONG_BBR=y\n", "config");
  KernelConfig module = KernelConfig::parse("CONFIG_TCP_CONG_BBR=m\n", "config");
  KernelConfig without = KernelConfig::parse("# CONFIG_TCP_CONG_BBR is not set\n", "config");
  KernelConfig unknown;

  Finding ok = decide_congestion_available("bbr", "reno bbr cubic", unknown);
  EXPECT_EQ(ok.verdict, Verdict::ok);
  EXPECT_EQ(ok.check, "bbr");

  Finding not_loaded = decide_congestion_available("bbr", "reno cubic", module);
  EXPECT_EQ(not_loaded.verdict, Verdict::differs);
  EXPECT_EQ(not_loaded.fix, "modprobe tcp_bbr");

  Finding not_built = decide_congestion_available("bbr", "reno cubic", without);
  EXPECT_EQ(not_built.verdict, Verdict::unavailable);
  EXPECT_NE(not_built.reason.find("CONFIG_TCP_CONG_BBR is not set"), std::string::npos);

  EXPECT_EQ(decide_congestion_available("bbr", "reno cubic", unknown).verdict,
            Verdict::unavailable);
  EXPECT_EQ(decide_congestion_available("bbr", "reno cubic", built_in).verdict,
            Verdict::unavailable);
  EXPECT_EQ(decide_congestion_available("bbr", std::nullopt, unknown).verdict,
            Verdict::unavailable);
  EXPECT_EQ(decide_congestion_available("", "reno", unknown).verdict, Verdict::not_applicable);
  // "bbr" is a word of the list, not a substring of another name.
  EXPECT_EQ(decide_congestion_available("bbr", "reno bbr2", unknown).verdict, Verdict::unavailable);
}

// --- qdiscs ---

InterfaceQdiscs interface(std::string name, int index, bool up, std::string root,
                          std::vector<std::string> addresses = {},
                          std::vector<std::string> queues = {}) {
  InterfaceQdiscs result;
  result.name = std::move(name);
  result.index = index;
  result.up = up;
  result.loopback = result.name == "lo";
  result.root_qdisc = std::move(root);
  result.addresses = std::move(addresses);
  result.queue_qdiscs = std::move(queues);
  return result;
}

Interfaces some_interfaces() {
  Interfaces interfaces;
  interfaces.read = true;
  interfaces.list = {
      interface("lo", 1, true, "noqueue", {"127.0.0.1", "::1"}),
      interface("eth0", 2, true, "pfifo_fast", {"192.0.2.10", "2001:db8::10"}),
      interface("eth1", 3, true, "mq", {"192.0.2.11"}, {"fq", "fq", "fq"}),
      interface("eth2", 4, false, "fq", {"198.51.100.1"}),
      interface("veth0", 5, true, "noqueue"),
      interface("eth3", 6, true, "mq", {"192.0.2.13"}, {"pfifo_fast", "fq"}),
  };
  return interfaces;
}

std::vector<std::string> subjects(const std::vector<Finding>& findings) {
  std::vector<std::string> result;
  for (const Finding& finding : findings) result.push_back(finding.subject);
  return result;
}

TEST(DecideQdiscs, LoopbackListenersLookAtLoopbackOnly) {
  KernelConfig unknown;
  for (const char* address : {"\"127.0.0.1:80\"", "\"[::1]:80\"", "\"127.0.0.53:80\""}) {
    std::vector<Finding> findings =
        decide_qdiscs(listen(address), some_interfaces(), "fq", unknown);
    ASSERT_EQ(findings.size(), 1u) << address;
    EXPECT_EQ(findings[0].subject, "qdisc on lo");
    EXPECT_EQ(findings[0].verdict, Verdict::ok);
    EXPECT_EQ(findings[0].actual, "noqueue");
    EXPECT_EQ(findings[0].reason, "loopback: nothing to pace");
  }
}

TEST(DecideQdiscs, WildcardsLookAtEveryInterfaceThatIsUp) {
  std::vector<Finding> findings =
      decide_qdiscs(listen("\"0.0.0.0:80\", \"[::]:80\""), some_interfaces(), "fq", {});
  EXPECT_EQ(subjects(findings),
            (std::vector<std::string>{"qdisc on lo", "qdisc on eth0", "qdisc on eth1",
                                      "qdisc on veth0", "qdisc on eth3"}));
  const Finding* eth0 = find(findings, "qdisc on eth0");
  EXPECT_EQ(eth0->verdict, Verdict::differs);
  EXPECT_EQ(eth0->actual, "pfifo_fast");
  EXPECT_EQ(eth0->fix, "tc qdisc replace dev eth0 root fq");
  const Finding* eth1 = find(findings, "qdisc on eth1");
  EXPECT_EQ(eth1->verdict, Verdict::ok);
  EXPECT_EQ(eth1->actual, "mq(fq)");
  EXPECT_EQ(find(findings, "qdisc on veth0")->verdict, Verdict::differs);
  const Finding* eth3 = find(findings, "qdisc on eth3");
  EXPECT_EQ(eth3->verdict, Verdict::differs);
  EXPECT_EQ(eth3->actual, "mq(fq, pfifo_fast)");
  EXPECT_NE(eth3->fix.find("tc qdisc del dev eth3 root"), std::string::npos) << eth3->fix;
}

TEST(DecideQdiscs, AnAddressLooksAtTheInterfaceHoldingIt) {
  std::vector<Finding> findings =
      decide_qdiscs(listen("\"192.0.2.10:80\", \"[2001:db8::10]:80\", \"198.51.100.1:80\""),
                    some_interfaces(), "fq", {});
  EXPECT_EQ(subjects(findings), (std::vector<std::string>{"qdisc on eth0", "qdisc on eth2"}));
  EXPECT_EQ(findings[1].verdict, Verdict::ok);
}

TEST(DecideQdiscs, AnAddressNoInterfaceHolds) {
  std::vector<Finding> findings =
      decide_qdiscs(listen("\"203.0.113.5:80\""), some_interfaces(), "fq", {});
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].subject, "qdisc for 203.0.113.5:80");
  EXPECT_EQ(findings[0].verdict, Verdict::unavailable);
  EXPECT_EQ(findings[0].reason, "no interface holds this address");
}

TEST(DecideQdiscs, FqNotBuiltIsUnavailable) {
  KernelConfig without = KernelConfig::parse("# CONFIG_NET_SCH_FQ is not set\n", "/proc/config.gz");
  std::vector<Finding> findings =
      decide_qdiscs(listen("\"192.0.2.10:80\""), some_interfaces(), "fq", without);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].verdict, Verdict::unavailable);
  EXPECT_EQ(findings[0].reason,
            "the kernel has no fq: CONFIG_NET_SCH_FQ is not set (/proc/config.gz)");
  EXPECT_EQ(findings[0].fix, "a kernel with CONFIG_NET_SCH_FQ=y or =m");
}

TEST(DecideQdiscs, NothingToCompareOrNothingRead) {
  std::vector<Finding> none = decide_qdiscs(listen("\"0.0.0.0:80\""), some_interfaces(), "", {});
  ASSERT_EQ(none.size(), 1u);
  EXPECT_EQ(none[0].verdict, Verdict::not_applicable);
  Interfaces unread;
  unread.error = "rtnetlink socket: Permission denied";
  std::vector<Finding> failed = decide_qdiscs(listen("\"0.0.0.0:80\""), unread, "fq", {});
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].verdict, Verdict::unavailable);
  EXPECT_EQ(failed[0].reason, "rtnetlink socket: Permission denied");
}

// --- the process ---

TEST(DecideIoUring, EveryVerdict) {
  std::uint64_t sys_admin = std::uint64_t{1} << capability_sys_admin;
  EXPECT_EQ(decide_io_uring(std::nullopt, std::nullopt, 0, {}).verdict, Verdict::ok);
  EXPECT_EQ(decide_io_uring("0", "-1", 0, {}).verdict, Verdict::ok);
  Finding disabled = decide_io_uring("2", "-1", sys_admin, {});
  EXPECT_EQ(disabled.verdict, Verdict::differs);
  EXPECT_EQ(disabled.fix, "sysctl -w kernel.io_uring_disabled=0");
  EXPECT_EQ(decide_io_uring("1", "-1", sys_admin, {}).verdict, Verdict::ok);
  EXPECT_EQ(decide_io_uring("1", "1234", 0, {1000, 1234}).verdict, Verdict::ok);
  EXPECT_EQ(decide_io_uring("1", "-1", 0, {1000}).verdict, Verdict::differs);
  EXPECT_EQ(decide_io_uring("1", "1234", std::nullopt, {1000}).verdict, Verdict::differs);
}

TEST(DecideOpenFiles, EveryVerdict) {
  std::uint64_t needed = open_files_needed(2, 16384, 2);
  EXPECT_EQ(needed, 2u * (16384 + 2 + 8) + 64);
  Finding enough = decide_open_files(needed, needed, 2, 16384, 2);
  EXPECT_EQ(enough.verdict, Verdict::ok);
  Finding raised = decide_open_files(1024, 1048576, 2, 16384, 2);
  EXPECT_EQ(raised.verdict, Verdict::ok);
  EXPECT_NE(raised.reason.find("raises the soft limit"), std::string::npos);
  Finding short_by_one = decide_open_files(1024, needed - 1, 2, 16384, 2);
  EXPECT_EQ(short_by_one.verdict, Verdict::differs);
  EXPECT_EQ(short_by_one.expected, ">= " + std::to_string(needed));
  EXPECT_NE(short_by_one.fix.find("LimitNOFILE=" + std::to_string(needed)), std::string::npos);
  EXPECT_EQ(decide_open_files(RLIM_INFINITY, RLIM_INFINITY, 64, 1048576, 2).verdict, Verdict::ok);
}

TEST(DecideSomaxconn, EveryVerdict) {
  EXPECT_EQ(decide_somaxconn("4096", 4096).verdict, Verdict::ok);
  Finding low = decide_somaxconn("128", 4096);
  EXPECT_EQ(low.verdict, Verdict::differs);
  EXPECT_EQ(low.fix, "sysctl -w net.core.somaxconn=4096");
  EXPECT_EQ(decide_somaxconn(std::nullopt, 4096).verdict, Verdict::unavailable);
  EXPECT_EQ(decide_somaxconn("junk", 4096).verdict, Verdict::unavailable);
}

TEST(DecidePorts, EveryVerdict) {
  std::uint64_t bind_service = std::uint64_t{1} << capability_net_bind_service;
  Finding high = decide_ports(listen("\"127.0.0.1:8080\""), "1024", 0);
  EXPECT_EQ(high.verdict, Verdict::ok);
  EXPECT_EQ(high.reason, "none");
  auto low = listen("\"0.0.0.0:80\", \"[::]:80\", \"0.0.0.0:443\"");
  Finding capable = decide_ports(low, "1024", bind_service);
  EXPECT_EQ(capable.verdict, Verdict::ok);
  EXPECT_EQ(capable.subject, "listen ports 80, 443");
  EXPECT_EQ(decide_ports(low, "80", 0).verdict, Verdict::ok);
  EXPECT_EQ(decide_ports(low, "0", 0).verdict, Verdict::ok);
  Finding refused = decide_ports(low, "1024", 0);
  EXPECT_EQ(refused.verdict, Verdict::differs);
  EXPECT_NE(refused.fix.find("ip_unprivileged_port_start=80"), std::string::npos);
  EXPECT_EQ(decide_ports(low, "443", 0).verdict, Verdict::differs);
  EXPECT_EQ(decide_ports(low, std::nullopt, std::nullopt).verdict, Verdict::unavailable);
}

TEST(DecideAesni, EveryVerdict) {
  Finding without_tls = decide_aesni(true, WolfsslAesni::unknown, false);
  EXPECT_EQ(without_tls.verdict, Verdict::not_applicable);
  EXPECT_EQ(without_tls.reason, "no TLS listeners");
  EXPECT_EQ(decide_aesni(true, WolfsslAesni::with_aesni, true).verdict, Verdict::ok);
  Finding slow = decide_aesni(true, WolfsslAesni::without_aesni, true);
  EXPECT_EQ(slow.verdict, Verdict::differs);
  EXPECT_NE(slow.fix.find("--enable-aesni"), std::string::npos);
  EXPECT_EQ(decide_aesni(true, WolfsslAesni::unknown, true).verdict, Verdict::unavailable);
  EXPECT_EQ(decide_aesni(false, WolfsslAesni::with_aesni, true).verdict, Verdict::unavailable);
  EXPECT_EQ(decide_aesni(std::nullopt, WolfsslAesni::with_aesni, true).verdict,
            Verdict::unavailable);
}

// --- per-socket options ---

TcpTuningProbe good_probe() {
  TcpTuningProbe probe;
  probe.keepalive = 1;
  probe.keepalive_idle_s = 60;
  probe.keepalive_interval_s = 10;
  probe.keepalive_count = 6;
  probe.congestion = "bbr";
  return probe;
}

TEST(DecideSocketOptions, AllTookEffect) {
  std::vector<Finding> findings = decide_socket_options(good_probe(), config::Tcp{}, {});
  ASSERT_EQ(findings.size(), 5u);
  for (const Finding& finding : findings) {
    EXPECT_EQ(finding.verdict, Verdict::ok) << finding.subject;
    EXPECT_EQ(finding.check, "socket");
  }
  EXPECT_EQ(find(findings, "socket TCP_CONGESTION")->actual, "bbr");
  EXPECT_EQ(find(findings, "socket TCP_KEEPIDLE")->actual, "60");
}

TEST(DecideSocketOptions, CongestionControlTheKernelLacks) {
  TcpTuningProbe probe = good_probe();
  probe.set.congestion_error = ENOENT;
  probe.congestion = "cubic";
  KernelConfig without = KernelConfig::parse("", "/proc/config.gz");
  std::vector<Finding> findings = decide_socket_options(probe, config::Tcp{}, without);
  const Finding* congestion = find(findings, "socket TCP_CONGESTION");
  EXPECT_EQ(congestion->verdict, Verdict::unavailable);
  EXPECT_EQ(congestion->actual, "cubic");
  EXPECT_EQ(congestion->reason,
            "the kernel has no bbr: CONFIG_TCP_CONG_BBR is not set (/proc/config.gz)");
  EXPECT_EQ(congestion->fix, "a kernel with CONFIG_TCP_CONG_BBR=y or =m");
}

TEST(DecideSocketOptions, CongestionControlNotPermitted) {
  TcpTuningProbe probe = good_probe();
  probe.set.congestion_error = EPERM;
  probe.congestion = "cubic";
  std::vector<Finding> findings = decide_socket_options(probe, config::Tcp{}, {});
  const Finding* congestion = find(findings, "socket TCP_CONGESTION");
  EXPECT_EQ(congestion->verdict, Verdict::differs);
  EXPECT_EQ(congestion->fix, "modprobe tcp_bbr on the host");
}

TEST(DecideSocketOptions, ReadsBackDifferentOrNotSet) {
  TcpTuningProbe probe = good_probe();
  probe.keepalive_count = 9;
  probe.set.keepalive_interval_error = EINVAL;
  config::Tcp tcp;
  tcp.congestion.clear();
  std::vector<Finding> findings = decide_socket_options(probe, tcp, {});
  EXPECT_EQ(find(findings, "socket TCP_KEEPCNT")->verdict, Verdict::differs);
  const Finding* interval = find(findings, "socket TCP_KEEPINTVL");
  EXPECT_EQ(interval->verdict, Verdict::unavailable);
  EXPECT_EQ(interval->reason, "setsockopt: Invalid argument");
  EXPECT_EQ(find(findings, "socket TCP_CONGESTION")->verdict, Verdict::not_applicable);
}

TEST(DecideSocketOptions, NoSocket) {
  TcpTuningProbe probe;
  probe.socket_error = EMFILE;
  std::vector<Finding> findings = decide_socket_options(probe, config::Tcp{}, {});
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].verdict, Verdict::unavailable);
  EXPECT_EQ(decide_socket_options(std::nullopt, config::Tcp{}, {})[0].verdict,
            Verdict::unavailable);
}

// --- all together ---

TEST(DecideAll, APreparedHostInTableOrder) {
  PreparedTree tree;
  prepare_host(tree);
  tree.write("proc/cpuinfo", "flags\t: fpu aes\n");
  PreflightInputs inputs;
  inputs.sysctl_files = {shipped_file("01-bbr.conf", "/usr/lib/sysctl.d/01-bbr.conf"),
                         shipped_file("02-keepalive.conf", "/usr/lib/sysctl.d/02-keepalive.conf")};
  inputs.listen = listen("\"127.0.0.1:8080\"");
  inputs.workers = 2;
  inputs.connections_per_worker = 1000;
  inputs.listen_backlog = 4096;
  HostFacts facts = read_tree(tree, inputs.sysctl_files);
  facts.open_files_soft = 1024;
  facts.open_files_hard = 1048576;
  facts.interfaces = some_interfaces();
  facts.socket = good_probe();
  std::vector<Finding> findings = decide_all(facts, inputs);
  std::vector<std::string> rows;
  for (const Finding& finding : findings) {
    rows.push_back(finding.check + " " + finding.subject + " " +
                   std::string(verdict_name(finding.verdict)));
  }
  EXPECT_EQ(rows, (std::vector<std::string>{
                      "fq net.core.default_qdisc unavailable",
                      "bbr net.ipv4.tcp_congestion_control differs",
                      "keepalive net.ipv4.tcp_keepalive_time differs",
                      "keepalive net.ipv4.tcp_keepalive_intvl differs",
                      "keepalive net.ipv4.tcp_keepalive_probes differs",
                      "fq qdisc on lo ok",
                      "bbr net.ipv4.tcp_available_congestion_control differs",
                      "socket socket SO_KEEPALIVE ok",
                      "socket socket TCP_KEEPIDLE ok",
                      "socket socket TCP_KEEPINTVL ok",
                      "socket socket TCP_KEEPCNT ok",
                      "socket socket TCP_CONGESTION ok",
                      "io_uring kernel.io_uring_disabled ok",
                      "nofile RLIMIT_NOFILE ok",
                      "somaxconn net.core.somaxconn ok",
                      "ports listen ports below 1024 ok",
                      "aesni AES-NI n/a",
                  }));
}

}  // namespace
}  // namespace ringway::preflight
