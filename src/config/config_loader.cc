// TOML text to Config. Every problem is collected with its position and dotted
// key, so one `ringway check` run lists them all instead of one per edit.

#include <algorithm>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "duration.h"
#include "listen_address.h"
#include "ringway/config/config.h"
#include "ringway/http/request_head.h"

// The error path below relies on toml::parse throwing parse_error.
static_assert(TOML_EXCEPTIONS, "toml++ must be built with exceptions");

namespace ringway::config {
namespace {

constexpr std::int64_t workers_max = 1024;

std::string_view type_name(toml::node_type type) {
  switch (type) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

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
const toml::value<std::string>* take_string(TableReader& reader, std::string_view key) {
  const toml::node* node = reader.take(key);
  if (node == nullptr) return nullptr;
  const toml::value<std::string>* text = node->as_string();
  if (text == nullptr) reader.wrong_type(*node, key, "a string");
  return text;
}

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

void read_duration(TableReader& reader, std::string_view key, std::uint32_t& target_ms) {
  const toml::node* node = reader.take(key);
  if (node == nullptr) return;
  std::string error;
  std::optional<std::uint32_t> duration_ms;
  if (const auto* text = node->as_string()) {
    duration_ms = parse_duration_ms(text->get(), error);
  } else if (const auto* seconds = node->as_integer()) {
    duration_ms = duration_from_seconds(seconds->get(), error);
  } else {
    return reader.wrong_type(*node, key, "a duration like \"10s\" or an integer of seconds");
  }
  if (!duration_ms) return reader.error(*node, key, error);
  target_ms = *duration_ms;
}

bool is_absolute_path(std::string_view path) {
  // A NUL would silently cut the path short when it reaches open(2).
  return path.starts_with('/') && path.find('\0') == path.npos;
}

void read_workers(TableReader& reader, std::uint32_t& workers) {
  const toml::node* node = reader.take("workers");
  if (node == nullptr) return;
  if (!node->is_string() && !node->is_integer()) {
    return reader.wrong_type(*node, "workers", "\"auto\" or an integer");
  }
  if (node->value_exact<std::string>() == "auto") {
    workers = 0;
    return;
  }
  std::int64_t count = node->value_exact<std::int64_t>().value_or(0);
  if (count < 1 || count > workers_max) {
    return reader.error(*node, "workers", "must be \"auto\" or an integer from 1 to 1024");
  }
  workers = static_cast<std::uint32_t>(count);
}

void read_listen(TableReader& reader, std::vector<ListenAddress>& listen) {
  const toml::node* node = reader.take("listen");
  if (node == nullptr) return reader.missing("listen");
  const toml::array* array = node->as_array();
  if (array == nullptr) return reader.wrong_type(*node, "listen", "an array of strings");
  if (array->empty()) return reader.error(*node, "listen", "must list at least one address");

  std::vector<std::size_t> indexes;  // listen[i] was written at array index indexes[i]
  for (std::size_t index = 0; index < array->size(); ++index) {
    const toml::node& element = *array->get(index);
    std::string key = fmt::format("listen[{}]", index);
    const toml::value<std::string>* text = element.as_string();
    if (text == nullptr) {
      reader.wrong_type(element, key, "a string");
      continue;
    }
    std::string error;
    std::optional<ListenAddress> address = parse_listen_address(text->get(), error);
    if (!address) {
      reader.error(element, key, error);
      continue;
    }
    auto same = std::find_if(listen.begin(), listen.end(), [&](const ListenAddress& earlier) {
      return same_endpoint(earlier, *address);
    });
    if (same != listen.end()) {
      std::size_t earlier_index = indexes[static_cast<std::size_t>(same - listen.begin())];
      reader.error(
          element, key,
          fmt::format("duplicate of {}", reader.path_of(fmt::format("listen[{}]", earlier_index))));
      continue;
    }
    listen.push_back(std::move(*address));
    indexes.push_back(index);
  }
}

void read_http(TableReader& reader, Config& config) {
  HttpFront& http = config.http;
  read_listen(reader, http.listen);
  if (!reader.has("acme_webroot")) reader.missing("acme_webroot");
  if (const auto* webroot = take_string(reader, "acme_webroot")) {
    if (is_absolute_path(webroot->get())) {
      http.acme_webroot = webroot->get();
    } else {
      reader.error(*webroot, "acme_webroot", "must be an absolute path");
    }
  }
  read_integer(reader, "redirect_port", 1, 65535, http.redirect_port);
}

void read_timeouts(TableReader& reader, Config& config) {
  read_duration(reader, "request_head", config.timeouts.request_head_ms);
  read_duration(reader, "keepalive", config.timeouts.keepalive_ms);
  read_duration(reader, "shutdown", config.timeouts.shutdown_ms);
}

void read_limits(TableReader& reader, Config& config) {
  Limits& limits = config.limits;
  read_integer(reader, "connections_per_worker", 1, 1048576, limits.connections_per_worker);
  read_integer(reader, "request_head_bytes", 1024, 1048576, limits.request_head_bytes);
  // The parser keeps headers in a fixed array; more than it holds cannot be honoured.
  read_integer(reader, "header_count", 1, static_cast<std::int64_t>(http::header_count_limit),
               limits.header_count);
}

void read_log(TableReader& reader, Config& config) {
  AccessLog& log = config.access_log;
  if (const auto* access = take_string(reader, "access")) {
    const std::string& text = access->get();
    if (text == "-" || text == "stdout") {
      log.enabled = true;
      log.path = "-";
    } else if (text == "off") {
      log.enabled = false;
      log.path.clear();
    } else if (is_absolute_path(text)) {
      log.enabled = true;
      log.path = text;
    } else {
      reader.error(*access, "access", "must be \"-\", \"stdout\", \"off\" or an absolute path");
    }
  }
  if (const auto* format = take_string(reader, "format")) {
    if (format->get() == "combined") {
      log.format = AccessLogFormat::combined;
    } else if (format->get() == "json") {
      log.format = AccessLogFormat::json;
    } else {
      reader.error(*format, "format", "must be \"combined\" or \"json\"");
    }
  }
}

// A duration that a socket option takes in whole seconds, up to `max_s`.
void read_whole_seconds(TableReader& reader, std::string_view key, std::uint32_t max_s,
                        std::uint32_t& target_s) {
  std::uint32_t duration_ms = target_s * 1000;
  read_duration(reader, key, duration_ms);
  if (duration_ms == target_s * 1000) return;  // absent, or already reported
  const toml::node& node = *reader.take(key);
  if (duration_ms % 1000 != 0) return reader.error(node, key, "must be whole seconds");
  if (duration_ms / 1000 > max_s) {
    return reader.error(node, key, fmt::format("must be at most {}s", max_s));
  }
  target_s = duration_ms / 1000;
}

bool is_congestion_name(std::string_view name) {
  // TCP_CA_NAME_MAX is 16 bytes with the NUL; kernel names are lower case.
  return name.size() < 16 &&
         name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == name.npos;
}

void read_tcp(TableReader& reader, Config& config) {
  Tcp& tcp = config.tcp;
  if (const auto* congestion = take_string(reader, "congestion")) {
    if (is_congestion_name(congestion->get())) {
      tcp.congestion = congestion->get();
    } else {
      reader.error(*congestion, "congestion",
                   "must be a kernel congestion control name like \"bbr\", or \"\"");
    }
  }
  // The kernel's limits: MAX_TCP_KEEPIDLE, MAX_TCP_KEEPINTVL and MAX_TCP_KEEPCNT.
  read_whole_seconds(reader, "keepalive_idle", 32767, tcp.keepalive_idle_s);
  read_whole_seconds(reader, "keepalive_interval", 32767, tcp.keepalive_interval_s);
  read_integer(reader, "keepalive_count", 1, 127, tcp.keepalive_count);
}

std::optional<CheckPolicy> parse_check_policy(std::string_view text, bool allow_off) {
  if (text == "warn") return CheckPolicy::warn;
  if (text == "enforce") return CheckPolicy::enforce;
  if (text == "off" && allow_off) return CheckPolicy::off;
  return std::nullopt;
}

void read_check_overrides(TableReader& reader, const toml::node& node, Preflight& preflight) {
  const toml::table* table = node.as_table();
  if (table == nullptr) return reader.wrong_type(node, "checks", "a table");
  TableReader checks(*table, reader.path_of("checks"), reader.diagnostics());
  for (auto&& [key, value] : *table) {
    const auto known = std::find(preflight_check_names.begin(), preflight_check_names.end(),
                                 key.str()) != preflight_check_names.end();
    if (!known) {
      std::string names;
      for (std::string_view name : preflight_check_names) {
        names += fmt::format("{}{}", names.empty() ? "" : ", ", name);
      }
      checks.error(value, key.str(), fmt::format("unknown check; the checks are {}", names));
      continue;
    }
    const toml::value<std::string>* text = value.as_string();
    std::optional<CheckPolicy> policy;
    if (text != nullptr) policy = parse_check_policy(text->get(), true);
    if (!policy) {
      checks.error(value, key.str(), "must be \"warn\", \"enforce\" or \"off\"");
      continue;
    }
    preflight.checks.push_back({std::string(key.str()), *policy});
  }
}

void read_preflight(TableReader& reader, Config& config) {
  Preflight& preflight = config.preflight;
  if (const auto* policy = take_string(reader, "policy")) {
    if (std::optional<CheckPolicy> parsed = parse_check_policy(policy->get(), false)) {
      preflight.policy = *parsed;
    } else {
      reader.error(*policy, "policy", "must be \"warn\" or \"enforce\"");
    }
  }
  if (const auto* directory = take_string(reader, "sysctl_dir")) {
    if (is_absolute_path(directory->get())) {
      preflight.sysctl_dir = directory->get();
    } else {
      reader.error(*directory, "sysctl_dir", "must be an absolute path");
    }
  }
  if (const toml::node* checks = reader.take("checks")) {
    read_check_overrides(reader, *checks, preflight);
  }
}

using SectionReader = void (*)(TableReader&, Config&);

// Reads [name] when present and returns whether it was; a non-table is reported.
bool read_section(TableReader& root, std::string_view name, SectionReader read, Config& config) {
  const toml::node* node = root.take(name);
  if (node == nullptr) return false;
  const toml::table* table = node->as_table();
  if (table == nullptr) {
    root.wrong_type(*node, name, "a table");
    return true;
  }
  TableReader reader(*table, std::string(name), root.diagnostics());
  read(reader, config);
  reader.report_unknown_keys();
  return true;
}

void read_config(const toml::table& root, Diagnostics& diagnostics, Config& config) {
  TableReader reader(root, "", diagnostics);
  read_workers(reader, config.workers);
  if (!read_section(reader, "http", read_http, config)) {
    reader.missing("http", "required table [http] is missing");
  }
  read_section(reader, "timeouts", read_timeouts, config);
  read_section(reader, "limits", read_limits, config);
  read_section(reader, "log", read_log, config);
  read_section(reader, "tcp", read_tcp, config);
  read_section(reader, "preflight", read_preflight, config);
  reader.report_unknown_keys();
}

}  // namespace

CheckPolicy policy_for(const Preflight& preflight, std::string_view check) {
  // A later override of the same check wins, as a later line in a file would.
  CheckPolicy policy = preflight.policy;
  for (const CheckOverride& entry : preflight.checks) {
    if (entry.check == check) policy = entry.policy;
  }
  return policy;
}

LoadResult parse_config(std::string_view text, const std::string& source_name) {
  LoadResult result;
  result.config.source = source_name;
  try {
    const toml::table root = toml::parse(text, std::string_view(source_name));
    Diagnostics diagnostics(source_name);
    read_config(root, diagnostics, result.config);
    result.errors = diagnostics.take_in_file_order();
  } catch (const toml::parse_error& error) {
    const toml::source_position& where = error.source().begin;
    result.errors.push_back(
        fmt::format("{}:{}:{}: {}", source_name, where.line, where.column, error.description()));
  } catch (const std::exception& error) {
    result.errors.push_back(fmt::format("{}: {}", source_name, error.what()));
  }
  result.ok = result.errors.empty();
  return result;
}

}  // namespace ringway::config
