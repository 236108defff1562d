#include "ringway/http/response_writer.h"

#include <gtest/gtest.h>

#include <string>

namespace ringway::http {
namespace {

constexpr std::string_view date = "Wed, 25 Nov 2026 22:51:55 GMT";

std::string written(OutputArea& out) {
  return {out.data, out.size};
}

TEST(ResponseWriter, RedirectOmitsDefaultPort) {
  char bytes[1024];
  OutputArea out{bytes, 0, sizeof bytes};
  ASSERT_TRUE(write_redirect(out, {date, true, false}, "example.org", 443, "/a?b"));
  std::string text = written(out);
  EXPECT_EQ(text.rfind("HTTP/1.1 301 Moved Permanently\r\n", 0), 0u);
  EXPECT_NE(text.find("\r\nLocation: https://example.org/a?b\r\n"), std::string::npos);
  EXPECT_NE(text.find("\r\nConnection: keep-alive\r\n"), std::string::npos);
  EXPECT_NE(text.find("\r\nDate: Wed, 25 Nov 2026 22:51:55 GMT\r\n"), std::string::npos);
  std::size_t body = text.find("\r\n\r\n") + 4;
  EXPECT_EQ(text.size() - body, redirect_body_bytes());
  EXPECT_NE(text.find("Content-Length: " + std::to_string(redirect_body_bytes()) + "\r\n"),
            std::string::npos);
}

TEST(ResponseWriter, RedirectWithPortAndHeadOnly) {
  char bytes[1024];
  OutputArea out{bytes, 0, sizeof bytes};
  ASSERT_TRUE(write_redirect(out, {date, false, true}, "[::1]", 8443, "/"));
  std::string text = written(out);
  EXPECT_NE(text.find("\r\nLocation: https://[::1]:8443/\r\n"), std::string::npos);
  EXPECT_NE(text.find("\r\nConnection: close\r\n"), std::string::npos);
  EXPECT_EQ(text.substr(text.size() - 4), "\r\n\r\n");  // no body after HEAD
}

TEST(ResponseWriter, StatusPagesAndAllow) {
  char bytes[1024];
  OutputArea out{bytes, 0, sizeof bytes};
  ASSERT_TRUE(write_status(out, {date, false, false}, 405));
  std::string text = written(out);
  EXPECT_EQ(text.rfind("HTTP/1.1 405 Method Not Allowed\r\n", 0), 0u);
  EXPECT_NE(text.find("\r\nAllow: GET, HEAD\r\n"), std::string::npos);
  EXPECT_EQ(text.size() - (text.find("\r\n\r\n") + 4), status_body_bytes(405));
}

TEST(ResponseWriter, AppendsAfterQueuedBytesAndRefusesWhatDoesNotFit) {
  char bytes[200];
  OutputArea out{bytes, 0, sizeof bytes};
  ASSERT_TRUE(write_plain_ok(out, {date, true, false}, "token"));
  std::size_t first = out.size;
  EXPECT_FALSE(write_plain_ok(out, {date, true, false}, std::string(150, 'x')));
  EXPECT_EQ(out.size, first);  // nothing partial was left behind
  EXPECT_TRUE(written(out).ends_with("\r\n\r\ntoken"));
}

TEST(ResponseWriter, ExtraHeadersAndMoreStatuses) {
  char bytes[1024];
  OutputArea out{bytes, 0, sizeof bytes};
  ResponseOptions options{date, true, false, "Strict-Transport-Security: max-age=60\r\n"};
  ASSERT_TRUE(write_status(out, options, 503));
  std::string text = written(out);
  EXPECT_EQ(text.rfind("HTTP/1.1 503 Service Unavailable\r\n", 0), 0u);
  EXPECT_NE(text.find("\r\nStrict-Transport-Security: max-age=60\r\n\r\n"), std::string::npos);
  out.size = 0;
  ASSERT_TRUE(write_status(out, {date, true, false}, 299));  // unknown: our bug, said as 500
  EXPECT_EQ(written(out).rfind("HTTP/1.1 500 Internal Server Error\r\n", 0), 0u);
}

TEST(ResponseWriter, HttpDate) {
  char text[29];
  format_http_date(1795647115, text);  // 2026-11-25T22:51:55Z
  EXPECT_EQ(std::string(text, sizeof text), date);
}

TEST(LocalResponse, ARedirectTakesItsPortAndLogsAs301WithItsBody) {
  char bytes[1024];
  OutputArea out{bytes, 0, sizeof bytes};
  LocalResponse response;
  response.kind = LocalResponse::Kind::redirect;
  response.redirect_host = "example.org";
  response.redirect_target = "/x";
  response.redirect_port = 8443;
  response.keep_alive = false;
  ASSERT_TRUE(write_local_response(out, {date, true, false}, response));
  std::string text = written(out);
  EXPECT_NE(text.find("\r\nLocation: https://example.org:8443/x\r\n"), std::string::npos);
  EXPECT_NE(text.find("\r\nConnection: close\r\n"), std::string::npos);  // the response's
  EXPECT_EQ(local_response_status(response), 301);
  EXPECT_EQ(local_response_body_bytes(response, false), text.size() - (text.find("\r\n\r\n") + 4));
  EXPECT_EQ(local_response_body_bytes(response, true), 0u);
}

TEST(LocalResponse, AFileIs200WithItsBytesAndAStatusPageKeepsItsHeaders) {
  char bytes[1024];
  OutputArea out{bytes, 0, sizeof bytes};
  LocalResponse file;
  file.kind = LocalResponse::Kind::file;
  file.status = 404;  // ignored: a file is a 200
  file.file_body = "token.key";
  ASSERT_TRUE(write_local_response(out, {date, true, false}, file));
  std::string text = written(out);
  EXPECT_EQ(text.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  EXPECT_EQ(text.substr(text.size() - 9), "token.key");
  EXPECT_EQ(local_response_status(file), 200);
  EXPECT_EQ(local_response_body_bytes(file, false), 9u);

  OutputArea page{bytes, 0, sizeof bytes};
  LocalResponse status;
  status.status = 404;
  status.extra_headers = "Strict-Transport-Security: max-age=60\r\n";
  ASSERT_TRUE(write_local_response(page, {date, true, false}, status));
  text = written(page);
  EXPECT_EQ(text.rfind("HTTP/1.1 404 Not Found\r\n", 0), 0u);
  EXPECT_NE(text.find("\r\nStrict-Transport-Security: max-age=60\r\n"), std::string::npos);
  EXPECT_EQ(local_response_body_bytes(status, false), status_body_bytes(404));
}

TEST(LocalResponse, OneThatDoesNotFitLeavesTheAreaAsItWas) {
  char bytes[64];
  OutputArea out{bytes, 0, sizeof bytes};
  LocalResponse response;
  response.status = 502;
  EXPECT_FALSE(write_local_response(out, {date, true, false}, response));
  EXPECT_EQ(out.size, 0u);
}

}  // namespace
}  // namespace ringway::http
