#pragma once
// The site router run_server hands every worker, built from the config's sites.

#include "ringway/config/config.h"
#include "ringway/proxy/site_router.h"

namespace ringway::app {

// One entry per [[site]], in config order; the default is the site naming
// https.default_host, else the first.
proxy::SiteRouter make_site_router(const config::Config& config);

}  // namespace ringway::app
