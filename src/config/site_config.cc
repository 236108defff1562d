#include "site_config.h"

#include <optional>

#include "ringway/http/host.h"
#include "upstream_url.h"

namespace ringway::config {

namespace {

// The statuses a site can answer with until it proxies (see http::write_status).
constexpr int site_statuses[] = {200, 403, 404, 410, 421, 500, 502, 503, 504};

bool is_site_host(std::string_view host) {
  if (host.starts_with("*.")) host.remove_prefix(2);  // one leading wildcard label
  std::optional<std::string_view> name = http::host_without_port(host);
  return name && *name == host && !host.starts_with('[');
}

bool is_header_value(std::string_view value) {
  return !value.empty() &&
         std::all_of(value.begin(), value.end(), [](char c) { return c >= 0x20 && c < 0x7F; });
}

// What is wrong with one string, or an empty string when it is fine.
using StringCheck = std::string (*)(std::string_view text);

std::string check_site_host(std::string_view host) {
  return is_site_host(host) ? std::string() : fmt::format("\"{}\" is not a host name", host);
}

std::string check_absolute(std::string_view path) {
  return is_absolute_path(path) ? std::string()
                                : fmt::format("\"{}\" must be an absolute path", path);
}

void take_checked(TableReader& reader, const toml::node& node, std::string_view key,
                  StringCheck check, std::vector<std::string>& out) {
  const auto* text = node.as_string();
  if (text == nullptr) return reader.wrong_type(node, key, "a string");
  std::string problem = check(text->get());
  if (!problem.empty()) return reader.error(node, key, problem);
  out.push_back(text->get());
}

// A string or an array of strings at key, each checked, appended to out; false when missing.
bool read_strings(TableReader& reader, std::string_view key, StringCheck check,
                  std::vector<std::string>& out) {
  const toml::node* node = reader.take(key);
  if (node == nullptr) return false;
  const toml::array* array = node->as_array();
  if (array == nullptr) {
    if (!node->is_string()) reader.wrong_type(*node, key, "a string or an array of strings");
    if (node->is_string()) take_checked(reader, *node, key, check, out);
    return true;
  }
  for (std::size_t index = 0; index < array->size(); ++index) {
    take_checked(reader, *array->get(index), fmt::format("{}[{}]", key, index), check, out);
  }
  return true;
}

// fallback and fallback_ca: the sibling host for when the local upstream is down.
void read_fallback(TableReader& reader, Site& site) {
  const auto* url = take_string(reader, "fallback");
  std::optional<Upstream> fallback;
  if (url != nullptr) {
    std::string error;
    fallback = parse_upstream_url(url->get(), error);
    if (!fallback) {
      reader.error(*url, "fallback", fmt::format("\"{}\" {}", url->get(), error));
    } else if (!reader.has("upstream")) {
      reader.error(*url, "fallback", "needs an upstream: it is used when that cannot be reached");
    } else {
      site.has_fallback = true;
      site.fallback = *fallback;
    }
  }
  const auto* ca = take_string(reader, "fallback_ca");
  if (ca == nullptr) return;
  if (url == nullptr || (fallback && !fallback->tls)) {
    reader.error(*ca, "fallback_ca", "needs an https:// fallback");
  } else if (!is_absolute_path(ca->get())) {
    reader.error(*ca, "fallback_ca", fmt::format("\"{}\" must be an absolute path", ca->get()));
  } else {
    site.fallback_ca = ca->get();
  }
}

void read_site(TableReader& reader, Site& site) {
  if (!read_strings(reader, "hosts", check_site_host, site.hosts)) reader.missing("hosts");
  bool has_one = read_strings(reader, "certificate", check_absolute, site.certificates);
  bool has_many = read_strings(reader, "certificates", check_absolute, site.certificates);
  if (!has_one && !has_many) reader.missing("certificate");
  if (const toml::node* node = reader.take("status")) {
    std::optional<std::int64_t> status = node->value_exact<std::int64_t>();
    bool known = status && std::find(std::begin(site_statuses), std::end(site_statuses), *status) !=
                               std::end(site_statuses);
    if (!known) {
      reader.error(*node, "status", "must be one of 200, 403, 404, 410, 421, 500, 502, 503, 504");
    } else {
      site.status = static_cast<int>(*status);
    }
  }
  if (const auto* url = take_string(reader, "upstream")) {
    std::string error;
    std::optional<Upstream> upstream = parse_upstream_url(url->get(), error);
    if (upstream && upstream->tls) {
      reader.error(
          *url, "upstream",
          fmt::format("\"{}\" must be an http:// URL (only fallback may be https://)", url->get()));
    } else if (upstream) {
      site.has_upstream = true;
      site.upstream = std::move(*upstream);
    } else {
      reader.error(*url, "upstream", fmt::format("\"{}\" {}", url->get(), error));
    }
  }
  read_fallback(reader, site);
  if (const auto* host = take_string(reader, "upstream_host")) {
    if (host->get() == "client" || host->get() == "upstream") {
      site.upstream_host = host->get() == "client" ? UpstreamHost::client : UpstreamHost::upstream;
    } else {
      reader.error(*host, "upstream_host", "must be \"client\" or \"upstream\"");
    }
  }
  if (const auto* http = take_string(reader, "http")) {
    if (http->get() == "redirect" || http->get() == "proxy") {
      site.http_proxy = http->get() == "proxy";
    } else {
      reader.error(*http, "http", "must be \"redirect\" or \"proxy\"");
    }
    if (site.http_proxy && !site.has_upstream) {
      reader.error(*http, "http", "\"proxy\" needs an upstream");
    }
  }
  read_integer(reader, "request_body_max", 0, std::int64_t{1} << 40, site.request_body_bytes_max);
  if (const auto* hsts = take_string(reader, "hsts")) {
    if (is_header_value(hsts->get())) {
      site.hsts = hsts->get();
    } else {
      reader.error(*hsts, "hsts", "must be a header value like \"max-age=31536000\"");
    }
  }
}

}  // namespace

void read_https(TableReader& reader, Config& config) {
  read_listen(reader, config.https.listen);
  if (const auto* host = take_string(reader, "default_host")) {
    config.https.default_host = host->get();
  }
  read_boolean(reader, "session_tickets", config.https.session_tickets);
}

void read_sites(TableReader& root, Config& config) {
  const toml::node* node = root.take("site");
  if (node == nullptr) return;
  const toml::array* array = node->as_array();
  if (array == nullptr || !array->is_array_of_tables()) {
    return root.wrong_type(*node, "site", "an array of tables ([[site]])");
  }
  for (std::size_t index = 0; index < array->size(); ++index) {
    TableReader reader(*array->get(index)->as_table(), fmt::format("site[{}]", index),
                       root.diagnostics());
    Site site;
    read_site(reader, site);
    reader.report_unknown_keys();
    config.sites.push_back(std::move(site));
  }
}

void check_https_sites(TableReader& root, const toml::table& table, const Config& config) {
  bool has_https = table.contains("https");
  if (has_https && config.sites.empty()) {
    root.missing("site", "[https] needs at least one [[site]]");
  }
  if (!has_https && !config.sites.empty()) {
    root.missing("https", "[[site]] needs an [https] table with listen addresses");
  }
  const std::string& wanted = config.https.default_host;
  if (wanted.empty()) return;
  for (const Site& site : config.sites) {
    if (std::find(site.hosts.begin(), site.hosts.end(), wanted) != site.hosts.end()) return;
  }
  root.missing("https.default_host", fmt::format("\"{}\" is not a host of any [[site]]", wanted));
}

}  // namespace ringway::config
