#pragma once
// The preflight's decisions: values in, verdicts out. No I/O here, so every
// verdict is reachable from a unit test with made-up values.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ringway/config/config.h"
#include "ringway/preflight/finding.h"
#include "ringway/preflight/host_facts.h"
#include "ringway/preflight/kernel_config.h"
#include "ringway/preflight/socket_tuning.h"
#include "ringway/preflight/sysctl_file.h"

namespace ringway::preflight {

// Capability bits of CapEff (linux/capability.h).
inline constexpr int capability_net_bind_service = 10;
inline constexpr int capability_sys_admin = 21;

// The check a sysctl key belongs to: "fq", "bbr", "keepalive", or "sysctl" for any other.
std::string_view check_for_sysctl(std::string_view key);

// One finding per setting of every file: ok, differs (fix: sysctl -p <file>, or
// sysctl -w when the file is the built-in copy), or unavailable (the key does
// not exist here, or the kernel lacks the option the value needs).
std::vector<Finding> decide_sysctls(const std::vector<SysctlFile>& files, const HostFacts& facts);

// Whether congestion control `wanted` can be used: listed in
// net.ipv4.tcp_available_congestion_control (`available`, nothing when unreadable).
Finding decide_congestion_available(std::string_view wanted,
                                    const std::optional<std::string>& available,
                                    const KernelConfig& kernel_config);

// The interfaces that carry traffic for the listen addresses: the loopback ones
// for loopback addresses, every interface that is up for a wildcard, else those
// holding the address. Addresses no interface holds are added to `unmatched`.
std::vector<const InterfaceQdiscs*> interfaces_for(const std::vector<config::ListenAddress>& listen,
                                                   const Interfaces& interfaces,
                                                   std::vector<std::string>& unmatched);

// The qdisc on each interface carrying the listeners' traffic against `expected`
// (the default_qdisc of the sysctl files). Loopback is ok whatever it has.
std::vector<Finding> decide_qdiscs(const std::vector<config::ListenAddress>& listen,
                                   const Interfaces& interfaces, std::string_view expected,
                                   const KernelConfig& kernel_config);

// kernel.io_uring_disabled (and kernel.io_uring_group for value 1).
Finding decide_io_uring(const std::optional<std::string>& disabled,
                        const std::optional<std::string>& group,
                        std::optional<std::uint64_t> capabilities,
                        const std::vector<gid_t>& groups);

// RLIMIT_NOFILE against workers * connections_per_worker plus slack. `ringway run`
// raises the soft limit up to the hard one, so the hard limit is what counts.
Finding decide_open_files(std::uint64_t soft, std::uint64_t hard, std::uint32_t workers,
                          std::uint32_t connections_per_worker, std::size_t listen_count);

// The file descriptors ringway needs: connections plus listeners, rings and files.
std::uint64_t open_files_needed(std::uint32_t workers, std::uint32_t connections_per_worker,
                                std::size_t listen_count);

// net.core.somaxconn against the backlog ringway passes to listen(2); the kernel
// silently caps the backlog at somaxconn.
Finding decide_somaxconn(const std::optional<std::string>& somaxconn, int backlog);

// Listen ports below 1024 against CAP_NET_BIND_SERVICE and ip_unprivileged_port_start.
Finding decide_ports(const std::vector<config::ListenAddress>& listen,
                     const std::optional<std::string>& unprivileged_port_start,
                     std::optional<std::uint64_t> capabilities);

// How the wolfSSL in use was built, as the TLS module reports it.
enum class WolfsslAesni { with_aesni, without_aesni, unknown };

// The CPU's AES-NI against the wolfSSL build. Without TLS listeners: not applicable.
Finding decide_aesni(std::optional<bool> cpu_aes, WolfsslAesni wolfssl, bool has_tls_listeners);

// Which per-socket options took effect on the probe socket: one finding per option.
std::vector<Finding> decide_socket_options(const std::optional<TcpTuningProbe>& probe,
                                           const config::Tcp& tcp,
                                           const KernelConfig& kernel_config);

// What the checks need to know besides the host.
struct PreflightInputs {
  std::vector<SysctlFile> sysctl_files;       // the expectations
  std::vector<Finding> sysctl_file_findings;  // how the files were found (check sysctl_files)
  std::vector<config::ListenAddress> listen;  // every listen address, HTTP and HTTPS
  std::uint32_t workers = 1;                  // resolved: never 0
  std::uint32_t connections_per_worker = 0;
  int listen_backlog = 0;
  config::Tcp tcp;
  WolfsslAesni wolfssl = WolfsslAesni::unknown;
  bool has_tls_listeners = false;
};

// Every check, in the order the table shows them.
std::vector<Finding> decide_all(const HostFacts& facts, const PreflightInputs& inputs);

}  // namespace ringway::preflight
