#pragma once
// One row of the preflight: what was looked at, what was found, how to fix it.

#include <string>
#include <string_view>

namespace ringway::preflight {

enum class Verdict {
  ok,              // as expected
  differs,         // expected and actual differ: `fix` says how to change it
  unavailable,     // the kernel or the environment lacks it: `reason` says why
  not_applicable,  // nothing to check here (`reason`); never a failure
};

struct Finding {
  std::string check;    // the policy name, one of config::preflight_check_names
  std::string subject;  // what was looked at: "net.ipv4.tcp_keepalive_time", "qdisc on eth0"
  Verdict verdict = Verdict::ok;
  std::string expected;  // the wanted value, when there is one
  std::string actual;    // what is there, when it could be read
  std::string reason;    // why it is unavailable or not applicable; for ok/differs a note
  std::string fix;       // for differs/unavailable: the command or kernel option that fixes it
};

// "ok", "differs", "unavailable", "n/a".
std::string_view verdict_name(Verdict verdict);

// True for differs and unavailable: the verdicts a policy acts on.
inline bool is_failure(Verdict verdict) {
  return verdict == Verdict::differs || verdict == Verdict::unavailable;
}

}  // namespace ringway::preflight
