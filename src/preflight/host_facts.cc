// Reading the host: sysctls, kernel build options, CPU flags, capabilities and
// limits. Each reader takes its root from HostPaths so tests can prepare trees.

#include "ringway/preflight/host_facts.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "file_text.h"
#include "ringway/preflight/gzip.h"
#include "ringway/preflight/sysctl_file.h"
#include "words.h"

namespace ringway::preflight {

std::optional<std::string> read_file_text(const std::string& path, std::string& error,
                                          std::size_t bytes_max) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = std::strerror(errno);
    return std::nullopt;
  }
  std::string text;
  char buffer[16 * 1024];
  for (;;) {
    ssize_t count = ::read(fd, buffer, sizeof buffer);
    if (count > 0) {
      text.append(buffer, static_cast<std::size_t>(count));
      if (text.size() <= bytes_max) continue;
      error = "larger than expected";
    } else if (count < 0 && errno == EINTR) {
      continue;
    } else if (count < 0) {
      error = std::strerror(errno);
    }
    ::close(fd);
    if (count == 0) return text;
    return std::nullopt;
  }
}

namespace {

std::string_view value_after_colon(std::string_view line) {
  std::size_t colon = line.find(':');
  if (colon == line.npos) return {};
  std::string_view value = line.substr(colon + 1);
  std::size_t first = value.find_first_not_of(" \t");
  return first == value.npos ? std::string_view() : value.substr(first);
}

std::string kernel_release(const HostPaths& paths) {
  if (!paths.kernel_release.empty()) return paths.kernel_release;
  utsname name{};
  if (uname(&name) != 0) return {};
  return name.release;
}

void read_process(HostFacts& facts) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    facts.open_files_soft = limit.rlim_cur;
    facts.open_files_hard = limit.rlim_max;
  }
  facts.effective_uid = geteuid();
  facts.groups.push_back(getegid());
  int count = getgroups(0, nullptr);
  if (count > 0) {
    std::vector<gid_t> supplementary(static_cast<std::size_t>(count));
    count = getgroups(count, supplementary.data());
    if (count > 0) {
      facts.groups.insert(facts.groups.end(), supplementary.begin(), supplementary.begin() + count);
    }
  }
}

}  // namespace

std::optional<std::string> HostFacts::sysctl(std::string_view key) const {
  std::string dotted = sysctl_key_dotted(key);
  for (const auto& [name, value] : sysctls) {
    if (name == dotted) return value;
  }
  return std::nullopt;
}

std::vector<std::string> extra_sysctl_keys() {
  return {"net.ipv4.tcp_available_congestion_control", "kernel.io_uring_disabled",
          "kernel.io_uring_group", "net.core.somaxconn", "net.ipv4.ip_unprivileged_port_start"};
}

std::optional<std::string> read_sysctl(const std::string& proc_sys, std::string_view key) {
  std::string error;
  std::optional<std::string> text = read_file_text(proc_sys + "/" + sysctl_key_path(key), error);
  if (!text) return std::nullopt;
  while (!text->empty() && (text->back() == '\n' || text->back() == ' ')) text->pop_back();
  return text;
}

KernelConfig read_kernel_config(const HostPaths& paths) {
  std::string error;
  std::string compressed_path = paths.proc + "/config.gz";
  if (std::optional<std::string> compressed = read_file_text(compressed_path, error)) {
    if (std::optional<std::string> text = gunzip(*compressed, error)) {
      return KernelConfig::parse(*text, compressed_path);
    }
  }
  std::string release = kernel_release(paths);
  if (release.empty()) return {};
  std::string plain_path = paths.boot + "/config-" + release;
  if (std::optional<std::string> text = read_file_text(plain_path, error)) {
    return KernelConfig::parse(*text, plain_path);
  }
  return {};
}

std::optional<bool> read_cpu_aes(const HostPaths& paths) {
  std::string error;
  std::optional<std::string> text = read_file_text(paths.proc + "/cpuinfo", error);
  if (!text) return std::nullopt;
  std::string_view rest = *text;
  while (!rest.empty()) {
    std::size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest = end == rest.npos ? std::string_view() : rest.substr(end + 1);
    // x86 lists "flags", arm64 "Features"; the first CPU speaks for all.
    if (line.starts_with("flags") || line.starts_with("Features")) {
      return has_word(value_after_colon(line), "aes");
    }
  }
  return std::nullopt;
}

std::optional<std::uint64_t> read_effective_capabilities(const HostPaths& paths) {
  std::string error;
  std::optional<std::string> text = read_file_text(paths.proc + "/self/status", error);
  if (!text) return std::nullopt;
  std::size_t found = text->find("\nCapEff:");
  if (found == std::string::npos) return std::nullopt;
  std::string_view line = std::string_view(*text).substr(found + 1);
  line = value_after_colon(line.substr(0, line.find('\n')));
  std::uint64_t capabilities = 0;
  if (line.empty() || line.size() > 16) return std::nullopt;
  for (char digit : line) {
    int value = digit >= '0' && digit <= '9'   ? digit - '0'
                : digit >= 'a' && digit <= 'f' ? digit - 'a' + 10
                                               : -1;
    if (value < 0) return std::nullopt;
    capabilities = (capabilities << 4) | static_cast<std::uint64_t>(value);
  }
  return capabilities;
}

HostFacts read_host_facts(const HostPaths& paths, const std::vector<std::string>& sysctl_keys,
                          const config::Tcp& tcp) {
  HostFacts facts;
  std::vector<std::string> keys = sysctl_keys;
  for (std::string& key : extra_sysctl_keys()) keys.push_back(std::move(key));
  for (const std::string& key : keys) {
    std::string dotted = sysctl_key_dotted(key);
    auto same = [&](const auto& entry) { return entry.first == dotted; };
    if (std::any_of(facts.sysctls.begin(), facts.sysctls.end(), same)) continue;
    facts.sysctls.emplace_back(dotted, read_sysctl(paths.proc_sys, key));
  }
  facts.kernel_config = read_kernel_config(paths);
  facts.cpu_aes = read_cpu_aes(paths);
  facts.effective_capabilities = read_effective_capabilities(paths);
  if (paths.read_process) read_process(facts);
  if (paths.read_interfaces) {
    facts.interfaces = read_interfaces();
  } else {
    facts.interfaces.error = "not read";
  }
  if (paths.probe_socket) facts.socket = probe_tcp_tuning(tcp);
  return facts;
}

}  // namespace ringway::preflight
