#include "ringway/proxy/site_router.h"

#include <algorithm>
#include <cassert>
#include <optional>

#include "ringway/http/host.h"

namespace ringway::proxy {

namespace {

std::vector<std::vector<std::string>> hosts_of(const std::vector<SiteEntry>& sites) {
  std::vector<std::vector<std::string>> hosts;
  hosts.reserve(sites.size());
  for (const SiteEntry& site : sites) hosts.push_back(site.hosts);
  return hosts;
}

}  // namespace

SiteRouter::SiteRouter(std::vector<SiteEntry> sites, std::size_t default_site)
    : sites_(std::move(sites)) {
  assert(sites_.empty() || default_site < sites_.size());
  if (!sites_.empty()) hosts_ = http::HostTable(hosts_of(sites_), default_site);
  proxies_plain_http_ = std::any_of(sites_.begin(), sites_.end(),
                                    [](const SiteEntry& site) { return site.http_proxied; });
}

std::size_t SiteRouter::route(const http::RequestHead& head) const {
  std::optional<std::string_view> host = http::host_without_port(head.host);
  return *hosts_.find(host.value_or(std::string_view()));
}

std::size_t SiteRouter::route_host(std::string_view host) const {
  return *hosts_.find(host);
}

std::optional<std::size_t> SiteRouter::match_host(std::string_view host) const {
  return hosts_.match(host);
}

}  // namespace ringway::proxy
