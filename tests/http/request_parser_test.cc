#include "ringway/http/request_parser.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "guarded_buffer.h"

namespace ringway::http {

// Readable failure messages instead of raw bytes.
void PrintTo(ParseStatus status, std::ostream* out) {
  constexpr std::string_view names[] = {"complete", "partial", "bad_request", "head_too_large",
                                        "version_not_supported"};
  *out << names[static_cast<int>(status)];
}

namespace {

using namespace std::literals;
using test_support::GuardedBuffer;

constexpr auto complete = ParseStatus::complete;
constexpr auto partial = ParseStatus::partial;
constexpr auto bad_request = ParseStatus::bad_request;
constexpr auto head_too_large = ParseStatus::head_too_large;
constexpr auto version_not_supported = ParseStatus::version_not_supported;

// Only the fields a case sets are checked; head_bytes defaults to the whole input.
struct Expected {
  std::optional<Method> method = std::nullopt;
  std::optional<std::string_view> target = std::nullopt;
  std::optional<int> version_minor = std::nullopt;
  std::optional<bool> has_host = std::nullopt;
  std::optional<std::string_view> host = std::nullopt;
  std::optional<std::string_view> user_agent = std::nullopt;
  std::optional<std::string_view> referer = std::nullopt;
  std::optional<bool> keep_alive = std::nullopt;
  std::optional<bool> chunked = std::nullopt;
  std::optional<std::uint64_t> content_length = std::nullopt;
  std::optional<std::size_t> header_count = std::nullopt;
  std::optional<std::size_t> head_bytes = std::nullopt;
};

struct ParseCase {
  const char* name;
  std::string_view input;
  ParseStatus status;
  Expected expected = {};
  ParserLimits limits = {};
};

void PrintTo(const ParseCase& parse_case, std::ostream* out) {
  *out << parse_case.name;
}

// Accepted heads first, then partial ones, then one rejection per rule of RFC 9112.
// One row per case reads better than one field per line.
// clang-format off
const ParseCase parse_cases[] = {
    {"curl_get",
     "GET / HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n",
     complete,
     {.method = Method::get, .target = "/", .version_minor = 1, .host = "example.com",
      .user_agent = "curl/8.5.0", .keep_alive = true, .chunked = false, .header_count = 3}},
    {"browser_get",
     "GET /articles/2024/io-uring?page=2 HTTP/1.1\r\nHost: www.example.com\r\n"
     "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0\r\n"
     "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
     "Accept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\n"
     "Referer: https://www.example.com/articles/\r\nConnection: keep-alive\r\n"
     "Cookie: session=8f2c1e9a7b; theme=dark\r\nUpgrade-Insecure-Requests: 1\r\n\r\n",
     complete,
     {.target = "/articles/2024/io-uring?page=2", .host = "www.example.com",
      .user_agent = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
      .referer = "https://www.example.com/articles/", .keep_alive = true, .header_count = 9}},
    {"http10_without_host", "GET /index.html HTTP/1.0\r\n\r\n", complete,
     {.target = "/index.html", .version_minor = 0, .has_host = false, .keep_alive = false,
      .header_count = 0}},
    {"http10_keep_alive", "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", complete,
     {.version_minor = 0, .keep_alive = true}},
    {"http11_connection_close", "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
     complete, {.keep_alive = false}},
    {"connection_close_in_a_list", "GET / HTTP/1.1\r\nHost: a\r\nConnection: TE,  CLOSE\r\n\r\n",
     complete, {.keep_alive = false}},
    {"connection_close_wins_over_keep_alive",
     "GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n", complete,
     {.keep_alive = false}},
    {"connection_empty_elements", "GET / HTTP/1.1\r\nHost: a\r\nConnection: , ,close,\r\n\r\n",
     complete, {.keep_alive = false}},
    {"connection_upgrade_stays_alive", "GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\n\r\n",
     complete, {.keep_alive = true}},
    {"post_with_body_after_head",
     "POST /submit HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", complete,
     {.method = Method::post, .content_length = 5, .head_bytes = 53}},
    {"content_length_zero", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", complete,
     {.content_length = 0}},
    {"content_length_max",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551615\r\n\r\n", complete,
     {.content_length = 18446744073709551615u}},
    {"chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", complete,
     {.chunked = true}},
    {"chunked_any_case", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ChUnKeD\r\n\r\n",
     complete, {.chunked = true}},
    {"gzip_then_chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
     complete, {.chunked = true}},
    {"codings_over_two_lines",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n",
     complete, {.chunked = true}},
    {"names_any_case", "POST / HTTP/1.1\r\nhOsT: a\r\ncontent-LENGTH: 3\r\n\r\n", complete,
     {.host = "a", .content_length = 3}},
    {"value_ows_trimmed", "GET / HTTP/1.1\r\nHost: \t a:80 \t \r\n\r\n", complete,
     {.host = "a:80"}},
    {"empty_host_value", "GET / HTTP/1.1\r\nHost:\r\n\r\n", complete, {.host = ""}},
    {"obs_text_and_tab_in_value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: caf\xc3\xa9\tx\r\n\r\n",
     complete, {.header_count = 2}},
    {"logging_fields",
     "GET / HTTP/1.1\r\nHost: a\r\nuser-agent: Mozilla/5.0 (X11)\r\nREFERER: https://b/\r\n\r\n",
     complete, {.user_agent = "Mozilla/5.0 (X11)", .referer = "https://b/"}},
    {"leading_empty_lines_skipped", "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", complete,
     {.target = "/", .host = "a"}},
    {"pipelined_stops_at_first_head",
     "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n", complete,
     {.target = "/1", .head_bytes = 28}},
    {"absolute_form", "GET http://a.example/x?y=1&z=%20 HTTP/1.1\r\nHost: a.example\r\n\r\n",
     complete, {.target = "http://a.example/x?y=1&z=%20", .host = "a.example"}},
    // RFC 9112 3.2.2: the authority of an absolute-form target wins over Host.
    {"absolute_form_authority_wins", "GET HTTPS://b.example:8443?q HTTP/1.1\r\nHost: a\r\n\r\n",
     complete, {.has_host = true, .host = "b.example:8443"}},
    {"absolute_form_without_host_http10", "GET http://b.example/ HTTP/1.0\r\n\r\n", complete,
     {.has_host = false, .host = "b.example"}},
    {"absolute_form_still_needs_host_http11", "GET http://b.example/ HTTP/1.1\r\n\r\n",
     bad_request},
    {"absolute_form_empty_authority", "GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n", bad_request},
    {"other_scheme_keeps_host", "GET ftp://b.example/ HTTP/1.1\r\nHost: a\r\n\r\n", complete,
     {.host = "a"}},
    {"asterisk_form", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", complete,
     {.method = Method::options, .target = "*"}},
    {"authority_form", "CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n", complete,
     {.method = Method::connect, .target = "a.example:443"}},
    {"unknown_method", "M-SEARCH * HTTP/1.1\r\nHost: a\r\n\r\n", complete,
     {.method = Method::other}},
    {"lowercase_method_is_other", "get / HTTP/1.1\r\nHost: a\r\n\r\n", complete,
     {.method = Method::other}},

    {"empty_input", "", partial},
    {"only_empty_lines", "\r\n\r\n", partial},
    {"no_final_empty_line", "GET / HTTP/1.1\r\nHost: a\r\n", partial},
    {"final_cr_without_lf", "GET / HTTP/1.1\r\nHost: a\r\n\r", partial},

    {"bare_cr_in_request_line", "GET /\rx HTTP/1.1\r\nHost: a\r\n\r\n", bad_request},
    {"bare_cr_after_version", "GET / HTTP/1.1\rHost: a\r\n\r\n", bad_request},
    {"bare_cr_in_value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\rc\r\n\r\n", bad_request},
    {"bare_cr_ending_head", "GET / HTTP/1.1\r\nHost: a\r\n\r\r\n", bad_request},
    {"bare_cr_leading", "\rGET / HTTP/1.1\r\nHost: a\r\n\r\n", bad_request},
    {"bare_lf_request_line", "GET / HTTP/1.1\nHost: a\r\n\r\n", bad_request},
    {"bare_lf_field_line", "GET / HTTP/1.1\r\nHost: a\n\r\n", bad_request},
    {"bare_lf_ending_head", "GET / HTTP/1.1\r\nHost: a\r\n\n", bad_request},
    {"bare_lf_leading", "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", bad_request},
    {"bare_lf_after_target", "GET /\n\r\n", bad_request},
    {"empty_method", " / HTTP/1.1\r\nHost: a\r\n\r\n", bad_request},
    {"method_not_a_token", "GE(T / HTTP/1.1\r\nHost: a\r\n\r\n", bad_request},
    {"two_spaces_after_method", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", bad_request},
    {"two_spaces_before_version", "GET /  HTTP/1.1\r\nHost: a\r\n\r\n", bad_request},
    {"tab_as_separator", "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", bad_request},
    {"control_in_target", "GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n", bad_request},
    {"nul_in_target", "GET /a\0b HTTP/1.1\r\nHost: a\r\n\r\n"sv, bad_request},
    {"del_in_target", "GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n", bad_request},
    {"obs_text_in_target", "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", bad_request},
    {"space_after_version", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", bad_request},
    {"missing_version", "GET / \r\nHost: a\r\n\r\n", bad_request},
    {"http09_request_line", "GET /\r\n\r\n", version_not_supported},
    {"version_2_0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", version_not_supported},
    {"version_1_2", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", version_not_supported},
    {"version_3", "GET / HTTP/3\r\nHost: a\r\n\r\n", version_not_supported},
    {"version_0_9", "GET / HTTP/0.9\r\n\r\n", version_not_supported},
    {"version_httx", "GET / HTTX/1.1\r\nHost: a\r\n\r\n", bad_request},
    {"version_lowercase", "GET / http/1.1\r\nHost: a\r\n\r\n", bad_request},
    {"version_1_10", "GET / HTTP/1.10\r\nHost: a\r\n\r\n", bad_request},
    {"version_11_1", "GET / HTTP/11.1\r\nHost: a\r\n\r\n", bad_request},
    {"version_1_without_minor", "GET / HTTP/1\r\nHost: a\r\n\r\n", bad_request},
    {"version_1_dot", "GET / HTTP/1.\r\nHost: a\r\n\r\n", bad_request},

    {"missing_host_on_1_1", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", bad_request},
    {"two_hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", bad_request},
    {"two_hosts_any_case", "GET / HTTP/1.0\r\nHost: a\r\nHOST: b\r\n\r\n", bad_request},
    {"space_before_colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", bad_request},
    {"tab_before_colon", "GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", bad_request},
    {"empty_name", "GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n", bad_request},
    {"name_not_a_token", "GET / HTTP/1.1\r\nHost: a\r\nX(A): b\r\n\r\n", bad_request},
    {"line_without_colon", "GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", bad_request},
    {"obs_fold_space", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n", bad_request},
    {"obs_fold_tab", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\tc\r\n\r\n", bad_request},
    {"space_before_first_field", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", bad_request},
    {"nul_in_value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\0c\r\n\r\n"sv, bad_request},
    {"escape_in_value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: \x1b[1m\r\n\r\n", bad_request},
    {"del_in_value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\x7f\r\n\r\n", bad_request},

    {"content_length_negative", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
     bad_request},
    {"content_length_plus", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n",
     bad_request},
    {"content_length_list", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n",
     bad_request},
    {"content_length_inner_space", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5 5\r\n\r\n",
     bad_request},
    {"content_length_hex", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n",
     bad_request},
    {"content_length_empty", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n",
     bad_request},
    {"content_length_overflow",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551616\r\n\r\n", bad_request},
    {"content_length_duplicate_equal",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n", bad_request},
    {"content_length_then_chunked",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
     bad_request},
    {"chunked_then_content_length",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
     bad_request},
    {"chunked_not_last", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
     bad_request},
    {"coding_not_chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n",
     bad_request},
    {"chunked_twice", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
     bad_request},
    {"chunked_with_parameter",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;x=1\r\n\r\n", bad_request},
    {"coding_not_a_token", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chun ked\r\n\r\n",
     bad_request},
    {"coding_empty", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ,\r\n\r\n", bad_request},
    {"chunked_before_a_later_line",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n",
     bad_request},
    {"transfer_encoding_on_1_0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
     bad_request},
    {"connection_option_not_a_token", "GET / HTTP/1.1\r\nHost: a\r\nConnection: close;x\r\n\r\n",
     bad_request},

    {"head_at_byte_limit", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", complete, {},
     {.head_bytes_max = 27}},
    {"head_one_byte_over_limit", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", head_too_large, {},
     {.head_bytes_max = 26}},
    {"unended_head_over_limit", "GET / HTTP/1.1\r\nHost: a\r\nX-A: bbbbbbbbbb", head_too_large,
     {}, {.head_bytes_max = 30}},
    {"unended_head_within_limit", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b", partial, {},
     {.head_bytes_max = 31}},
    {"fields_at_count_limit", "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n", complete,
     {.header_count = 3}, {.header_count_max = 3}},
    {"fields_over_count_limit", "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n",
     head_too_large, {}, {.header_count_max = 3}},
};
// clang-format on

template <typename Value>
void expect_if_set(const Value& actual, const std::optional<Value>& expected, const char* field) {
  if (expected) {
    EXPECT_EQ(actual, *expected) << field;
  }
}

// Only the result survives: views in head point into the buffer, which is gone.
ParseResult parse_guarded(std::string_view input, RequestHead& head, const ParserLimits& limits) {
  const GuardedBuffer buffer(input);
  return parse_request_head(buffer.view(), head, limits);
}

class RequestParserTable : public ::testing::TestWithParam<ParseCase> {};

TEST_P(RequestParserTable, gives_the_expected_status_and_fields) {
  const ParseCase& parse_case = GetParam();
  const GuardedBuffer buffer(parse_case.input);
  RequestHead head;
  const ParseResult result = parse_request_head(buffer.view(), head, parse_case.limits);
  ASSERT_EQ(result.status, parse_case.status);
  if (result.status != complete) return;

  const Expected& expected = parse_case.expected;
  EXPECT_EQ(result.head_bytes, expected.head_bytes.value_or(parse_case.input.size()));
  expect_if_set(head.method, expected.method, "method");
  expect_if_set(head.target, expected.target, "target");
  expect_if_set(int{head.version_minor}, expected.version_minor, "version_minor");
  expect_if_set(head.has_host, expected.has_host, "has_host");
  // A host implies a Host field, unless the case says otherwise (absolute form, HTTP/1.0).
  const bool host_field_implied = expected.host && !expected.has_host;
  expect_if_set(head.has_host, host_field_implied ? std::optional(true) : std::nullopt, "has_host");
  expect_if_set(head.host, expected.host, "host");
  expect_if_set(head.user_agent, expected.user_agent, "user_agent");
  expect_if_set(head.referer, expected.referer, "referer");
  expect_if_set(head.keep_alive, expected.keep_alive, "keep_alive");
  expect_if_set(head.chunked, expected.chunked, "chunked");
  expect_if_set(head.has_content_length,
                expected.content_length ? std::optional(true) : std::nullopt, "has_content_length");
  expect_if_set(head.content_length, expected.content_length, "content_length");
  expect_if_set(head.header_count, expected.header_count, "header_count");
}

// Bytes arrive in any split: a shorter input must never give a different verdict,
// and every prefix is parsed from its own guarded copy so no split over-reads.
TEST_P(RequestParserTable, every_prefix_is_partial_or_the_same_verdict) {
  const ParseCase& parse_case = GetParam();
  RequestHead head;
  const ParseResult full = parse_guarded(parse_case.input, head, parse_case.limits);
  for (std::size_t length = 0; length < parse_case.input.size(); ++length) {
    const ParseResult result =
        parse_guarded(parse_case.input.substr(0, length), head, parse_case.limits);
    if (full.status == complete) {
      if (length < full.head_bytes) {
        ASSERT_EQ(result.status, partial) << "prefix of " << length << " bytes";
      } else {
        ASSERT_EQ(result.status, complete) << "prefix of " << length << " bytes";
        ASSERT_EQ(result.head_bytes, full.head_bytes);
      }
    } else if (result.status != partial) {
      ASSERT_EQ(result.status, full.status) << "prefix of " << length << " bytes";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, RequestParserTable, ::testing::ValuesIn(parse_cases),
                         [](const ::testing::TestParamInfo<ParseCase>& info) {
                           return std::string(info.param.name);
                         });

TEST(RequestParser, keeps_every_field_in_order_with_trimmed_values) {
  const GuardedBuffer buffer(
      "GET / HTTP/1.1\r\nHost: a\r\nX-Padded: \t  some  value \t\r\nX-Empty:\r\nx-lower:v\r\n\r\n");
  RequestHead head;
  ASSERT_EQ(parse_request_head(buffer.view(), head).status, complete);
  ASSERT_EQ(head.header_count, 4u);
  EXPECT_EQ(head.headers[0].name, "Host");
  EXPECT_EQ(head.headers[0].value, "a");
  EXPECT_EQ(head.headers[1].name, "X-Padded");
  EXPECT_EQ(head.headers[1].value, "some  value");
  EXPECT_EQ(head.headers[2].name, "X-Empty");
  EXPECT_EQ(head.headers[2].value, "");
  EXPECT_EQ(head.headers[3].name, "x-lower");
  EXPECT_EQ(head.headers[3].value, "v");
}

TEST(RequestParser, views_point_into_the_input) {
  const GuardedBuffer buffer(
      "POST /upload HTTP/1.1\r\nHost: h\r\nUser-Agent: u\r\nReferer: r\r\nContent-Length: "
      "1\r\n\r\n");
  const std::string_view input = buffer.view();
  RequestHead head;
  ASSERT_EQ(parse_request_head(input, head).status, complete);
  const auto inside = [&](std::string_view view) {
    return view.data() >= input.data() && view.data() + view.size() <= input.data() + input.size();
  };
  EXPECT_TRUE(inside(head.method_text));
  EXPECT_TRUE(inside(head.target));
  EXPECT_TRUE(inside(head.host));
  EXPECT_TRUE(inside(head.user_agent));
  EXPECT_TRUE(inside(head.referer));
  EXPECT_EQ(head.host.data(), input.data() + input.find("h\r\n"));
}

TEST(RequestParser, maps_each_known_method_case_sensitively) {
  const std::pair<std::string_view, Method> methods[] = {
      {"GET", Method::get},
      {"HEAD", Method::head},
      {"POST", Method::post},
      {"PUT", Method::put},
      {"DELETE", Method::delete_method},
      {"OPTIONS", Method::options},
      {"PATCH", Method::patch},
      {"TRACE", Method::trace},
      {"CONNECT", Method::connect},
      {"get", Method::other},
      {"PURGE", Method::other},
      {"GETS", Method::other},
  };
  for (const auto& [text, method] : methods) {
    const std::string input = std::string(text) + " / HTTP/1.1\r\nHost: a\r\n\r\n";
    const GuardedBuffer buffer(input);
    RequestHead head;
    ASSERT_EQ(parse_request_head(buffer.view(), head).status, complete) << text;
    EXPECT_EQ(head.method, method) << text;
    EXPECT_EQ(head.method_text, text);
  }
}

// Long targets and values are scanned eight bytes at a time: put every byte value
// at every offset of a long run to check that the fast path stops where it must.
TEST(RequestParser, classifies_every_byte_at_every_offset) {
  const std::string run(24, 'a');
  for (int byte = 0; byte < 256; ++byte) {
    const char value_byte = static_cast<char>(byte);
    const bool value_ok = byte == '\t' || (byte >= 0x20 && byte != 0x7f);
    const bool target_ok = byte > 0x20 && byte < 0x7f;
    for (std::size_t offset = 0; offset < run.size(); ++offset) {
      std::string value = run;
      value[offset] = value_byte;
      RequestHead head;
      const ParseStatus value_status =
          parse_guarded("GET / HTTP/1.1\r\nHost: a\r\nX-A: " + value + "\r\n\r\n", head, {}).status;
      ASSERT_EQ(value_status, value_ok ? complete : bad_request) << byte << " at " << offset;
      const ParseStatus target_status =
          parse_guarded("GET /" + value + " HTTP/1.1\r\nHost: a\r\n\r\n", head, {}).status;
      ASSERT_EQ(target_status, target_ok ? complete : bad_request) << byte << " at " << offset;
    }
  }
}

TEST(RequestParser, parses_pipelined_requests_one_after_another) {
  const GuardedBuffer buffer(
      "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nxyz"
      "GET /b HTTP/1.1\r\nHost: b\r\n\r\n");
  std::string_view input = buffer.view();
  RequestHead head;
  ParseResult result = parse_request_head(input, head);
  ASSERT_EQ(result.status, complete);
  EXPECT_EQ(head.target, "/a");
  input.remove_prefix(result.head_bytes + head.content_length);
  result = parse_request_head(input, head);
  ASSERT_EQ(result.status, complete);
  EXPECT_EQ(head.target, "/b");
  EXPECT_EQ(result.head_bytes, input.size());
}

TEST(RequestParser, clears_what_an_earlier_parse_left) {
  RequestHead head;
  ASSERT_EQ(parse_guarded("POST / HTTP/1.0\r\nHost: a\r\nUser-Agent: u\r\nReferer: r\r\n"
                          "Content-Length: 9\r\n\r\n",
                          head, {})
                .status,
            complete);
  ASSERT_EQ(parse_guarded("GET / HTTP/1.0\r\n\r\n", head, {}).status, complete);
  EXPECT_FALSE(head.has_host);
  EXPECT_EQ(head.host, "");
  EXPECT_EQ(head.user_agent, "");
  EXPECT_EQ(head.referer, "");
  EXPECT_FALSE(head.has_content_length);
  EXPECT_EQ(head.content_length, 0u);
  EXPECT_FALSE(head.has_body());
  EXPECT_EQ(head.header_count, 0u);
}

TEST(RequestParser, clamps_header_count_max_to_the_array) {
  std::string input = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (std::size_t index = 1; index < header_count_limit; ++index) input += "X-A: b\r\n";
  const ParserLimits limits{.head_bytes_max = 65536, .header_count_max = 1000};
  RequestHead head;
  ASSERT_EQ(parse_guarded(input + "\r\n", head, limits).status, complete);
  EXPECT_EQ(head.header_count, header_count_limit);
  EXPECT_EQ(parse_guarded(input + "X-A: b\r\n\r\n", head, limits).status, head_too_large);
}

TEST(RequestParser, rejects_a_default_sized_head_just_over_16_kib) {
  const std::string head_start = "GET / HTTP/1.1\r\nHost: a\r\nX-Big: ";
  const std::string head_end = "\r\n\r\n";
  const ParserLimits limits;
  std::string fits = head_start;
  fits.append(limits.head_bytes_max - head_start.size() - head_end.size(), 'b');
  fits += head_end;
  RequestHead head;
  const ParseResult result = parse_guarded(fits, head, limits);
  ASSERT_EQ(result.status, complete);
  EXPECT_EQ(result.head_bytes, limits.head_bytes_max);
  std::string one_over = head_start + "b" + fits.substr(head_start.size());
  EXPECT_EQ(parse_guarded(one_over, head, limits).status, head_too_large);
  const std::string too_big = head_start + std::string(limits.head_bytes_max, 'b');
  EXPECT_EQ(parse_guarded(too_big, head, limits).status, head_too_large);
  EXPECT_EQ(parse_guarded(too_big.substr(0, limits.head_bytes_max), head, limits).status, partial);
}

}  // namespace
}  // namespace ringway::http
