#include "ringway/preflight/kernel_config.h"

#include <algorithm>

namespace ringway::preflight {
namespace {

std::string upper(std::string_view text) {
  std::string result(text);
  for (char& character : result) {
    if (character >= 'a' && character <= 'z') character = static_cast<char>(character - 'a' + 'A');
  }
  return result;
}

}  // namespace

KernelConfig KernelConfig::parse(std::string_view text, std::string source) {
  KernelConfig config;
  config.source_ = std::move(source);
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == text.npos ? std::string_view() : text.substr(end + 1);
    // "# CONFIG_X is not set" needs no entry: whatever is missing is not set.
    if (!line.starts_with("CONFIG_")) continue;
    std::size_t equals = line.find('=');
    if (equals == line.npos || equals + 1 >= line.size()) continue;
    char value = line[equals + 1];
    if (value != 'y' && value != 'm') continue;
    config.options_.emplace_back(std::string(line.substr(0, equals)), value);
  }
  std::sort(config.options_.begin(), config.options_.end());
  return config;
}

OptionState KernelConfig::state(std::string_view option) const {
  if (!known()) return OptionState::unknown;
  auto found = std::lower_bound(options_.begin(), options_.end(), option,
                                [](const std::pair<std::string, char>& entry,
                                   std::string_view name) { return entry.first < name; });
  if (found == options_.end() || found->first != option) return OptionState::not_set;
  return found->second == 'y' ? OptionState::built_in : OptionState::module;
}

std::string qdisc_kernel_option(std::string_view kind) {
  // Kernel option names follow the qdisc's name, save a few historical ones.
  if (kind == "pfifo_fast" || kind == "noqueue" || kind == "mq") return {};
  if (kind == "pfifo" || kind == "bfifo") return "CONFIG_NET_SCH_FIFO";
  return "CONFIG_NET_SCH_" + upper(kind);
}

std::string congestion_kernel_option(std::string_view name) {
  if (name == "reno") return {};  // always built in
  return "CONFIG_TCP_CONG_" + upper(name);
}

std::string kernel_option_for(std::string_view key, std::string_view value) {
  if (key == "net.core.default_qdisc" || key == "net/core/default_qdisc") {
    return qdisc_kernel_option(value);
  }
  if (key == "net.ipv4.tcp_congestion_control" || key == "net/ipv4/tcp_congestion_control") {
    return congestion_kernel_option(value);
  }
  return {};
}

}  // namespace ringway::preflight
