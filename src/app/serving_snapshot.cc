#include "ringway/app/serving_snapshot.h"

#include <string>
#include <vector>

#include "ringway/http/host_table.h"

namespace ringway::app {

proxy::SiteRouter make_site_router(const config::Config& config) {
  std::vector<proxy::SiteEntry> entries;
  std::vector<std::vector<std::string>> hosts;
  for (const config::Site& site : config.sites) {
    hosts.push_back(site.hosts);
    proxy::SiteEntry entry;
    entry.hosts = site.hosts;
    entry.answer.status = site.status;
    entry.proxied = site.has_upstream;
    entry.http_proxied = site.http_proxy;
    if (!site.hsts.empty())
      entry.answer.extra_headers = "Strict-Transport-Security: " + site.hsts + "\r\n";
    entries.push_back(std::move(entry));
  }
  std::size_t default_site = http::HostTable(hosts).match(config.https.default_host).value_or(0);
  return proxy::SiteRouter(std::move(entries), default_site);
}

std::shared_ptr<const ServingSnapshot> make_serving_snapshot(
    std::shared_ptr<const config::Config> config) {
  auto snapshot = std::make_shared<ServingSnapshot>();
  snapshot->config = std::move(config);
  snapshot->sites = make_site_router(*snapshot->config);
  snapshot->routes = proxy::upstream_routes(*snapshot->config);
  return snapshot;
}

}  // namespace ringway::app
