// sysctl.d(5) as systemd-sysctl and procps read it, minus globs, which the
// shipped files do not use.

#include "ringway/preflight/sysctl_file.h"

#include <fmt/format.h>

namespace ringway::preflight {
namespace {

constexpr std::string_view blanks = " \t\r";

std::string_view trim(std::string_view text) {
  std::size_t first = text.find_first_not_of(blanks);
  if (first == text.npos) return {};
  std::size_t last = text.find_last_not_of(blanks);
  return text.substr(first, last - first + 1);
}

// The next whitespace-separated word of `text` from `position`, empty at the end.
std::string_view next_word(std::string_view text, std::size_t& position) {
  constexpr std::string_view space = " \t\r\n";
  std::size_t first = text.find_first_not_of(space, position);
  if (first == text.npos) {
    position = text.size();
    return {};
  }
  std::size_t last = text.find_first_of(space, first);
  if (last == text.npos) last = text.size();
  position = last;
  return text.substr(first, last - first);
}

}  // namespace

SysctlFile parse_sysctl_file(std::string_view text, std::string name, std::string path) {
  SysctlFile file;
  file.name = std::move(name);
  file.path = std::move(path);
  unsigned line_number = 0;
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    std::string_view line = trim(text.substr(0, end));
    text = end == text.npos ? std::string_view() : text.substr(end + 1);
    ++line_number;
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    std::size_t equals = line.find('=');
    if (equals == line.npos) {
      file.errors.push_back(fmt::format("{}:{}: expected \"key = value\"", file.name, line_number));
      continue;
    }
    SysctlSetting setting;
    std::string_view key = trim(line.substr(0, equals));
    if (key.starts_with('-')) {
      setting.ignore_failure = true;
      key = trim(key.substr(1));
    }
    if (key.empty() || key.find_first_of("*?[ \t") != key.npos) {
      file.errors.push_back(
          fmt::format("{}:{}: unsupported key \"{}\"", file.name, line_number, key));
      continue;
    }
    setting.key = key;
    setting.value = trim(line.substr(equals + 1));
    setting.line = line_number;
    file.settings.push_back(std::move(setting));
  }
  return file;
}

std::string sysctl_key_path(std::string_view key) {
  std::string path(key);
  std::size_t first = path.find_first_of("./");
  if (first != path.npos && path[first] == '/') return path;
  for (char& character : path) {
    if (character == '.') character = '/';
  }
  return path;
}

std::string sysctl_key_dotted(std::string_view key) {
  std::string dotted(key);
  std::size_t first = dotted.find_first_of("./");
  if (first == dotted.npos || dotted[first] == '.') return dotted;
  for (char& character : dotted) {
    if (character == '/') character = '.';
  }
  return dotted;
}

bool sysctl_values_equal(std::string_view left, std::string_view right) {
  std::size_t left_position = 0;
  std::size_t right_position = 0;
  for (;;) {
    std::string_view left_word = next_word(left, left_position);
    std::string_view right_word = next_word(right, right_position);
    if (left_word != right_word) return false;
    if (left_word.empty()) return true;
  }
}

}  // namespace ringway::preflight
