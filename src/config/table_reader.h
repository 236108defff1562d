#pragma once
// Private to src/config/: reading TOML tables with every problem collected
// with its position and dotted key.

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "ringway/config/config.h"

namespace ringway::config {

std::string_view type_name(toml::node_type type);

struct Problem {
  toml::source_index line;
  toml::source_index column;
  std::string text;
};

class Diagnostics {
 public:
  explicit Diagnostics(const std::string& source_name) : source_name_(source_name) {}

  void add(const toml::source_region& where, std::string_view key, std::string_view what) {
    // toml++ leaves position 0 on nodes it made itself, like the root table.
    toml::source_index line = std::max<toml::source_index>(where.begin.line, 1);
    toml::source_index column = std::max<toml::source_index>(where.begin.column, 1);
    problems_.push_back(
        {line, column, fmt::format("{}:{}:{}: {}: {}", source_name_, line, column, key, what)});
  }

  // Problems are found section by section; users read the file top to bottom.
  std::vector<std::string> take_in_file_order() {
    std::stable_sort(problems_.begin(), problems_.end(), [](const Problem& a, const Problem& b) {
      return a.line != b.line ? a.line < b.line : a.column < b.column;
    });
    std::vector<std::string> texts;
    for (Problem& problem : problems_) texts.push_back(std::move(problem.text));
    return texts;
  }

 private:
  const std::string& source_name_;
  std::vector<Problem> problems_;
};

// Reads one table and remembers which keys it asked for, so the rest are unknown.
class TableReader {
 public:
  TableReader(const toml::table& table, std::string path, Diagnostics& diagnostics)
      : table_(table), path_(std::move(path)), diagnostics_(diagnostics) {}

  // The value at `key`, or nullptr when absent; either way `key` is known from now on.
  const toml::node* take(std::string_view key) {
    known_keys_.push_back(key);
    return table_.get(key);
  }

  bool has(std::string_view key) const { return table_.contains(key); }

  std::string path_of(std::string_view key) const {
    return path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
  }

  void error(const toml::node& node, std::string_view key, std::string_view what) {
    diagnostics_.add(node.source(), path_of(key), what);
  }

  void wrong_type(const toml::node& node, std::string_view key, std::string_view expected) {
    error(node, key, fmt::format("expected {}, got {}", expected, type_name(node.type())));
  }

  void missing(std::string_view key, std::string_view what = "required key is missing") {
    diagnostics_.add(table_.source(), path_of(key), what);
  }

  void report_unknown_keys() {
    for (auto&& [key, value] : table_) {
      if (std::find(known_keys_.begin(), known_keys_.end(), key.str()) == known_keys_.end()) {
        diagnostics_.add(key.source(), path_of(key.str()), "unknown key");
      }
    }
  }

  Diagnostics& diagnostics() { return diagnostics_; }

 private:
  const toml::table& table_;
  std::string path_;
  Diagnostics& diagnostics_;
  std::vector<std::string_view> known_keys_;
};

// The string at `key`, or nullptr when absent or not a string (then reported).
const toml::value<std::string>* take_string(TableReader& reader, std::string_view key);
// Sets target from the boolean at `key`; absent leaves it, another type is reported.
void read_boolean(TableReader& reader, std::string_view key, bool& target);

template <typename Number>
void read_integer(TableReader& reader, std::string_view key, std::int64_t min, std::int64_t max,
                  Number& target) {
  const toml::node* node = reader.take(key);
  if (node == nullptr) return;
  const toml::value<std::int64_t>* integer = node->as_integer();
  if (integer == nullptr) return reader.wrong_type(*node, key, "an integer");
  if (integer->get() < min || integer->get() > max) {
    return reader.error(*node, key, fmt::format("must be from {} to {}", min, max));
  }
  target = static_cast<Number>(integer->get());
}

void read_duration(TableReader& reader, std::string_view key, std::uint32_t& target_ms);
bool is_absolute_path(std::string_view path);
void read_listen(TableReader& reader, std::vector<ListenAddress>& listen);

}  // namespace ringway::config
