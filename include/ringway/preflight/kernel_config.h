#pragma once
// The running kernel's build options (/proc/config.gz or /boot/config-<release>),
// to tell "not set" from "not built": a missing fq qdisc or BBR is a kernel
// matter that no sysctl can fix.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ringway::preflight {

enum class OptionState { built_in, module, not_set, unknown };

class KernelConfig {
 public:
  // No source: every option is unknown.
  KernelConfig() = default;

  // Parses Kconfig output ("CONFIG_X=y", "# CONFIG_X is not set"). An option the
  // text does not mention is not set; `source` names where the text came from.
  static KernelConfig parse(std::string_view text, std::string source);

  OptionState state(std::string_view option) const;
  bool known() const { return !source_.empty(); }
  const std::string& source() const { return source_; }

 private:
  std::string source_;
  std::vector<std::pair<std::string, char>> options_;  // sorted by name; 'y' or 'm'
};

// The kernel option that provides `value` for sysctl `key`, e.g. CONFIG_NET_SCH_FQ
// for net.core.default_qdisc = fq; empty when the value needs no particular option.
std::string kernel_option_for(std::string_view key, std::string_view value);

// The option behind a qdisc kind ("fq" -> "CONFIG_NET_SCH_FQ").
std::string qdisc_kernel_option(std::string_view kind);

// The option behind a congestion control ("bbr" -> "CONFIG_TCP_CONG_BBR").
std::string congestion_kernel_option(std::string_view name);

}  // namespace ringway::preflight
