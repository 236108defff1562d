#pragma once
// The startup preflight: read the sysctl files and the host, decide, apply the
// policy of each check, and render the result for people or machines.

#include <string>
#include <vector>

#include "ringway/config/config.h"
#include "ringway/preflight/decisions.h"
#include "ringway/preflight/finding.h"
#include "ringway/preflight/host_facts.h"

namespace ringway::preflight {

// The exit status of `ringway run` and `ringway check` when an enforced check fails.
inline constexpr int refused_exit_code = 3;

// The shipped files: the installed copy in `directory` when it can be read, else
// the built-in copy. `findings` gets one sysctl_files row per file.
std::vector<SysctlFile> load_sysctl_files(const std::string& directory,
                                          std::vector<Finding>& findings);

struct Row {
  Finding finding;
  config::CheckPolicy policy = config::CheckPolicy::warn;
  bool refuses = false;  // a failure under "enforce"
};

struct Report {
  std::vector<Row> rows;  // "off" checks are left out
  bool refuses = false;   // some enforced check fails: `ringway run` would not start
};

// Attaches each finding's policy.
Report apply_policy(std::vector<Finding> findings, const config::Preflight& preflight);

struct PreflightOptions {
  HostPaths paths;
  std::uint32_t workers = 1;  // resolved: never 0
  int listen_backlog = 0;
  WolfsslAesni wolfssl = WolfsslAesni::unknown;
  bool has_tls_listeners = false;
};

// Reads everything, decides, applies the policy. Never throws.
Report run_preflight(const config::Config& config, const PreflightOptions& options);

// The table for people: a header line, one line per row (fixes indented below).
std::string format_table(const Report& report);

// One JSON object: {"config": ..., "refuses": ..., "checks": [...]}.
std::string format_json(const Report& report, const std::string& config_path);

// {"config": ..., "config_ok": false, "errors": [...]} for a config that does not load.
std::string format_json_errors(const std::string& config_path,
                               const std::vector<std::string>& errors);

// What `ringway run` logs for a failing row (differs or unavailable): one line
// with the check, the subject, the detail and the fix.
std::string startup_line(const Row& row);

// The detail column: "expected X, actual Y", the reason, or the actual value.
std::string describe(const Finding& finding);

}  // namespace ringway::preflight
