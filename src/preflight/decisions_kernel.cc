// Decisions about the kernel's network settings: the sysctl files, the qdiscs
// attached to the interfaces, and the congestion controls the kernel has.

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>

#include <fmt/format.h>

#include "ringway/preflight/decisions.h"
#include "words.h"

namespace ringway::preflight {
namespace {

// "CONFIG_NET_SCH_FQ is not set (/proc/config.gz)"
std::string not_set_reason(std::string_view what, std::string_view option,
                           const KernelConfig& kernel_config) {
  return fmt::format("the kernel has no {}: {} is not set ({})", what, option,
                     kernel_config.source());
}

std::string kernel_fix(std::string_view option) {
  return fmt::format("a kernel with {}=y or =m", option);
}

std::string apply_fix(const SysctlFile& file, const SysctlSetting& setting) {
  if (!file.path.empty()) return fmt::format("sysctl -p {}", file.path);
  return fmt::format("sysctl -w {}={}", sysctl_key_dotted(setting.key), setting.value);
}

std::string missing_key_reason(std::string_view key) {
  if (key == "net.core.default_qdisc") {
    return "not in this network namespace (only the host's initial one has it)";
  }
  return "not here (not built, or not in this network namespace)";
}

Finding decide_setting(const SysctlFile& file, const SysctlSetting& setting,
                       const HostFacts& facts) {
  std::string key = sysctl_key_dotted(setting.key);
  Finding finding;
  finding.check = check_for_sysctl(key);
  finding.subject = key;
  finding.expected = setting.value;
  std::optional<std::string> actual = facts.sysctl(key);
  if (actual) finding.actual = *actual;
  std::string option = kernel_option_for(key, setting.value);
  OptionState state = option.empty() ? OptionState::unknown : facts.kernel_config.state(option);
  if (actual && sysctl_values_equal(*actual, setting.value)) {
    finding.verdict = Verdict::ok;
  } else if (state == OptionState::not_set) {
    finding.verdict = Verdict::unavailable;
    finding.reason = not_set_reason(setting.value, option, facts.kernel_config);
    if (!actual) finding.reason += "; and the key is " + missing_key_reason(key);
    finding.fix = kernel_fix(option);
  } else if (!actual) {
    finding.verdict = setting.ignore_failure ? Verdict::not_applicable : Verdict::unavailable;
    finding.reason = missing_key_reason(key);
    if (key == "net.core.default_qdisc") finding.fix = "on the host: " + apply_fix(file, setting);
  } else {
    finding.verdict = Verdict::differs;
    finding.fix = apply_fix(file, setting);
    if (state == OptionState::module) {
      finding.reason = fmt::format("{} is a module: setting the sysctl loads it", option);
    }
  }
  return finding;
}

std::string host_text(const config::ListenAddress& address) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ipv6) {
    const auto* ipv6 = reinterpret_cast<const sockaddr_in6*>(&address.address);
    inet_ntop(AF_INET6, &ipv6->sin6_addr, text, sizeof text);
  } else {
    const auto* ipv4 = reinterpret_cast<const sockaddr_in*>(&address.address);
    inet_ntop(AF_INET, &ipv4->sin_addr, text, sizeof text);
  }
  return text;
}

bool is_wildcard(const config::ListenAddress& address) {
  std::string host = host_text(address);
  return host == "0.0.0.0" || host == "::";
}

bool is_loopback(const config::ListenAddress& address) {
  std::string host = host_text(address);
  return host == "::1" || (!address.ipv6 && host.starts_with("127."));
}

bool is_multiqueue(std::string_view kind) {
  return kind == "mq" || kind == "mqprio" || kind == "taprio";
}

// "fq", "noqueue", or "mq(fq)" / "mq(pfifo_fast, fq)" for a multiqueue root.
std::string qdisc_text(const InterfaceQdiscs& interface) {
  if (interface.root_qdisc.empty()) return "none";
  if (!is_multiqueue(interface.root_qdisc)) return interface.root_qdisc;
  std::vector<std::string> kinds = interface.queue_qdiscs;
  std::sort(kinds.begin(), kinds.end());
  kinds.erase(std::unique(kinds.begin(), kinds.end()), kinds.end());
  std::string text = interface.root_qdisc + "(";
  for (const std::string& kind : kinds) text += (kind == kinds.front() ? "" : ", ") + kind;
  return text + ")";
}

bool qdisc_matches(const InterfaceQdiscs& interface, std::string_view expected) {
  if (!is_multiqueue(interface.root_qdisc)) return interface.root_qdisc == expected;
  return !interface.queue_qdiscs.empty() &&
         std::all_of(interface.queue_qdiscs.begin(), interface.queue_qdiscs.end(),
                     [&](const std::string& kind) { return kind == expected; });
}

