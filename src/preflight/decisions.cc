// Decisions about the process and its sockets: io_uring, file limits, listen
// backlog, privileged ports, AES-NI and the per-socket TCP options.

#include "ringway/preflight/decisions.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

namespace ringway::preflight {
namespace {

std::optional<std::int64_t> parse_integer(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  std::int64_t value = 0;
  const char* end = text->data() + text->size();
  auto [stop, error] = std::from_chars(text->data(), end, value);
  if (error != std::errc{} || stop != end) return std::nullopt;
  return value;
}

std::uint16_t port_of(const config::ListenAddress& address) {
  if (address.ipv6)
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&address.address)->sin6_port);
  return ntohs(reinterpret_cast<const sockaddr_in*>(&address.address)->sin_port);
}

bool has_capability(std::optional<std::uint64_t> capabilities, int capability) {
  return capabilities && ((*capabilities >> capability) & 1u) != 0;
}

Finding socket_option(std::string_view option, std::string expected, int set_error,
                      std::string actual) {
  Finding finding;
  finding.check = "socket";
  finding.subject = fmt::format("socket {}", option);
  finding.expected = std::move(expected);
  finding.actual = std::move(actual);
  if (set_error != 0) {
    finding.verdict = Verdict::unavailable;
    finding.reason = fmt::format("setsockopt: {}", std::strerror(set_error));
  } else if (finding.actual != finding.expected) {
    finding.verdict = Verdict::differs;
    finding.reason = "set, but reads back different";
  }
  return finding;
}

Finding congestion_option(const TcpTuningProbe& probe, const config::Tcp& tcp,
                          const KernelConfig& kernel_config) {
  Finding finding =
      socket_option("TCP_CONGESTION", tcp.congestion, probe.set.congestion_error, probe.congestion);
  if (tcp.congestion.empty()) {
    finding.verdict = Verdict::not_applicable;
    finding.expected.clear();
    finding.reason = "[tcp] congestion is empty: the system default applies";
  } else if (probe.set.congestion_error == ENOENT) {
    std::string option = congestion_kernel_option(tcp.congestion);
    finding.reason = fmt::format("the kernel has no {}", tcp.congestion);
    if (kernel_config.state(option) == OptionState::not_set) {
      finding.reason += fmt::format(": {} is not set ({})", option, kernel_config.source());
    }
    finding.fix = fmt::format("a kernel with {}=y or =m", option);
  } else if (probe.set.congestion_error == EPERM) {
    finding.verdict = Verdict::differs;
    finding.reason = fmt::format(
        "tcp_{} is a module that is not loaded, or not in "
        "net.ipv4.tcp_allowed_congestion_control, and this process lacks CAP_NET_ADMIN",
        tcp.congestion);
    finding.fix = fmt::format("modprobe tcp_{} on the host", tcp.congestion);
  }
  return finding;
}

}  // namespace

Finding decide_io_uring(const std::optional<std::string>& disabled,
                        const std::optional<std::string>& group,
                        std::optional<std::uint64_t> capabilities,
                        const std::vector<gid_t>& groups) {
  Finding finding;
  finding.check = "io_uring";
  finding.subject = "kernel.io_uring_disabled";
  finding.expected = "0";
  if (!disabled) {
    finding.reason = "absent: the kernel (before 6.6) does not restrict io_uring";
    return finding;
  }
  finding.actual = *disabled;
  std::optional<std::int64_t> value = parse_integer(disabled);
  if (value == 0) return finding;
  finding.fix = "sysctl -w kernel.io_uring_disabled=0";
  if (value == 1) {
    std::optional<std::int64_t> allowed_group = parse_integer(group);
    bool in_group =
        allowed_group && *allowed_group >= 0 &&
        std::find(groups.begin(), groups.end(), static_cast<gid_t>(*allowed_group)) != groups.end();
    if (has_capability(capabilities, capability_sys_admin) || in_group) {
      finding.reason = in_group ? "restricted, but this process is in kernel.io_uring_group"
                                : "restricted, but this process has CAP_SYS_ADMIN";
      finding.fix.clear();
      return finding;
    }
    finding.verdict = Verdict::differs;
    finding.reason = "io_uring is only for CAP_SYS_ADMIN and kernel.io_uring_group";
    finding.fix += ", or run ringway in the group kernel.io_uring_group names";
    return finding;
  }
  finding.verdict = Verdict::differs;
  finding.reason = "io_uring is disabled for every process: ringway cannot serve";
  return finding;
}

