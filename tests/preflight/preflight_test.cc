// Policies, the sysctl files' discovery, and the three renderings.

#include "ringway/preflight/preflight.h"

#include <gtest/gtest.h>

#include "prepared_tree.h"

namespace ringway::preflight {
namespace {

Finding finding(std::string check, Verdict verdict, std::string subject = "subject") {
  Finding result;
  result.check = std::move(check);
  result.subject = std::move(subject);
  result.verdict = verdict;
  return result;
}

config::Preflight policy(config::CheckPolicy global,
                         std::vector<config::CheckOverride> overrides = {}) {
  config::Preflight preflight;
  preflight.policy = global;
  preflight.checks = std::move(overrides);
  return preflight;
}

TEST(ApplyPolicy, WarnNeverRefuses) {
  Report report =
      apply_policy({finding("fq", Verdict::unavailable), finding("keepalive", Verdict::differs)},
                   policy(config::CheckPolicy::warn));
  ASSERT_EQ(report.rows.size(), 2u);
  EXPECT_FALSE(report.refuses);
  EXPECT_EQ(report.rows[0].policy, config::CheckPolicy::warn);
}

TEST(ApplyPolicy, EnforceRefusesOnDiffersAndUnavailableOnly) {
  config::Preflight enforce = policy(config::CheckPolicy::enforce);
  EXPECT_TRUE(apply_policy({finding("fq", Verdict::unavailable)}, enforce).refuses);
  EXPECT_TRUE(apply_policy({finding("fq", Verdict::differs)}, enforce).refuses);
  EXPECT_FALSE(apply_policy({finding("fq", Verdict::ok)}, enforce).refuses);
  EXPECT_FALSE(apply_policy({finding("aesni", Verdict::not_applicable)}, enforce).refuses);
}

TEST(ApplyPolicy, OverridesPerCheck) {
  config::Preflight preflight =
      policy(config::CheckPolicy::warn,
             {{"bbr", config::CheckPolicy::enforce}, {"fq", config::CheckPolicy::off}});
  Report report =
      apply_policy({finding("fq", Verdict::unavailable), finding("keepalive", Verdict::differs),
                    finding("bbr", Verdict::differs)},
                   preflight);
  ASSERT_EQ(report.rows.size(), 2u);  // fq is off: not even shown
  EXPECT_EQ(report.rows[0].finding.check, "keepalive");
  EXPECT_FALSE(report.rows[0].refuses);
  EXPECT_EQ(report.rows[1].finding.check, "bbr");
  EXPECT_TRUE(report.rows[1].refuses);
  EXPECT_TRUE(report.refuses);

  config::Preflight relaxed =
      policy(config::CheckPolicy::enforce, {{"keepalive", config::CheckPolicy::warn}});
  EXPECT_FALSE(apply_policy({finding("keepalive", Verdict::differs)}, relaxed).refuses);
}

TEST(LoadSysctlFiles, InstalledCopiesWin) {
  PreparedTree tree;
  tree.write("sysctl.d/01-bbr.conf", "net.core.default_qdisc = fq_codel\n");
  tree.write("sysctl.d/02-keepalive.conf", "net.ipv4.tcp_keepalive_time = 120\n");
  std::vector<Finding> findings;
  std::vector<SysctlFile> files = load_sysctl_files(tree.root() + "/sysctl.d", findings);
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].path, tree.root() + "/sysctl.d/01-bbr.conf");
  ASSERT_EQ(files[0].settings.size(), 1u);
  EXPECT_EQ(files[0].settings[0].value, "fq_codel");
  EXPECT_EQ(files[1].settings[0].value, "120");
  ASSERT_EQ(findings.size(), 2u);
  for (const Finding& row : findings) {
    EXPECT_EQ(row.check, "sysctl_files");
    EXPECT_EQ(row.verdict, Verdict::ok);
  }
}

TEST(LoadSysctlFiles, MissingFilesFallBackToTheBuiltInCopies) {
  PreparedTree tree;
  tree.write("sysctl.d/02-keepalive.conf", "garbage line\nnet.ipv4.tcp_keepalive_time = 60\n");
  std::vector<Finding> findings;
  std::vector<SysctlFile> files = load_sysctl_files(tree.root() + "/sysctl.d", findings);
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].path, "");
  EXPECT_EQ(files[0].settings.size(), 2u);
  ASSERT_EQ(findings.size(), 2u);
  EXPECT_EQ(findings[0].verdict, Verdict::differs);
  EXPECT_EQ(findings[0].subject, "01-bbr.conf");
  EXPECT_NE(findings[0].actual.find("No such file or directory"), std::string::npos);
  EXPECT_EQ(findings[0].fix, "install sysctl/01-bbr.conf as " + tree.root() +
                                 "/sysctl.d/01-bbr.conf (applied at every boot)");
  // A file that is there but has a line sysctl cannot read differs too.
  EXPECT_EQ(findings[1].verdict, Verdict::differs);
  EXPECT_EQ(findings[1].reason, "02-keepalive.conf:1: expected \"key = value\"");
}

