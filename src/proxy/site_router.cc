#include "ringway/proxy/site_router.h"

#include <algorithm>
#include <cassert>
#include <optional>

#include "ringway/http/host.h"

namespace ringway::proxy {

namespace {

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

// "*.example.org" matches "a.example.org" but neither "example.org" nor "a.b.example.org".
bool wildcard_matches(std::string_view pattern, std::string_view host) {
  if (pattern.size() < 3 || pattern.substr(0, 2) != "*.") return false;
  std::string_view suffix = pattern.substr(1);  // ".example.org"
  if (host.size() <= suffix.size()) return false;
  std::string_view label = host.substr(0, host.size() - suffix.size());
  return label.find('.') == std::string_view::npos &&
         equal_ignoring_case(host.substr(label.size()), suffix);
}

}  // namespace

SiteRouter::SiteRouter(std::vector<SiteEntry> sites, std::size_t default_site)
    : sites_(std::move(sites)), default_site_(default_site) {
  assert(sites_.empty() || default_site_ < sites_.size());
  proxies_plain_http_ = std::any_of(sites_.begin(), sites_.end(),
                                    [](const SiteEntry& site) { return site.http_proxied; });
}

std::size_t SiteRouter::route(const http::RequestHead& head) const {
  std::optional<std::string_view> host = http::host_without_port(head.host);
  return host ? route_host(*host) : default_site_;
}

std::size_t SiteRouter::route_host(std::string_view host) const {
  return match_host(host).value_or(default_site_);
}

std::optional<std::size_t> SiteRouter::match_host(std::string_view host) const {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  for (std::size_t index = 0; index < sites_.size(); ++index) {
    for (const std::string& name : sites_[index].hosts) {
      if (equal_ignoring_case(name, host)) return index;
    }
  }
  for (std::size_t index = 0; index < sites_.size(); ++index) {
    for (const std::string& name : sites_[index].hosts) {
      if (wildcard_matches(name, host)) return index;
    }
  }
  return std::nullopt;
}

}  // namespace ringway::proxy
