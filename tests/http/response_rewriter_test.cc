#include "ringway/http/response_rewriter.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <string_view>

#include "guarded_buffer.h"
#include "ringway/http/request_parser.h"
#include "ringway/http/response_parser.h"

namespace ringway::http {
namespace {

using test_support::GuardedBuffer;

constexpr std::string_view hsts = "max-age=31536000";

struct RewriteCase {
  const char* name;
  std::string_view input;
  std::string_view expected;
  ProxyResponseOptions options = {};
};

void PrintTo(const RewriteCase& rewrite_case, std::ostream* out) {
  *out << rewrite_case.name;
}

// clang-format off
const RewriteCase rewrite_cases[] = {
    {"length_kept",
     "HTTP/1.1 200 OK\r\nServer: nginx/1.24\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\n",
     "HTTP/1.1 200 OK\r\nServer: nginx/1.24\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\n"},
    {"chunked_kept_and_close_to_client",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nKeep-Alive: timeout=5\r\n\r\n",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
     {.keep_alive = false}},
    {"hop_by_hop_and_listed_removed",
     "HTTP/1.0 404 Not Found\r\nConnection: keep-alive, X-Debug\r\nX-Debug: 1\r\n"
     "Proxy-Connection: x\r\nTrailer: X-Sum\r\nUpgrade: h2c\r\nTE: x\r\nDate: d\r\n\r\n",
     "HTTP/1.1 404 Not Found\r\nDate: d\r\nConnection: keep-alive\r\n\r\n"},
    {"hsts_added",
     "HTTP/1.1 204 \r\n\r\n",
     "HTTP/1.1 204 \r\nStrict-Transport-Security: max-age=31536000\r\nConnection: keep-alive\r\n\r\n",
     {.keep_alive = true, .strict_transport_security = hsts}},
    {"hsts_not_doubled",
     "HTTP/1.1 301 Moved\r\nstrict-transport-security: max-age=1\r\nLocation: /x\r\n\r\n",
     "HTTP/1.1 301 Moved\r\nstrict-transport-security: max-age=1\r\nLocation: /x\r\n"
     "Connection: keep-alive\r\n\r\n",
     {.keep_alive = true, .strict_transport_security = hsts}},
    {"http10_client_gets_no_transfer_coding",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nX-A: 1\r\ntransfer-encoding: chunked\r\n\r\n",
     "HTTP/1.1 200 OK\r\nX-A: 1\r\nConnection: close\r\n\r\n",
     {.keep_alive = false, .client_http10 = true}},
    {"interim_without_connection",
     "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n",
     "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n",
     {.keep_alive = true, .strict_transport_security = hsts}},
};
// clang-format on

class ResponseRewriterCases : public testing::TestWithParam<RewriteCase> {};

TEST_P(ResponseRewriterCases, writes_expected_head) {
  const RewriteCase& rewrite_case = GetParam();
  const GuardedBuffer input(rewrite_case.input);
  ResponseHead head;
  ASSERT_EQ(parse_response_head(input.view(), head).status, ResponseParseStatus::complete);
  char bytes[1024];
  OutputArea out{bytes, 0, sizeof bytes};
  ASSERT_TRUE(write_proxied_response_head(out, head, rewrite_case.options));
  EXPECT_EQ(std::string_view(out.data, out.size), rewrite_case.expected);
}

TEST_P(ResponseRewriterCases, refuses_when_it_does_not_fit) {
  const RewriteCase& rewrite_case = GetParam();
  const GuardedBuffer input(rewrite_case.input);
  ResponseHead head;
  ASSERT_EQ(parse_response_head(input.view(), head).status, ResponseParseStatus::complete);
  for (std::size_t capacity = 0; capacity < rewrite_case.expected.size(); ++capacity) {
    std::string bytes(capacity, '\0');
    OutputArea out{bytes.data(), 0, capacity};
    ASSERT_FALSE(write_proxied_response_head(out, head, rewrite_case.options)) << capacity;
    ASSERT_EQ(out.size, 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(Table, ResponseRewriterCases, testing::ValuesIn(rewrite_cases),
                         [](const testing::TestParamInfo<RewriteCase>& info) {
                           return std::string(info.param.name);
                         });

ResponseHead parsed_response(std::string_view text) {
  ResponseHead head;
  EXPECT_EQ(parse_response_head(text, head).status, ResponseParseStatus::complete);
  return head;
}

TEST(ResponseRewriter, upstream_reuse) {
  const ResponseHead kept = parsed_response("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n");
  EXPECT_TRUE(upstream_connection_reusable(kept, BodyKind::length));
  EXPECT_TRUE(upstream_connection_reusable(kept, BodyKind::chunked));
  EXPECT_FALSE(upstream_connection_reusable(kept, BodyKind::until_close));
  const ResponseHead closed = parsed_response("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
  EXPECT_FALSE(upstream_connection_reusable(closed, BodyKind::none));
  const ResponseHead old = parsed_response("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n");
  EXPECT_FALSE(upstream_connection_reusable(old, BodyKind::length));
  const ResponseHead switched = parsed_response("HTTP/1.1 101 Switching Protocols\r\n\r\n");
  EXPECT_FALSE(upstream_connection_reusable(switched, BodyKind::none));
}

TEST(ResponseRewriter, client_reuse) {
  RequestHead request;
  ASSERT_EQ(parse_request_head("GET / HTTP/1.1\r\nHost: a\r\n\r\n", request).status,
            ParseStatus::complete);
  EXPECT_TRUE(client_connection_reusable(request, BodyKind::chunked));
  EXPECT_FALSE(client_connection_reusable(request, BodyKind::until_close));
  ASSERT_EQ(parse_request_head("GET / HTTP/1.0\r\n\r\n", request).status, ParseStatus::complete);
  EXPECT_FALSE(client_connection_reusable(request, BodyKind::length));
  // HTTP/1.0 keepalive holds for a length, not for a chunked body it gets de-chunked.
  ASSERT_EQ(parse_request_head("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", request).status,
            ParseStatus::complete);
  EXPECT_TRUE(client_connection_reusable(request, BodyKind::length));
  EXPECT_FALSE(client_connection_reusable(request, BodyKind::chunked));
}

}  // namespace
}  // namespace ringway::http