std::uint64_t open_files_needed(std::uint32_t workers, std::uint32_t connections_per_worker,
                                std::size_t listen_count) {
  // Per worker: its connections, its own listening sockets, its ring and a few
  // more; for the process: standard streams, logs, the webroot, control files.
  constexpr std::uint64_t per_worker_extra = 8;
  constexpr std::uint64_t process_extra = 64;
  return std::uint64_t{workers} * (connections_per_worker + listen_count + per_worker_extra) +
         process_extra;
}

Finding decide_open_files(std::uint64_t soft, std::uint64_t hard, std::uint32_t workers,
                          std::uint32_t connections_per_worker, std::size_t listen_count) {
  std::uint64_t needed = open_files_needed(workers, connections_per_worker, listen_count);
  auto text = [](std::uint64_t limit) {
    return limit == RLIM_INFINITY ? std::string("unlimited") : std::to_string(limit);
  };
  Finding finding;
  finding.check = "nofile";
  finding.subject = "RLIMIT_NOFILE";
  finding.expected = fmt::format(">= {}", needed);
  finding.actual = fmt::format("soft {}, hard {}", text(soft), text(hard));
  // Not fmt: GCC 12 at -O3 warns inside fmt 9 here (stringop-overflow, a false positive).
  finding.reason = std::to_string(workers) + " workers x " +
                   std::to_string(connections_per_worker) +
                   " connections, plus listeners and files";
  if (soft >= needed) return finding;
  if (hard >= needed) {
    finding.reason += fmt::format("; ringway run raises the soft limit to {}", needed);
    return finding;
  }
  finding.verdict = Verdict::differs;
  finding.fix = fmt::format(
      "raise the hard limit to {0} (systemd LimitNOFILE={0}, docker --ulimit nofile={0}:{0}), "
      "or lower workers or limits.connections_per_worker",
      needed);
  return finding;
}

Finding decide_somaxconn(const std::optional<std::string>& somaxconn, int backlog) {
  Finding finding;
  finding.check = "somaxconn";
  finding.subject = "net.core.somaxconn";
  finding.expected = fmt::format(">= {}", backlog);
  std::optional<std::int64_t> value = parse_integer(somaxconn);
  if (!value) {
    finding.verdict = Verdict::unavailable;
    finding.reason = "cannot be read";
    return finding;
  }
  finding.actual = *somaxconn;
  if (*value >= backlog) return finding;
  finding.verdict = Verdict::differs;
  finding.reason = fmt::format("listen backlogs are capped at it: ringway asks for {}", backlog);
  finding.fix = fmt::format("sysctl -w net.core.somaxconn={}", backlog);
  return finding;
}

Finding decide_ports(const std::vector<config::ListenAddress>& listen,
                     const std::optional<std::string>& unprivileged_port_start,
                     std::optional<std::uint64_t> capabilities) {
  Finding finding;
  finding.check = "ports";
  finding.subject = "listen ports below 1024";
  std::vector<std::uint16_t> low_ports;
  for (const config::ListenAddress& address : listen) {
    std::uint16_t port = port_of(address);
    if (port < 1024) low_ports.push_back(port);
  }
  std::sort(low_ports.begin(), low_ports.end());
  low_ports.erase(std::unique(low_ports.begin(), low_ports.end()), low_ports.end());
  if (low_ports.empty()) {
    finding.reason = "none";
    return finding;
  }
  finding.subject = "listen ports";
  for (std::uint16_t port : low_ports) {
    finding.subject += (port == low_ports.front() ? " " : ", ") + std::to_string(port);
  }
  // Before Linux 4.11 the boundary was fixed at 1024 and the key did not exist.
  std::int64_t start = parse_integer(unprivileged_port_start).value_or(1024);
  finding.expected = "CAP_NET_BIND_SERVICE";
  if (low_ports.front() >= start) {
    finding.actual = fmt::format("net.ipv4.ip_unprivileged_port_start = {}", start);
    return finding;
  }
  if (has_capability(capabilities, capability_net_bind_service)) {
    finding.actual = "CAP_NET_BIND_SERVICE";
    return finding;
  }
  finding.verdict = capabilities ? Verdict::differs : Verdict::unavailable;
  finding.actual =
      fmt::format("{}; net.ipv4.ip_unprivileged_port_start = {}",
                  capabilities ? "no CAP_NET_BIND_SERVICE" : "capabilities unknown", start);
  finding.fix = fmt::format(
      "run as root, or setcap cap_net_bind_service=+ep on the binary, or "
      "AmbientCapabilities=CAP_NET_BIND_SERVICE in its systemd unit, or "
      "sysctl -w net.ipv4.ip_unprivileged_port_start={}",
      low_ports.front());
  return finding;
}

