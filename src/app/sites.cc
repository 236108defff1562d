#include "ringway/app/sites.h"

namespace ringway::app {

proxy::SiteRouter make_site_router(const config::Config& config) {
  std::vector<proxy::SiteEntry> entries;
  std::size_t default_site = 0;
  for (const config::Site& site : config.sites) {
    proxy::SiteEntry entry;
    entry.hosts = site.hosts;
    entry.answer.status = site.status;
    entry.proxied = site.has_upstream;
    entry.http_proxied = site.http_proxy;
    if (!site.hsts.empty())
      entry.answer.extra_headers = "Strict-Transport-Security: " + site.hsts + "\r\n";
    for (const std::string& host : site.hosts) {
      if (host == config.https.default_host) default_site = entries.size();
    }
    entries.push_back(std::move(entry));
  }
  return proxy::SiteRouter(std::move(entries), default_site);
}

}  // namespace ringway::app
