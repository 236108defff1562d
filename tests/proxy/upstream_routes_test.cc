#include "ringway/proxy/upstream_routes.h"

#include <gtest/gtest.h>

namespace ringway::proxy {
namespace {

config::Config parsed(const std::string& text) {
  config::LoadResult result = config::parse_config(text, "test.toml");
  EXPECT_TRUE(result.ok) << ::testing::PrintToString(result.errors);
  return result.config;
}

constexpr std::string_view front =
    "[http]\nlisten = [\"127.0.0.1:8080\"]\nacme_webroot = \"/w\"\n"
    "acme_peer = \"http://peer.test\"\n[https]\nlisten = [\"127.0.0.1:8443\"]\n";

TEST(UpstreamRoutes, SitesThenThePeerThenFallbacks) {
  config::Config config = parsed(std::string(front) +
                                 "[[site]]\nhosts = \"a.test\"\ncertificate = \"/c\"\n"
                                 "upstream = \"http://a_live\"\nupstream_host = \"upstream\"\n"
                                 "fallback = \"https://sibling.test\"\nhsts = \"max-age=60\"\n"
                                 "request_body_max = 7\n"
                                 "[[site]]\nhosts = \"static.test\"\ncertificate = \"/c\"\n"
                                 "[[site]]\nhosts = \"c.test\"\ncertificate = \"/c\"\n"
                                 "upstream = \"http://c_live\"\nfallback = \"http://10.0.0.2\"\n");
  UpstreamRoutes result = upstream_routes(config);
  ASSERT_EQ(result.routes.size(), 6u);
  EXPECT_EQ(result.acme_peer, 3u);
  const std::vector<UpstreamRoute>& routes = result.routes;
  EXPECT_EQ(routes[0].upstream, &config.sites[0].upstream);
  EXPECT_EQ(routes[0].host, config::UpstreamHost::upstream);
  EXPECT_EQ(routes[0].fallback, 4u);
  EXPECT_EQ(routes[0].key, "site[0].upstream");
  EXPECT_EQ(routes[1].upstream, nullptr);
  EXPECT_EQ(routes[1].fallback, no_route);
  EXPECT_EQ(routes[2].fallback, 5u);
  EXPECT_EQ(routes[3].upstream, &config.http.acme_peer);
  EXPECT_EQ(routes[3].key, "http.acme_peer");

  // A fallback keeps its site's limits and headers, and sends the client's Host.
  const UpstreamRoute& sibling = routes[4];
  EXPECT_EQ(sibling.upstream, &config.sites[0].fallback);
  EXPECT_EQ(sibling.host, config::UpstreamHost::client);
  EXPECT_EQ(sibling.body_bytes_max, 7u);
  EXPECT_EQ(sibling.hsts, "max-age=60");
  EXPECT_EQ(sibling.ca_file, "/etc/ssl/certs/ca-certificates.crt");
  EXPECT_EQ(sibling.fallback, no_route);  // never a second hop
  EXPECT_EQ(sibling.key, "site[0].fallback");
  EXPECT_TRUE(routes[5].ca_file.empty());  // plain http://
  EXPECT_EQ(routes[5].key, "site[2].fallback");
}

TEST(UpstreamRoutes, NoPeerNoFallback) {
  config::Config config = parsed(
      "[http]\nlisten = [\"127.0.0.1:8080\"]\nacme_webroot = \"/w\"\n"
      "[https]\nlisten = [\"127.0.0.1:8443\"]\n[[site]]\nhosts = \"a.test\"\n"
      "certificate = \"/c\"\nupstream = \"http://127.0.0.1:9000\"\n");
  UpstreamRoutes result = upstream_routes(config);
  ASSERT_EQ(result.routes.size(), 1u);
  EXPECT_EQ(result.acme_peer, no_route);
  EXPECT_EQ(result.routes[0].fallback, no_route);
}

}  // namespace
}  // namespace ringway::proxy