Finding decide_qdisc(const InterfaceQdiscs& interface, std::string_view expected,
                     const KernelConfig& kernel_config) {
  Finding finding;
  finding.check = "fq";
  finding.subject = "qdisc on " + interface.name;
  finding.expected = expected;
  finding.actual = qdisc_text(interface);
  std::string option = qdisc_kernel_option(expected);
  if (interface.loopback) {
    finding.verdict = Verdict::ok;
    finding.expected.clear();
    finding.reason = "loopback: nothing to pace";
  } else if (qdisc_matches(interface, expected)) {
    finding.verdict = Verdict::ok;
  } else if (!option.empty() && kernel_config.state(option) == OptionState::not_set) {
    finding.verdict = Verdict::unavailable;
    finding.reason = not_set_reason(expected, option, kernel_config);
    finding.fix = kernel_fix(option);
  } else {
    finding.verdict = Verdict::differs;
    finding.reason = "default_qdisc applies only to qdiscs created after it is set";
    finding.fix = is_multiqueue(interface.root_qdisc)
                      ? fmt::format(
                            "sysctl -w net.core.default_qdisc={0}, then tc qdisc del dev "
                            "{1} root (the kernel attaches a new {2} with {0} per queue)",
                            expected, interface.name, interface.root_qdisc)
                      : fmt::format("tc qdisc replace dev {} root {}", interface.name, expected);
  }
  return finding;
}

}  // namespace

std::string_view check_for_sysctl(std::string_view key) {
  std::string dotted = sysctl_key_dotted(key);
  if (dotted == "net.core.default_qdisc") return "fq";
  if (dotted == "net.ipv4.tcp_congestion_control") return "bbr";
  if (dotted.starts_with("net.ipv4.tcp_keepalive_")) return "keepalive";
  return "sysctl";
}

std::vector<Finding> decide_sysctls(const std::vector<SysctlFile>& files, const HostFacts& facts) {
  std::vector<Finding> findings;
  for (const SysctlFile& file : files) {
    for (const SysctlSetting& setting : file.settings) {
      findings.push_back(decide_setting(file, setting, facts));
    }
  }
  return findings;
}

Finding decide_congestion_available(std::string_view wanted,
                                    const std::optional<std::string>& available,
                                    const KernelConfig& kernel_config) {
  Finding finding;
  finding.check = "bbr";
  finding.subject = "net.ipv4.tcp_available_congestion_control";
  if (wanted.empty()) {
    finding.verdict = Verdict::not_applicable;
    finding.reason = "no congestion control named in [tcp] congestion or the sysctl files";
    return finding;
  }
  finding.expected = fmt::format("lists {}", wanted);
  if (!available) {
    finding.verdict = Verdict::unavailable;
    finding.reason = "cannot be read";
    return finding;
  }
  finding.actual = *available;
  if (has_word(*available, wanted)) {
    finding.verdict = Verdict::ok;
    return finding;
  }
  std::string option = congestion_kernel_option(wanted);
  switch (kernel_config.state(option)) {
    case OptionState::module:
      finding.verdict = Verdict::differs;
      finding.reason = fmt::format("tcp_{} is a module that is not loaded", wanted);
      finding.fix = fmt::format("modprobe tcp_{}", wanted);
      break;
    case OptionState::not_set:
      finding.verdict = Verdict::unavailable;
      finding.reason = not_set_reason(wanted, option, kernel_config);
      finding.fix = kernel_fix(option);
      break;
    case OptionState::built_in:
    case OptionState::unknown:
      finding.verdict = Verdict::unavailable;
      finding.reason = fmt::format("{} is neither built in nor loaded", wanted);
      finding.fix = fmt::format("modprobe tcp_{}, or {}", wanted, kernel_fix(option));
      break;
  }
  return finding;
}

std::vector<const InterfaceQdiscs*> interfaces_for(const std::vector<config::ListenAddress>& listen,
                                                   const Interfaces& interfaces,
                                                   std::vector<std::string>& unmatched) {
  std::vector<bool> chosen(interfaces.list.size(), false);
  for (const config::ListenAddress& address : listen) {
    bool wildcard = is_wildcard(address);
    bool loopback = is_loopback(address);
    std::string host = host_text(address);
    bool matched = false;
    for (std::size_t index = 0; index < interfaces.list.size(); ++index) {
      const InterfaceQdiscs& interface = interfaces.list[index];
      const auto& held = interface.addresses;
      bool carries = wildcard   ? interface.up
                     : loopback ? interface.loopback
                                : std::find(held.begin(), held.end(), host) != held.end();
      if (!carries) continue;
      chosen[index] = true;
      matched = true;
    }
    if (!matched && !wildcard) unmatched.push_back(address.text);
  }
  std::vector<const InterfaceQdiscs*> result;
  for (std::size_t index = 0; index < interfaces.list.size(); ++index) {
    if (chosen[index]) result.push_back(&interfaces.list[index]);
  }
  return result;
}

std::vector<Finding> decide_qdiscs(const std::vector<config::ListenAddress>& listen,
                                   const Interfaces& interfaces, std::string_view expected,
                                   const KernelConfig& kernel_config) {
  Finding summary;
  summary.check = "fq";
  summary.subject = "qdisc";
  if (expected.empty()) {
    summary.verdict = Verdict::not_applicable;
    summary.reason = "the sysctl files name no net.core.default_qdisc";
    return {summary};
  }
  if (!interfaces.read) {
    summary.verdict = Verdict::unavailable;
    summary.expected = expected;
    summary.reason = interfaces.error;
    return {summary};
  }
  std::vector<std::string> unmatched;
  std::vector<Finding> findings;
  for (const InterfaceQdiscs* interface : interfaces_for(listen, interfaces, unmatched)) {
    findings.push_back(decide_qdisc(*interface, expected, kernel_config));
  }
  for (const std::string& address : unmatched) {
    Finding finding = summary;
    finding.subject = "qdisc for " + address;
    finding.verdict = Verdict::unavailable;
    finding.reason = "no interface holds this address";
    findings.push_back(std::move(finding));
  }
  return findings;
}

}  // namespace ringway::preflight
