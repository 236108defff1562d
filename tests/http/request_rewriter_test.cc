#include "ringway/http/request_rewriter.h"

#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "guarded_buffer.h"
#include "ringway/http/request_parser.h"

namespace ringway::http {
namespace {

using test_support::GuardedBuffer;

constexpr ProxyHeadOptions default_options{.client_address = "203.0.113.7", .client_https = true};

struct RewriteCase {
  const char* name;
  std::string_view input;
  std::string_view expected;
  ProxyHeadOptions options = default_options;
};

void PrintTo(const RewriteCase& rewrite_case, std::ostream* out) {
  *out << rewrite_case.name;
}

// clang-format off
const RewriteCase rewrite_cases[] = {
    {"plain_get",
     "GET /a?b HTTP/1.1\r\nHost: opam.example\r\nAccept: */*\r\n\r\n",
     "GET /a?b HTTP/1.1\r\nHost: opam.example\r\nAccept: */*\r\n"
     "X-Forwarded-For: 203.0.113.7\r\nX-Forwarded-Proto: https\r\n"
     "X-Forwarded-Host: opam.example\r\nConnection: keep-alive\r\n\r\n"},
    {"hop_by_hop_removed",
     "GET / HTTP/1.1\r\nConnection: keep-alive, Upgrade, X-Private\r\nHost: a\r\n"
     "Keep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\nTE: trailers\r\n"
     "Trailer: X-Sum\r\nUpgrade: websocket\r\nx-private: 1\r\nX-Public: 2\r\n\r\n",
     "GET / HTTP/1.1\r\nHost: a\r\nX-Public: 2\r\nX-Forwarded-For: 203.0.113.7\r\n"
     "X-Forwarded-Proto: https\r\nX-Forwarded-Host: a\r\nConnection: keep-alive\r\n\r\n"},
    {"connection_cannot_remove_framing",
     "POST / HTTP/1.1\r\nHost: a\r\nConnection: Content-Length, Transfer-Encoding\r\n"
     "Content-Length: 3\r\n\r\n",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nX-Forwarded-For: 203.0.113.7\r\n"
     "X-Forwarded-Proto: https\r\nX-Forwarded-Host: a\r\nConnection: keep-alive\r\n\r\n"},
    {"chunked_framing_kept",
     "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
     "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
     "X-Forwarded-For: 203.0.113.7\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: a\r\n"
     "Connection: keep-alive\r\n\r\n"},
    {"forwarded_for_appended_and_others_replaced",
     "GET / HTTP/1.1\r\nX-Forwarded-For: 10.0.0.1\r\nHost: a\r\nx-forwarded-for: 10.0.0.2, 10.0.0.3\r\n"
     "X-Forwarded-Proto: http\r\nX-Forwarded-Host: evil\r\n\r\n",
     "GET / HTTP/1.1\r\nHost: a\r\n"
     "X-Forwarded-For: 10.0.0.1, 10.0.0.2, 10.0.0.3, 203.0.113.7\r\n"
     "X-Forwarded-Proto: https\r\nX-Forwarded-Host: a\r\nConnection: keep-alive\r\n\r\n"},
    {"upstream_host_and_hop_marker",
     "GET / HTTP/1.1\r\nHost: a.example:8443\r\nx-ringway-hop: 7\r\n\r\n",
     "GET / HTTP/1.1\r\nHost: backend\r\nX-Forwarded-For: 2001:db8::1\r\n"
     "X-Forwarded-Proto: http\r\nX-Forwarded-Host: a.example:8443\r\nX-Ringway-Hop: 1\r\n"
     "Connection: keep-alive\r\n\r\n",
     {.client_address = "2001:db8::1", .client_https = false, .upstream_host = "backend",
      .hop_header_name = "X-Ringway-Hop", .hop_header_value = "1"}},
    {"http10_client_becomes_http11",
     "GET /old HTTP/1.0\r\nConnection: close\r\n\r\n",
     "GET /old HTTP/1.1\r\nHost: \r\nX-Forwarded-For: 203.0.113.7\r\n"
     "X-Forwarded-Proto: https\r\nConnection: keep-alive\r\n\r\n"},
    {"absolute_form",
     "GET HTTP://a.example:80/p/q?r HTTP/1.1\r\nHost: a.example\r\n\r\n",
     "GET /p/q?r HTTP/1.1\r\nHost: a.example:80\r\nX-Forwarded-For: 203.0.113.7\r\n"
     "X-Forwarded-Proto: https\r\nX-Forwarded-Host: a.example:80\r\nConnection: keep-alive\r\n\r\n"},
    // RFC 9112 3.2.2: a proxy sends a Host made from the target, not the one received.
    {"absolute_form_authority_replaces_host",
     "GET https://b.example/x HTTP/1.1\r\nHost: a.example\r\n\r\n",
     "GET /x HTTP/1.1\r\nHost: b.example\r\nX-Forwarded-For: 203.0.113.7\r\n"
     "X-Forwarded-Proto: https\r\nX-Forwarded-Host: b.example\r\nConnection: keep-alive\r\n\r\n"},
    {"absolute_form_http10_without_host",
     "GET http://b.example/x HTTP/1.0\r\n\r\n",
     "GET /x HTTP/1.1\r\nHost: b.example\r\nX-Forwarded-For: 203.0.113.7\r\n"
     "X-Forwarded-Proto: https\r\nX-Forwarded-Host: b.example\r\nConnection: keep-alive\r\n\r\n"},
    {"absolute_form_query_only",
     "GET https://a.example?x=1 HTTP/1.1\r\nHost: a.example\r\n\r\n",
     "GET /?x=1 HTTP/1.1\r\nHost: a.example\r\nX-Forwarded-For: 203.0.113.7\r\n"
     "X-Forwarded-Proto: https\r\nX-Forwarded-Host: a.example\r\nConnection: keep-alive\r\n\r\n"},
    {"asterisk_form",
     "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
     "OPTIONS * HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 203.0.113.7\r\n"
     "X-Forwarded-Proto: https\r\nX-Forwarded-Host: a\r\nConnection: keep-alive\r\n\r\n"},
};
// clang-format on

class RequestRewriterCases : public testing::TestWithParam<RewriteCase> {};

TEST_P(RequestRewriterCases, writes_expected_head) {
  const RewriteCase& rewrite_case = GetParam();
  const GuardedBuffer input(rewrite_case.input);
  RequestHead head;
  ASSERT_EQ(parse_request_head(input.view(), head).status, ParseStatus::complete);
  char bytes[1024];
  OutputArea out{bytes, 0, sizeof bytes};
  ASSERT_TRUE(write_proxied_request_head(out, head, rewrite_case.options));
  EXPECT_EQ(std::string_view(out.data, out.size), rewrite_case.expected);
  RequestHead upstream_head;
  EXPECT_EQ(parse_request_head({out.data, out.size}, upstream_head).status, ParseStatus::complete);
}

// Every capacity short of the head: nothing written, size unchanged.
TEST_P(RequestRewriterCases, refuses_when_it_does_not_fit) {
  const RewriteCase& rewrite_case = GetParam();
  const GuardedBuffer input(rewrite_case.input);
  RequestHead head;
  ASSERT_EQ(parse_request_head(input.view(), head).status, ParseStatus::complete);
  const std::string queued = "queued";
  for (std::size_t capacity = 0; capacity < queued.size() + rewrite_case.expected.size();
       ++capacity) {
    std::string bytes(capacity, '\0');
    bytes.replace(0, std::min(capacity, queued.size()), queued.substr(0, capacity));
    OutputArea out{bytes.data(), std::min(capacity, queued.size()), capacity};
    const std::size_t size_before = out.size;
    ASSERT_FALSE(write_proxied_request_head(out, head, rewrite_case.options)) << capacity;
    ASSERT_EQ(out.size, size_before);
  }
  std::string bytes = queued + std::string(rewrite_case.expected.size(), '\0');
  OutputArea out{bytes.data(), queued.size(), bytes.size()};
  ASSERT_TRUE(write_proxied_request_head(out, head, rewrite_case.options));
  EXPECT_EQ(bytes, queued + std::string(rewrite_case.expected));
}

INSTANTIATE_TEST_SUITE_P(Table, RequestRewriterCases, testing::ValuesIn(rewrite_cases),
                         [](const testing::TestParamInfo<RewriteCase>& info) {
                           return std::string(info.param.name);
                         });

TEST(RequestRewriter, origin_form_path) {
  EXPECT_EQ(origin_form_path("/a"), std::optional<std::string_view>("/a"));
  EXPECT_EQ(origin_form_path("*"), std::optional<std::string_view>("*"));
  EXPECT_EQ(origin_form_path("http://a"), std::optional<std::string_view>(""));
  EXPECT_EQ(origin_form_path("http://a/b"), std::optional<std::string_view>("/b"));
  EXPECT_EQ(origin_form_path("hTTpS://a?b"), std::optional<std::string_view>("?b"));
  EXPECT_EQ(origin_form_path("http:///b"), std::nullopt);
  EXPECT_EQ(origin_form_path("http://"), std::nullopt);
  EXPECT_EQ(origin_form_path("a.example:443"), std::nullopt);
  EXPECT_EQ(origin_form_path("ftp://a/b"), std::nullopt);
  EXPECT_EQ(origin_form_path("*x"), std::nullopt);
  EXPECT_EQ(origin_form_path(""), std::nullopt);
}

TEST(RequestRewriter, refuses_authority_form) {
  const GuardedBuffer input("CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n");
  RequestHead head;
  ASSERT_EQ(parse_request_head(input.view(), head).status, ParseStatus::complete);
  char bytes[512];
  OutputArea out{bytes, 0, sizeof bytes};
  EXPECT_FALSE(write_proxied_request_head(out, head, default_options));
  EXPECT_EQ(out.size, 0u);
}

}  // namespace
}  // namespace ringway::http
