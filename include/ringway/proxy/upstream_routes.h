#pragma once
// Where proxied requests go, numbered once for everyone: the control loop
// resolves each route's name and makes its TLS contexts, a worker keeps a pool
// of connections per route. Order: each site's upstream (by site index), then
// the ACME peer, then each site's fallback.

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "ringway/config/config.h"

namespace ringway::proxy {

inline constexpr std::uint32_t no_route = std::numeric_limits<std::uint32_t>::max();

struct UpstreamRoute {
  const config::Upstream* upstream = nullptr;  // null: a site that answers a status
  config::UpstreamHost host = config::UpstreamHost::client;
  // The site's, also on its fallback route: a request keeps them when it moves there.
  std::uint64_t body_bytes_max = 0;
  std::string_view hsts;
  // Where a request goes when this route cannot be reached and nothing was sent.
  std::uint32_t fallback = no_route;
  std::string_view ca_file;  // https upstreams: the CA bundle their certificate is checked with
  std::string key;           // the config key, for messages: "site[1].fallback"
};

struct UpstreamRoutes {
  std::vector<UpstreamRoute> routes;
  std::uint32_t acme_peer = no_route;
};

// The routes of config, which must outlive them (they point into it).
UpstreamRoutes upstream_routes(const config::Config& config);

}  // namespace ringway::proxy