Finding decide_aesni(std::optional<bool> cpu_aes, WolfsslAesni wolfssl, bool has_tls_listeners) {
  Finding finding;
  finding.check = "aesni";
  finding.subject = "AES-NI";
  finding.expected = "CPU and wolfSSL with AES-NI";
  std::string cpu = !cpu_aes ? "CPU unknown" : *cpu_aes ? "CPU has AES-NI" : "CPU lacks AES-NI";
  std::string_view library = wolfssl == WolfsslAesni::with_aesni      ? "wolfSSL uses it"
                             : wolfssl == WolfsslAesni::without_aesni ? "wolfSSL built without it"
                                                                      : "wolfSSL build unknown";
  finding.actual = fmt::format("{}, {}", cpu, library);
  if (!has_tls_listeners) {
    finding.verdict = Verdict::not_applicable;
    finding.expected.clear();
    finding.actual = cpu;
    finding.reason = "no TLS listeners";
    return finding;
  }
  if (cpu_aes != true) {
    finding.verdict = Verdict::unavailable;
    finding.reason = cpu_aes ? "AES-GCM runs in software on this CPU" : "cannot read the CPU flags";
    return finding;
  }
  if (wolfssl == WolfsslAesni::with_aesni) return finding;
  finding.verdict =
      wolfssl == WolfsslAesni::without_aesni ? Verdict::differs : Verdict::unavailable;
  finding.reason = "without AES-NI, AES-GCM is about 25 times slower";
  finding.fix = "wolfSSL configured with --enable-aesni --enable-intelasm";
  return finding;
}

std::vector<Finding> decide_socket_options(const std::optional<TcpTuningProbe>& probe,
                                           const config::Tcp& tcp,
                                           const KernelConfig& kernel_config) {
  if (!probe || probe->socket_error != 0) {
    Finding finding;
    finding.check = "socket";
    finding.subject = "socket options";
    finding.verdict = Verdict::unavailable;
    finding.reason = probe ? fmt::format("socket: {}", std::strerror(probe->socket_error))
                           : std::string("not probed");
    return {finding};
  }
  const TcpTuningResult& set = probe->set;
  auto number = [](int value) { return value < 0 ? std::string() : std::to_string(value); };
  return {
      socket_option("SO_KEEPALIVE", "1", set.keepalive_error, number(probe->keepalive)),
      socket_option("TCP_KEEPIDLE", std::to_string(tcp.keepalive_idle_s), set.keepalive_idle_error,
                    number(probe->keepalive_idle_s)),
      socket_option("TCP_KEEPINTVL", std::to_string(tcp.keepalive_interval_s),
                    set.keepalive_interval_error, number(probe->keepalive_interval_s)),
      socket_option("TCP_KEEPCNT", std::to_string(tcp.keepalive_count), set.keepalive_count_error,
                    number(probe->keepalive_count)),
      congestion_option(*probe, tcp, kernel_config),
  };
}

std::vector<Finding> decide_all(const HostFacts& facts, const PreflightInputs& inputs) {
  std::vector<Finding> findings = inputs.sysctl_file_findings;
  auto append = [&](std::vector<Finding> more) {
    for (Finding& finding : more) findings.push_back(std::move(finding));
  };
  append(decide_sysctls(inputs.sysctl_files, facts));
  std::string qdisc;
  std::string congestion = inputs.tcp.congestion;
  for (const SysctlFile& file : inputs.sysctl_files) {
    for (const SysctlSetting& setting : file.settings) {
      std::string key = sysctl_key_dotted(setting.key);
      if (key == "net.core.default_qdisc") qdisc = setting.value;
      if (key == "net.ipv4.tcp_congestion_control" && congestion.empty()) {
        congestion = setting.value;
      }
    }
  }
  append(decide_qdiscs(inputs.listen, facts.interfaces, qdisc, facts.kernel_config));
  findings.push_back(decide_congestion_available(
      congestion, facts.sysctl("net.ipv4.tcp_available_congestion_control"), facts.kernel_config));
  append(decide_socket_options(facts.socket, inputs.tcp, facts.kernel_config));
  findings.push_back(decide_io_uring(facts.sysctl("kernel.io_uring_disabled"),
                                     facts.sysctl("kernel.io_uring_group"),
                                     facts.effective_capabilities, facts.groups));
  findings.push_back(decide_open_files(facts.open_files_soft, facts.open_files_hard, inputs.workers,
                                       inputs.connections_per_worker, inputs.listen.size()));
  findings.push_back(decide_somaxconn(facts.sysctl("net.core.somaxconn"), inputs.listen_backlog));
  findings.push_back(decide_ports(inputs.listen,
                                  facts.sysctl("net.ipv4.ip_unprivileged_port_start"),
                                  facts.effective_capabilities));
  findings.push_back(decide_aesni(facts.cpu_aes, inputs.wolfssl, inputs.has_tls_listeners));
  return findings;
}

}  // namespace ringway::preflight
