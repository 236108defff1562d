#include "ringway/proxy/upstream_routes.h"

#include <fmt/format.h>

namespace ringway::proxy {

UpstreamRoutes upstream_routes(const config::Config& config) {
  UpstreamRoutes result;
  std::vector<UpstreamRoute>& routes = result.routes;
  for (std::size_t index = 0; index < config.sites.size(); ++index) {
    const config::Site& site = config.sites[index];
    UpstreamRoute route;
    if (site.has_upstream) route.upstream = &site.upstream;
    route.host = site.upstream_host;
    route.body_bytes_max = site.request_body_bytes_max;
    route.hsts = site.hsts;
    route.key = fmt::format("site[{}].upstream", index);
    routes.push_back(std::move(route));
  }
  if (config.http.has_acme_peer) {
    result.acme_peer = static_cast<std::uint32_t>(routes.size());
    UpstreamRoute peer;
    peer.upstream = &config.http.acme_peer;
    peer.key = "http.acme_peer";
    routes.push_back(std::move(peer));
  }
  for (std::size_t index = 0; index < config.sites.size(); ++index) {
    const config::Site& site = config.sites[index];
    if (!site.has_fallback) continue;
    // The sibling gets the client's Host: it serves the same names.
    UpstreamRoute fallback = routes[index];
    fallback.upstream = &site.fallback;
    fallback.host = config::UpstreamHost::client;
    if (site.fallback.tls) fallback.ca_file = site.fallback_ca;
    fallback.key = fmt::format("site[{}].fallback", index);
    routes[index].fallback = static_cast<std::uint32_t>(routes.size());
    routes.push_back(std::move(fallback));
  }
  return result;
}

}  // namespace ringway::proxy