Report sample_report() {
  Finding keepalive = finding("keepalive", Verdict::differs, "net.ipv4.tcp_keepalive_time");
  keepalive.expected = "60";
  keepalive.actual = "7200";
  keepalive.fix = "sysctl -p /usr/lib/sysctl.d/02-keepalive.conf";
  Finding fq = finding("fq", Verdict::unavailable, "net.core.default_qdisc");
  fq.expected = "fq";
  fq.actual = "pfifo_fast";
  fq.reason = "the kernel has no fq: CONFIG_NET_SCH_FQ is not set (/proc/config.gz)";
  fq.fix = "a kernel with CONFIG_NET_SCH_FQ=y or =m";
  Finding lo = finding("fq", Verdict::ok, "qdisc on lo");
  lo.actual = "noqueue";
  lo.reason = "loopback: nothing to pace";
  Finding aesni = finding("aesni", Verdict::not_applicable, "AES-NI");
  aesni.reason = "no TLS listeners";
  aesni.actual = "CPU has AES-NI";
  return apply_policy({keepalive, fq, lo, aesni},
                      policy(config::CheckPolicy::warn, {{"fq", config::CheckPolicy::enforce}}));
}

TEST(Describe, EachVerdict) {
  Report report = sample_report();
  EXPECT_EQ(describe(report.rows[0].finding), "expected 60, actual 7200");
  EXPECT_EQ(describe(report.rows[1].finding),
            "the kernel has no fq: CONFIG_NET_SCH_FQ is not set (/proc/config.gz); expected fq, "
            "actual pfifo_fast");
  EXPECT_EQ(describe(report.rows[2].finding), "noqueue (loopback: nothing to pace)");
  EXPECT_EQ(describe(report.rows[3].finding), "no TLS listeners; CPU has AES-NI");
}

TEST(FormatTable, RowsFixesAndTheOutcome) {
  std::string table = format_table(sample_report());
  std::vector<std::string> lines;
  for (std::size_t start = 0, end; start < table.size(); start = end + 1) {
    end = table.find('\n', start);
    lines.push_back(table.substr(start, end - start));
  }
  ASSERT_EQ(lines.size(), 8u) << table;
  EXPECT_EQ(lines[0].substr(0, 15), "CHECK      POLI");
  EXPECT_NE(lines[1].find("keepalive  warn     differs      net.ipv4.tcp_keepalive_time  "
                          "expected 60, actual 7200"),
            std::string::npos)
      << table;
  EXPECT_NE(lines[2].find("fix: sysctl -p /usr/lib/sysctl.d/02-keepalive.conf"), std::string::npos);
  EXPECT_NE(lines[3].find("fq         enforce  unavailable"), std::string::npos) << table;
  EXPECT_NE(lines[4].find("fix: a kernel with CONFIG_NET_SCH_FQ"), std::string::npos);
  EXPECT_NE(lines[5].find("ok"), std::string::npos);
  EXPECT_NE(lines[6].find("n/a"), std::string::npos);
  EXPECT_EQ(lines[7],
            "preflight: 1 ok, 1 warnings, 1 enforced failures, 1 not applicable: ringway run "
            "would refuse to start (exit 3)");
}

TEST(FormatJson, EveryFieldEscaped) {
  Report report = apply_policy({finding("sysctl", Verdict::differs, "a\"b\\c\n")},
                               policy(config::CheckPolicy::warn));
  EXPECT_EQ(
      format_json(report, "/etc/ringway.toml"),
      "{\"config\": \"/etc/ringway.toml\", \"config_ok\": true, \"refuses\": false, "
      "\"checks\": [\n  {\"check\": \"sysctl\", \"subject\": \"a\\\"b\\\\c\\u000a\", "
      "\"verdict\": \"differs\", \"policy\": \"warn\", \"refuses\": false, \"expected\": \"\", "
      "\"actual\": \"\", \"reason\": \"\", \"fix\": \"\"}\n]}\n");
  EXPECT_EQ(format_json_errors("/x.toml", {"/x.toml:1:1: workers: bad"}),
            "{\"config\": \"/x.toml\", \"config_ok\": false, \"errors\": [\"/x.toml:1:1: "
            "workers: bad\"]}\n");
}

TEST(StartupLine, OneLineWithTheFix) {
  Report report = sample_report();
  EXPECT_EQ(startup_line(report.rows[0]),
            "preflight: keepalive: net.ipv4.tcp_keepalive_time: differs: expected 60, actual "
            "7200; fix: sysctl -p /usr/lib/sysctl.d/02-keepalive.conf");
  EXPECT_EQ(startup_line(report.rows[1]).substr(0, 52),
            "preflight: fq: net.core.default_qdisc: unavailable: ");
  EXPECT_TRUE(startup_line(report.rows[1]).ends_with(" [enforced]"));
}

}  // namespace
}  // namespace ringway::preflight
