#include "ringway/proxy/site_router.h"

#include <gtest/gtest.h>

#include "ringway/http/request_parser.h"

namespace ringway::proxy {
namespace {

SiteRouter make_router() {
  std::vector<SiteEntry> sites = {
      {{"opam.ocaml.org", "opam-4.ocaml.org"}, {200, ""}},
      {{"staging.opam.ocaml.org"}, {503, ""}},
      {{"*.example.org"}, {200, "Strict-Transport-Security: max-age=60\r\n"}},
  };
  return SiteRouter(std::move(sites), 1);
}

TEST(SiteRouter, ExactNamesIgnoreCaseAndPort) {
  SiteRouter router = make_router();
  EXPECT_EQ(router.route_host("opam.ocaml.org"), 0u);
  EXPECT_EQ(router.route_host("OPAM-4.ocaml.ORG"), 0u);
  EXPECT_EQ(router.route_host("opam.ocaml.org."), 0u);
  EXPECT_EQ(router.route_host("staging.opam.ocaml.org"), 1u);
}

TEST(SiteRouter, WildcardsCoverOneLabelOnly) {
  SiteRouter router = make_router();
  EXPECT_EQ(router.route_host("a.example.org"), 2u);
  EXPECT_EQ(router.route_host("example.org"), 1u);  // the default site
  EXPECT_EQ(router.route_host("a.b.example.org"), 1u);
}

TEST(SiteRouter, RoutesRequestsByHostOrAbsoluteTarget) {
  SiteRouter router = make_router();
  static http::RequestHead head;
  ASSERT_EQ(
      http::parse_request_head("GET / HTTP/1.1\r\nHost: opam.ocaml.org:443\r\n\r\n", head).status,
      http::ParseStatus::complete);
  EXPECT_EQ(router.route(head), 0u);
  ASSERT_EQ(http::parse_request_head(
                "GET https://x.example.org/a HTTP/1.1\r\nHost: opam.ocaml.org\r\n\r\n", head)
                .status,
            http::ParseStatus::complete);
  EXPECT_EQ(router.route(head), 2u);
  ASSERT_EQ(http::parse_request_head("GET / HTTP/1.1\r\nHost: a@b\r\n\r\n", head).status,
            http::ParseStatus::complete);
  EXPECT_EQ(router.route(head), 1u);  // not a host name: the default site
}

TEST(SiteRouter, MatchHostHasNoDefault) {
  SiteRouter router = make_router();
  EXPECT_EQ(router.match_host("opam-4.ocaml.org"), std::optional<std::size_t>(0));
  EXPECT_EQ(router.match_host("a.example.org"), std::optional<std::size_t>(2));
  EXPECT_EQ(router.match_host("unknown.test"), std::nullopt);
}

TEST(SiteRouter, KnowsWhetherAnySiteIsProxiedFromPlainHttp) {
  EXPECT_FALSE(make_router().proxies_plain_http());
  SiteEntry plain{{"plain.test"}, {200, ""}};
  plain.proxied = plain.http_proxied = true;
  std::vector<SiteEntry> sites = {{{"a.test"}, {200, ""}}, plain};
  EXPECT_TRUE(SiteRouter(std::move(sites), 0).proxies_plain_http());
}

}  // namespace
}  // namespace ringway::proxy
