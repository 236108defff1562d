#include "ringway/app/serving_snapshot.h"

#include <gtest/gtest.h>

#include <memory>

namespace ringway::app {
namespace {

constexpr const char* two_sites = R"(
[http]
listen = ["127.0.0.1:8080"]
acme_webroot = "/srv"
[https]
listen = ["127.0.0.1:8443"]
default_host = "b.test"
[[site]]
hosts = ["a.test"]
certificate = "/etc/letsencrypt/live/a.test"
upstream = "http://127.0.0.1:9000"
[[site]]
hosts = ["b.test", "*.b.test"]
certificate = "/etc/letsencrypt/live/b.test"
)";

std::shared_ptr<const ServingSnapshot> snapshot_of(const char* text) {
  config::LoadResult loaded = config::parse_config(text, "test.toml");
  EXPECT_TRUE(loaded.ok);
  return make_serving_snapshot(std::make_shared<const config::Config>(loaded.config));
}

TEST(ServingSnapshot, RoutesPointIntoTheSnapshotsOwnConfig) {
  std::shared_ptr<const ServingSnapshot> snapshot = snapshot_of(two_sites);
  ASSERT_GE(snapshot->routes.routes.size(), 1u);
  EXPECT_EQ(snapshot->routes.routes[0].upstream, &snapshot->config->sites[0].upstream);
}

TEST(ServingSnapshot, TheRouterFindsSitesAndTheDefaultHostsSite) {
  std::shared_ptr<const ServingSnapshot> snapshot = snapshot_of(two_sites);
  EXPECT_EQ(snapshot->sites.size(), 2u);
  EXPECT_EQ(snapshot->sites.match_host("a.test"), std::optional<std::size_t>(0));
  EXPECT_EQ(snapshot->sites.match_host("x.b.test"), std::optional<std::size_t>(1));
  EXPECT_EQ(snapshot->sites.route_host("unknown.test"), 1u);  // default_host's site
  EXPECT_TRUE(snapshot->sites.site(0).proxied);
  EXPECT_FALSE(snapshot->sites.site(1).proxied);
}

}  // namespace
}  // namespace ringway::app
