// TOML text to Config. Every problem is collected with its position and dotted
// key, so one `ringway check` run lists them all instead of one per edit.

#include <algorithm>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "duration.h"
#include "listen_address.h"
#include "resolver_config.h"
#include "ringway/config/config.h"
#include "ringway/http/request_head.h"
#include "site_config.h"
#include "table_reader.h"
#include "upstream_url.h"

// The error path below relies on toml::parse throwing parse_error.
static_assert(TOML_EXCEPTIONS, "toml++ must be built with exceptions");

namespace ringway::config {
namespace {

constexpr std::int64_t workers_max = 1024;

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
  if (const auto* peer = take_string(reader, "acme_peer")) {
    std::string error;
    std::optional<Upstream> upstream = parse_upstream_url(peer->get(), error);
    if (!upstream)
      return reader.error(*peer, "acme_peer", fmt::format("\"{}\" {}", peer->get(), error));
    if (upstream->tls)
      return reader.error(*peer, "acme_peer", "must be an http:// URL (challenges are plain HTTP)");
    http.has_acme_peer = true;
    http.acme_peer = std::move(*upstream);
  }
}

void read_timeouts(TableReader& reader, Config& config) {
  read_duration(reader, "request_head", config.timeouts.request_head_ms);
  read_duration(reader, "keepalive", config.timeouts.keepalive_ms);
  read_duration(reader, "shutdown", config.timeouts.shutdown_ms);
  read_duration(reader, "upstream_connect", config.timeouts.upstream_connect_ms);
  read_duration(reader, "upstream_response", config.timeouts.upstream_response_ms);
  read_duration(reader, "upstream_idle", config.timeouts.upstream_idle_ms);
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
      checks.diagnostics().add(key.source(), checks.path_of(key.str()),
                               fmt::format("unknown check; the checks are {}", names));
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
  read_section(reader, "https", read_https, config);
  read_sites(reader, config);
  check_https_sites(reader, root, config);
  read_section(reader, "timeouts", read_timeouts, config);
  read_section(reader, "limits", read_limits, config);
  read_section(reader, "log", read_log, config);
  read_section(reader, "tcp", read_tcp, config);
  read_section(reader, "preflight", read_preflight, config);
  read_section(reader, "resolver", read_resolver, config);
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
