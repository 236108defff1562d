#include "ringway/http/host_table.h"

#include <algorithm>
#include <cassert>

namespace ringway::http {

namespace {

char lower(char byte) {
  return byte >= 'A' && byte <= 'Z' ? static_cast<char>(byte - 'A' + 'a') : byte;
}

// One trailing dot names the root: "example.org." is "example.org".
std::string_view without_trailing_dot(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return name;
}

std::string lower_case(std::string_view name) {
  std::string result(name);
  std::transform(result.begin(), result.end(), result.begin(), lower);
  return result;
}

}  // namespace

std::size_t HostTable::CaseFoldedHash::operator()(std::string_view name) const {
  // FNV-1a over the lower-cased bytes.
  std::size_t hash = 14695981039346656037ULL;
  for (const char byte : name) {
    hash ^= static_cast<unsigned char>(lower(byte));
    hash *= 1099511628211ULL;
  }
  return hash;
}

bool HostTable::CaseFoldedEqual::operator()(std::string_view left, std::string_view right) const {
  return left.size() == right.size() &&
         std::equal(left.begin(), left.end(), right.begin(),
                    [](char a, char b) { return lower(a) == lower(b); });
}

HostTable::HostTable(const std::vector<std::vector<std::string>>& entries,
                     std::optional<std::size_t> default_entry)
    : entry_count_(entries.size()), default_entry_(default_entry) {
  assert(!default_entry_ || *default_entry_ < entry_count_);
  for (std::size_t index = 0; index < entries.size(); ++index) {
    for (const std::string& host : entries[index]) {
      std::string name = lower_case(without_trailing_dot(host));
      if (name.starts_with("*.")) {
        // "*." names no parent domain, so it covers nothing.
        if (name.size() > 2) wildcard_.emplace(name.substr(2), index);
      } else if (!name.empty()) {
        exact_.emplace(std::move(name), index);
      }
    }
  }
}

std::optional<std::size_t> HostTable::find(std::string_view host) const {
  std::optional<std::size_t> entry = match(host);
  return entry ? entry : default_entry_;
}

std::optional<std::size_t> HostTable::match(std::string_view host) const {
  std::string_view name = without_trailing_dot(host);
  if (name.empty()) return std::nullopt;
  // Exact names win over wildcards; a wildcard covers exactly one label, so the
  // only wildcard that can match is the one for what follows the first label.
  if (auto exact = exact_.find(name); exact != exact_.end()) return exact->second;
  std::size_t dot = name.find('.');
  if (dot == std::string_view::npos || dot == 0) return std::nullopt;
  if (auto wildcard = wildcard_.find(name.substr(dot + 1)); wildcard != wildcard_.end()) {
    return wildcard->second;
  }
  return std::nullopt;
}

}  // namespace ringway::http
