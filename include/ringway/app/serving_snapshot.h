#pragma once
// What requests are served with: the config and what is derived from it once
// (the site router, the numbered upstream routes). run_server publishes it;
// each connection takes the snapshot current when it starts and keeps it to
// its end, so a later snapshot never changes a request in flight.

#include <memory>

#include "ringway/config/config.h"
#include "ringway/proxy/site_router.h"
#include "ringway/proxy/upstream_routes.h"

namespace ringway::app {

struct ServingSnapshot {
  std::shared_ptr<const config::Config> config;
  proxy::SiteRouter sites;       // HTTPS requests, and plain ones of sites with http = "proxy"
  proxy::UpstreamRoutes routes;  // numbered once for everyone; they point into *config
};

std::shared_ptr<const ServingSnapshot> make_serving_snapshot(
    std::shared_ptr<const config::Config> config);

// The site router of config: the default site is the one https.default_host
// itself finds, as the certificate store picks it.
proxy::SiteRouter make_site_router(const config::Config& config);

}  // namespace ringway::app
