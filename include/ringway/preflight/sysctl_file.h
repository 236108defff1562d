#pragma once
// The sysctl files ringway ships (sysctl/*.conf in the source tree), parsed.
// They are the preflight's expectations: the installed copies are read when
// present, else the copies built into the binary from the same files.

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ringway::preflight {

struct SysctlSetting {
  std::string key;    // as written, "net.ipv4.tcp_keepalive_time" (or with '/' separators)
  std::string value;  // as written, surrounding blanks removed
  unsigned line = 0;
  bool ignore_failure = false;  // the key was written "-key": sysctl ignores errors for it
};

struct SysctlFile {
  std::string name;  // "01-bbr.conf"
  std::string path;  // where it was read; empty for the copy built into the binary
  std::vector<SysctlSetting> settings;
  std::vector<std::string> errors;  // "name:line: what is wrong"
};

struct BuiltinFile {
  std::string_view name;
  std::string_view text;
};

// Parses sysctl.d(5) text: "key = value" lines, '#' and ';' comments, blank lines.
SysctlFile parse_sysctl_file(std::string_view text, std::string name, std::string path);

// The shipped files, built into the binary from sysctl/ at build time, in name order.
std::span<const BuiltinFile> builtin_sysctl_files();

// "net.ipv4.tcp_keepalive_time" -> "net/ipv4/tcp_keepalive_time". As in sysctl.d(5),
// a key whose first separator is '/' keeps its dots (interface names may have them).
std::string sysctl_key_path(std::string_view key);

// The same key with '.' separators, for messages and comparisons.
std::string sysctl_key_dotted(std::string_view key);

// Values compare as whitespace-separated words: "32768\t60999" equals "32768 60999".
bool sysctl_values_equal(std::string_view left, std::string_view right);

}  // namespace ringway::preflight
