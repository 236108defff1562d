#include "ringway/proxy/router.h"

#include <gtest/gtest.h>

#include "ringway/http/request_parser.h"

namespace ringway::proxy {
namespace {

struct Case {
  const char* request;
  FrontAction action;
  const char* host;
  const char* target;
  const char* token;
};

TEST(RouteFront, DecidesEachKindOfRequest) {
  const Case cases[] = {
      {"GET /a/b?c=d HTTP/1.1\r\nHost: Example.org:8080\r\n\r\n", FrontAction::redirect,
       "Example.org", "/a/b?c=d", ""},
      {"POST / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", FrontAction::redirect, "[::1]", "/", ""},
      {"GET http://other.test/x HTTP/1.1\r\nHost: example.org\r\n\r\n", FrontAction::redirect,
       "other.test", "/x", ""},
      {"GET HTTP://other.test HTTP/1.1\r\nHost: example.org\r\n\r\n", FrontAction::redirect,
       "other.test", "/", ""},
      {"GET /.well-known/acme-challenge/tok_en-1 HTTP/1.1\r\nHost: a\r\n\r\n",
       FrontAction::challenge, "", "", "tok_en-1"},
      {"HEAD /.well-known/acme-challenge/tok?x=1 HTTP/1.1\r\nHost: a\r\n\r\n",
       FrontAction::challenge, "", "", "tok"},
      {"GET /.well-known/acme-challenge/ HTTP/1.1\r\nHost: a\r\n\r\n", FrontAction::not_found, "",
       "", ""},
      {"GET /.well-known/acme-challenge/..%2fx HTTP/1.1\r\nHost: a\r\n\r\n", FrontAction::not_found,
       "", "", ""},
      {"POST /.well-known/acme-challenge/tok HTTP/1.1\r\nHost: a\r\n\r\n",
       FrontAction::method_not_allowed, "", "", ""},
      {"GET / HTTP/1.1\r\nHost: a@b\r\n\r\n", FrontAction::bad_request, "", "", ""},
      {"GET / HTTP/1.0\r\n\r\n", FrontAction::bad_request, "", "", ""},
      {"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", FrontAction::bad_request, "", "", ""},
      {"GET ftp://a/b HTTP/1.1\r\nHost: a\r\n\r\n", FrontAction::bad_request, "", "", ""},
      {"GET http://a@b/ HTTP/1.1\r\nHost: a\r\n\r\n", FrontAction::bad_request, "", "", ""},
  };
  for (const Case& item : cases) {
    static http::RequestHead head;
    http::ParseResult parsed = http::parse_request_head(item.request, head);
    ASSERT_EQ(parsed.status, http::ParseStatus::complete) << item.request;
    FrontDecision decision = route_front(head);
    EXPECT_EQ(decision.action, item.action) << item.request;
    EXPECT_EQ(decision.host, item.host) << item.request;
    EXPECT_EQ(decision.target, item.target) << item.request;
    EXPECT_EQ(decision.token, item.token) << item.request;
  }
}

}  // namespace
}  // namespace ringway::proxy
