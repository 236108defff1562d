#pragma once
// Everything the preflight decides on, read from the running system into plain
// values. Reading is the only I/O; decisions.h turns these values into verdicts.
// Every path is relative to a configurable root so tests can use prepared trees.

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ringway/preflight/kernel_config.h"
#include "ringway/preflight/socket_tuning.h"

namespace ringway::preflight {

struct HostPaths {
  std::string proc_sys = "/proc/sys";  // sysctls
  std::string proc = "/proc";          // config.gz, cpuinfo, self/status
  std::string boot = "/boot";          // config-<release>
  std::string kernel_release;          // empty: uname(2)'s
  bool read_interfaces = true;         // rtnetlink; off in tests over prepared trees
  bool read_process = true;            // this process's limits, uid, groups; off in tests
  bool probe_socket = true;            // a throwaway TCP socket; off in tests over prepared trees
};

struct InterfaceQdiscs {
  std::string name;
  int index = 0;
  bool up = false;
  bool loopback = false;
  std::string root_qdisc;                 // the kind at the root, "" when none was reported
  std::vector<std::string> queue_qdiscs;  // under a multiqueue root (mq): one per queue
  std::vector<std::string> addresses;     // numeric, as inet_ntop writes them
};

struct Interfaces {
  bool read = false;
  std::string error;  // why they could not be read, when !read
  std::vector<InterfaceQdiscs> list;
};

struct HostFacts {
  // Every sysctl asked for, by dotted key; nothing when the key does not exist here.
  std::vector<std::pair<std::string, std::optional<std::string>>> sysctls;
  KernelConfig kernel_config;
  std::optional<bool> cpu_aes;                          // from the cpuinfo flags
  std::optional<std::uint64_t> effective_capabilities;  // CapEff
  uid_t effective_uid = 0;
  std::vector<gid_t> groups;  // effective and supplementary
  std::uint64_t open_files_soft = 0;
  std::uint64_t open_files_hard = 0;
  Interfaces interfaces;
  std::optional<TcpTuningProbe> socket;

  // The value of `key` ('.' or '/' separators), nothing when absent or not read.
  std::optional<std::string> sysctl(std::string_view key) const;
};

// The sysctls the checks read beyond those in the sysctl files.
std::vector<std::string> extra_sysctl_keys();

// One sysctl, trailing newline removed; nothing when it does not exist or cannot be read.
std::optional<std::string> read_sysctl(const std::string& proc_sys, std::string_view key);

// The kernel's build options from <proc>/config.gz, else <boot>/config-<release>;
// unknown (no source) when neither can be read.
KernelConfig read_kernel_config(const HostPaths& paths);

// Whether the CPU has AES-NI ("aes" in the x86 flags, or the arm64 Features).
std::optional<bool> read_cpu_aes(const HostPaths& paths);

// CapEff of <proc>/self/status.
std::optional<std::uint64_t> read_effective_capabilities(const HostPaths& paths);

// The interfaces, their addresses and their qdiscs, over rtnetlink.
Interfaces read_interfaces();

// All of it. `sysctl_keys` are read along with extra_sysctl_keys().
HostFacts read_host_facts(const HostPaths& paths, const std::vector<std::string>& sysctl_keys,
                          const config::Tcp& tcp);

}  // namespace ringway::preflight
