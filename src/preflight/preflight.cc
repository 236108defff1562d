// Putting the preflight together: expectations from the sysctl files, facts
// from the host, verdicts from the decisions, and the policy of each check.

#include "ringway/preflight/preflight.h"

#include <exception>

#include <fmt/format.h>

#include "file_text.h"
#include "ringway/preflight/sysctl_file.h"

namespace ringway::preflight {

std::vector<SysctlFile> load_sysctl_files(const std::string& directory,
                                          std::vector<Finding>& findings) {
  std::vector<SysctlFile> files;
  for (const BuiltinFile& builtin : builtin_sysctl_files()) {
    std::string path = directory + "/" + std::string(builtin.name);
    std::string error;
    std::optional<std::string> text = read_file_text(path, error, 1u << 20);
    Finding finding;
    finding.check = "sysctl_files";
    finding.subject = std::string(builtin.name);
    finding.expected = path;
    if (text) {
      files.push_back(parse_sysctl_file(*text, std::string(builtin.name), path));
      finding.actual = path;
    } else {
      // The built-in copy is the same file as shipped: the checks still run,
      // but nothing applies these settings at boot.
      files.push_back(parse_sysctl_file(builtin.text, std::string(builtin.name), ""));
      finding.verdict = Verdict::differs;
      finding.actual = fmt::format("missing ({}): checked against the built-in copy", error);
      finding.fix =
          fmt::format("install sysctl/{} as {} (applied at every boot)", builtin.name, path);
    }
    for (const std::string& problem : files.back().errors) {
      finding.verdict = Verdict::differs;
      finding.reason += (finding.reason.empty() ? "" : "; ") + problem;
    }
    findings.push_back(std::move(finding));
  }
  return files;
}

Report apply_policy(std::vector<Finding> findings, const config::Preflight& preflight) {
  Report report;
  for (Finding& finding : findings) {
    config::CheckPolicy policy = config::policy_for(preflight, finding.check);
    if (policy == config::CheckPolicy::off) continue;
    Row row;
    row.refuses = policy == config::CheckPolicy::enforce && is_failure(finding.verdict);
    row.policy = policy;
    row.finding = std::move(finding);
    report.refuses = report.refuses || row.refuses;
    report.rows.push_back(std::move(row));
  }
  return report;
}

Report run_preflight(const config::Config& config, const PreflightOptions& options) {
  try {
    PreflightInputs inputs;
    inputs.sysctl_files =
        load_sysctl_files(config.preflight.sysctl_dir, inputs.sysctl_file_findings);
    inputs.listen = config.http.listen;
    inputs.listen.insert(inputs.listen.end(), config.https.listen.begin(),
                         config.https.listen.end());
    inputs.workers = options.workers;
    inputs.connections_per_worker = config.limits.connections_per_worker;
    inputs.listen_backlog = options.listen_backlog;
    inputs.tcp = config.tcp;
    inputs.wolfssl = options.wolfssl;
    inputs.has_tls_listeners = options.has_tls_listeners;
    std::vector<std::string> keys;
    for (const SysctlFile& file : inputs.sysctl_files) {
      for (const SysctlSetting& setting : file.settings) keys.push_back(setting.key);
    }
    HostFacts facts = read_host_facts(options.paths, keys, config.tcp);
    return apply_policy(decide_all(facts, inputs), config.preflight);
  } catch (const std::exception& error) {
    // Only allocation can throw here; say so rather than start half-checked.
    Finding finding;
    finding.check = "sysctl_files";
    finding.subject = "preflight";
    finding.verdict = Verdict::unavailable;
    finding.reason = error.what();
    return apply_policy({finding}, config.preflight);
  }
}

}  // namespace ringway::preflight
