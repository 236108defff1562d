// Rendering the report: a table for people, JSON for machines, log lines for run.

#include <algorithm>

#include <fmt/format.h>

#include "ringway/preflight/preflight.h"

namespace ringway::preflight {
namespace {

std::string_view policy_name(config::CheckPolicy policy) {
  switch (policy) {
    case config::CheckPolicy::off:
      return "off";
    case config::CheckPolicy::warn:
      return "warn";
    case config::CheckPolicy::enforce:
      break;
  }
  return "enforce";
}

std::string json_string(std::string_view text) {
  std::string quoted = "\"";
  for (char character : text) {
    auto byte = static_cast<unsigned char>(character);
    if (character == '"' || character == '\\') {
      quoted += '\\';
      quoted += character;
    } else if (byte < 0x20) {
      quoted += fmt::format("\\u{:04x}", byte);
    } else {
      quoted += character;
    }
  }
  return quoted + '"';
}

struct Counts {
  std::size_t ok = 0;
  std::size_t warnings = 0;
  std::size_t refusals = 0;
  std::size_t not_applicable = 0;
};

Counts count(const Report& report) {
  Counts counts;
  for (const Row& row : report.rows) {
    if (row.refuses) {
      ++counts.refusals;
    } else if (is_failure(row.finding.verdict)) {
      ++counts.warnings;
    } else if (row.finding.verdict == Verdict::ok) {
      ++counts.ok;
    } else {
      ++counts.not_applicable;
    }
  }
  return counts;
}

}  // namespace

std::string describe(const Finding& finding) {
  std::string both;
  if (!finding.expected.empty() || !finding.actual.empty()) {
    both = fmt::format("expected {}, actual {}", finding.expected.empty() ? "-" : finding.expected,
                       finding.actual.empty() ? "-" : finding.actual);
  }
  auto joined = [](const std::string& first, const std::string& second) {
    if (first.empty()) return second;
    if (second.empty()) return first;
    return first + "; " + second;
  };
  switch (finding.verdict) {
    case Verdict::ok: {
      std::string text = finding.actual.empty() ? finding.expected : finding.actual;
      if (finding.reason.empty()) return text;
      return text.empty() ? finding.reason : fmt::format("{} ({})", text, finding.reason);
    }
    case Verdict::differs:
      return joined(both, finding.reason);
    case Verdict::unavailable:
      return joined(finding.reason, both);
    case Verdict::not_applicable:
      break;
  }
  return joined(finding.reason, finding.actual);
}

std::string format_table(const Report& report) {
  std::size_t check_width = 5;
  std::size_t subject_width = 7;
  for (const Row& row : report.rows) {
    check_width = std::max(check_width, row.finding.check.size());
    subject_width = std::max(subject_width, row.finding.subject.size());
  }
  // The widths and separators of the columns before DETAIL.
  std::string indent(check_width + 2 + 7 + 2 + 11 + 2 + subject_width + 2, ' ');
  std::string table = fmt::format("{:<{}}  {:<7}  {:<11}  {:<{}}  {}\n", "CHECK", check_width,
                                  "POLICY", "VERDICT", "SUBJECT", subject_width, "DETAIL");
  for (const Row& row : report.rows) {
    const Finding& finding = row.finding;
    table += fmt::format("{:<{}}  {:<7}  {:<11}  {:<{}}  {}\n", finding.check, check_width,
                         policy_name(row.policy), verdict_name(finding.verdict), finding.subject,
                         subject_width, describe(finding));
    if (is_failure(finding.verdict) && !finding.fix.empty()) {
      table += fmt::format("{}fix: {}\n", indent, finding.fix);
    }
  }
  Counts counts = count(report);
  table += fmt::format(
      "preflight: {} ok, {} warnings, {} enforced failures, {} not applicable: {}\n", counts.ok,
      counts.warnings, counts.refusals, counts.not_applicable,
      report.refuses ? fmt::format("ringway run would refuse to start (exit {})", refused_exit_code)
                     : std::string("ringway run would start"));
  return table;
}

std::string format_json(const Report& report, const std::string& config_path) {
  std::string json = fmt::format("{{\"config\": {}, \"config_ok\": true, \"refuses\": {}, ",
                                 json_string(config_path), report.refuses ? "true" : "false");
  json += "\"checks\": [";
  bool first = true;
  for (const Row& row : report.rows) {
    const Finding& finding = row.finding;
    json += fmt::format(
        "{}\n  {{\"check\": {}, \"subject\": {}, \"verdict\": {}, \"policy\": {}, "
        "\"refuses\": {}, \"expected\": {}, \"actual\": {}, \"reason\": {}, \"fix\": {}}}",
        first ? "" : ",", json_string(finding.check), json_string(finding.subject),
        json_string(verdict_name(finding.verdict)), json_string(policy_name(row.policy)),
        row.refuses ? "true" : "false", json_string(finding.expected), json_string(finding.actual),
        json_string(finding.reason), json_string(finding.fix));
    first = false;
  }
  return json + "\n]}\n";
}

std::string format_json_errors(const std::string& config_path,
                               const std::vector<std::string>& errors) {
  std::string json = fmt::format("{{\"config\": {}, \"config_ok\": false, \"errors\": [",
                                 json_string(config_path));
  for (std::size_t index = 0; index < errors.size(); ++index) {
    json += fmt::format("{}{}", index == 0 ? "" : ", ", json_string(errors[index]));
  }
  return json + "]}\n";
}

std::string startup_line(const Row& row) {
  const Finding& finding = row.finding;
  std::string line = fmt::format("preflight: {}: {}: {}: {}", finding.check, finding.subject,
                                 verdict_name(finding.verdict), describe(finding));
  if (!finding.fix.empty()) line += fmt::format("; fix: {}", finding.fix);
  if (row.refuses) line += " [enforced]";
  return line;
}

}  // namespace ringway::preflight
