#include "ringway/http/response_parser.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "guarded_buffer.h"
#include "ringway/http/body_framing.h"

namespace ringway::http {

void PrintTo(ResponseParseStatus status, std::ostream* out) {
  constexpr std::string_view names[] = {"complete", "partial", "invalid", "too_large"};
  *out << names[static_cast<int>(status)];
}

namespace {

using namespace std::literals;
using test_support::GuardedBuffer;

constexpr auto complete = ResponseParseStatus::complete;
constexpr auto partial = ResponseParseStatus::partial;
constexpr auto invalid = ResponseParseStatus::invalid;
constexpr auto too_large = ResponseParseStatus::too_large;

// Only the fields a case sets are checked; head_bytes defaults to the whole input.
struct Expected {
  std::optional<int> status = std::nullopt;
  std::optional<std::string_view> reason = std::nullopt;
  std::optional<int> version_minor = std::nullopt;
  std::optional<bool> keep_alive = std::nullopt;
  std::optional<bool> chunked = std::nullopt;
  std::optional<std::uint64_t> content_length = std::nullopt;
  std::optional<std::size_t> header_count = std::nullopt;
  std::optional<std::size_t> head_bytes = std::nullopt;
  std::optional<BodyKind> body = std::nullopt;  // for a GET
};

struct ParseCase {
  const char* name;
  std::string_view input;
  ResponseParseStatus status;
  Expected expected = {};
  ResponseParserLimits limits = {};
};

void PrintTo(const ParseCase& parse_case, std::ostream* out) {
  *out << parse_case.name;
}

// clang-format off
const ParseCase parse_cases[] = {
    {"ok_with_length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: nginx\r\n\r\nhello",
     complete, {.status = 200, .reason = "OK", .version_minor = 1, .keep_alive = true,
                .chunked = false, .content_length = 5, .header_count = 2, .head_bytes = 53,
                .body = BodyKind::length}},
    {"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", complete,
     {.chunked = true, .body = BodyKind::chunked}},
    {"gzip_then_chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n"
     "Transfer-Encoding: CHUNKED\r\n\r\n", complete, {.chunked = true, .body = BodyKind::chunked}},
    {"close_delimited", "HTTP/1.1 200 OK\r\n\r\n", complete,
     {.keep_alive = true, .body = BodyKind::until_close}},
    {"http10_close_by_default", "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", complete,
     {.version_minor = 0, .keep_alive = false, .body = BodyKind::length}},
    {"http10_keep_alive", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
     complete, {.version_minor = 0, .keep_alive = true}},
    {"connection_close", "HTTP/1.1 200 OK\r\nConnection: Upgrade, CLOSE\r\n\r\n", complete,
     {.keep_alive = false}},
    {"empty_reason", "HTTP/1.1 204 \r\n\r\n", complete,
     {.status = 204, .reason = "", .body = BodyKind::none}},
    {"reason_with_spaces_and_obs_text", "HTTP/1.1 404 Not \tFound caf\xc3\xa9\r\n\r\n", complete,
     {.status = 404, .reason = "Not \tFound caf\xc3\xa9"}},
    {"continue", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n", complete,
     {.status = 100, .head_bytes = 25, .body = BodyKind::none}},
    {"early_hints", "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n", complete,
     {.status = 103, .body = BodyKind::none}},
    {"not_modified_with_length", "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n",
     complete, {.status = 304, .content_length = 99, .body = BodyKind::none}},
    {"status_599", "HTTP/1.1 599 x\r\n\r\n", complete, {.status = 599}},
    {"value_ows_trimmed", "HTTP/1.1 200 OK\r\nContent-Length: \t 7 \t\r\n\r\n", complete,
     {.content_length = 7}},
    {"length_max", "HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\n", complete,
     {.content_length = 18446744073709551615u}},

    {"empty_input", "", partial},
    {"prefix_only", "HTTP/1.1 20", partial},
    {"no_final_empty_line", "HTTP/1.1 200 OK\r\nA: b\r\n", partial},
    {"final_cr_without_lf", "HTTP/1.1 200 OK\r\n\r", partial},

    {"lowercase_protocol", "http/1.1 200 OK\r\n\r\n", invalid},
    {"version_1_2", "HTTP/1.2 200 OK\r\n\r\n", invalid},
    {"version_2", "HTTP/2 200 OK\r\n\r\n", invalid},
    {"version_2_0", "HTTP/2.0 200 OK\r\n\r\n", invalid},
    {"status_two_digits", "HTTP/1.1 20 OK\r\n\r\n", invalid},
    {"status_four_digits", "HTTP/1.1 2000 OK\r\n\r\n", invalid},
    {"status_099", "HTTP/1.1 099 x\r\n\r\n", invalid},
    {"status_600", "HTTP/1.1 600 x\r\n\r\n", invalid},
    {"status_not_digits", "HTTP/1.1 2x0 OK\r\n\r\n", invalid},
    {"missing_space_after_status", "HTTP/1.1 200\r\n\r\n", invalid},
    {"two_spaces_before_status", "HTTP/1.1  200 OK\r\n\r\n", invalid},
    {"leading_empty_line", "\r\nHTTP/1.1 200 OK\r\n\r\n", invalid},
    {"bare_lf_status_line", "HTTP/1.1 200 OK\n\r\n", invalid},
    {"bare_cr_in_reason", "HTTP/1.1 200 O\rK\r\n\r\n", invalid},
    {"control_in_reason", "HTTP/1.1 200 O\x01K\r\n\r\n", invalid},
    {"bare_lf_field_line", "HTTP/1.1 200 OK\r\nA: b\n\r\n", invalid},
    {"bare_cr_in_value", "HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n", invalid},
    {"bare_lf_ending_head", "HTTP/1.1 200 OK\r\nA: b\r\n\n", invalid},
    {"nul_in_value", "HTTP/1.1 200 OK\r\nA: b\0c\r\n\r\n"sv, invalid},
    {"del_in_value", "HTTP/1.1 200 OK\r\nA: b\x7f\r\n\r\n", invalid},
    {"obs_fold", "HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n", invalid},
    {"space_before_colon", "HTTP/1.1 200 OK\r\nA : b\r\n\r\n", invalid},
    {"empty_name", "HTTP/1.1 200 OK\r\n: b\r\n\r\n", invalid},
    {"name_not_a_token", "HTTP/1.1 200 OK\r\nA(b): c\r\n\r\n", invalid},
    {"line_without_colon", "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", invalid},
    {"connection_not_a_token", "HTTP/1.1 200 OK\r\nConnection: a b\r\n\r\n", invalid},
    {"length_twice_equal", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
     invalid},
    {"length_twice_differing",
     "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", invalid},
    {"length_list", "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n", invalid},
    {"length_empty", "HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n", invalid},
    {"length_plus", "HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n", invalid},
    {"length_hex", "HTTP/1.1 200 OK\r\nContent-Length: 0x5\r\n\r\n", invalid},
    {"length_overflow", "HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551616\r\n\r\n",
     invalid},
    {"length_then_chunked",
     "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", invalid},
    {"chunked_then_length",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", invalid},
    {"chunked_on_http10", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", invalid},
    {"chunked_not_last", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", invalid},
    {"chunked_twice", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", invalid},
    {"chunked_with_parameter", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked;q=1\r\n\r\n",
     invalid},
    {"coding_empty", "HTTP/1.1 200 OK\r\nTransfer-Encoding: ,\r\n\r\n", invalid},
    {"coding_not_a_token", "HTTP/1.1 200 OK\r\nTransfer-Encoding: a b, chunked\r\n\r\n", invalid},

    {"over_field_limit", "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", too_large, {},
     {.head_bytes_max = 16384, .header_count_max = 2}},
    {"over_byte_limit", "HTTP/1.1 200 OK\r\nA: 1234567890\r\n\r\n", too_large, {},
     {.head_bytes_max = 20, .header_count_max = 100}},
    {"exactly_byte_limit", "HTTP/1.1 200 OK\r\n\r\n", complete, {},
     {.head_bytes_max = 19, .header_count_max = 100}},
};
// clang-format on

ResponseParseResult parse_guarded(std::string_view input, ResponseHead& head,
                                  const ResponseParserLimits& limits) {
  const GuardedBuffer buffer(input);
  return parse_response_head(buffer.view(), head, limits);
}

void check_expected(const ParseCase& parse_case, const ResponseHead& head,
                    const ResponseParseResult& result) {
  const Expected& expected = parse_case.expected;
  EXPECT_EQ(result.head_bytes, expected.head_bytes.value_or(parse_case.input.size()));
  if (expected.status) {
    EXPECT_EQ(head.status, *expected.status);
  }
  if (expected.reason) {
    EXPECT_EQ(head.reason, *expected.reason);
  }
  if (expected.version_minor) {
    EXPECT_EQ(head.version_minor, *expected.version_minor);
  }
  if (expected.keep_alive) {
    EXPECT_EQ(head.keep_alive, *expected.keep_alive);
  }
  if (expected.chunked) {
    EXPECT_EQ(head.chunked, *expected.chunked);
  }
  if (expected.content_length) {
    EXPECT_EQ(head.content_length, *expected.content_length);
  }
  if (expected.header_count) {
    EXPECT_EQ(head.header_count, *expected.header_count);
  }
  if (expected.body) {
    EXPECT_EQ(response_body_framing(head, Method::get).kind(), *expected.body);
  }
}

class ResponseParserCases : public testing::TestWithParam<ParseCase> {};

TEST_P(ResponseParserCases, parses_whole_input) {
  const ParseCase& parse_case = GetParam();
  const GuardedBuffer buffer(parse_case.input);  // outlives the views in head
  ResponseHead head;
  const ResponseParseResult result = parse_response_head(buffer.view(), head, parse_case.limits);
  ASSERT_EQ(result.status, parse_case.status);
  if (result.status == complete) check_expected(parse_case, head, result);
}

// Every prefix of an accepted head is partial; every prefix of a refused one is
// partial or already refused the same way, so no split point changes the verdict.
TEST_P(ResponseParserCases, every_split_point) {
  const ParseCase& parse_case = GetParam();
  ResponseHead head;
  const ResponseParseResult whole = parse_guarded(parse_case.input, head, parse_case.limits);
  const std::size_t end = whole.status == complete ? whole.head_bytes : parse_case.input.size();
  for (std::size_t length = 0; length < end; ++length) {
    const ResponseParseStatus status =
        parse_guarded(parse_case.input.substr(0, length), head, parse_case.limits).status;
    if (whole.status == complete || whole.status == partial) {
      ASSERT_EQ(status, partial) << "prefix of " << length;
    } else if (status != partial) {
      ASSERT_EQ(status, whole.status) << "prefix of " << length;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Table, ResponseParserCases, testing::ValuesIn(parse_cases),
                         [](const testing::TestParamInfo<ParseCase>& info) {
                           return std::string(info.param.name);
                         });

TEST(ResponseParser, keeps_fields_as_views_in_order) {
  const GuardedBuffer buffer("HTTP/1.1 200 OK\r\nServer: a\r\nSet-Cookie: x=1\r\n\r\n");
  ResponseHead head;
  ASSERT_EQ(parse_response_head(buffer.view(), head).status, complete);
  ASSERT_EQ(head.header_count, 2u);
  EXPECT_EQ(head.headers[0].name, "Server");
  EXPECT_EQ(head.headers[1].value, "x=1");
  EXPECT_EQ(head.headers[1].value.data(), buffer.view().data() + 40);
}

TEST(ResponseParser, interim_then_final_response) {
  const GuardedBuffer buffer(
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  std::string_view input = buffer.view();
  ResponseHead head;
  ResponseParseResult result = parse_response_head(input, head);
  ASSERT_EQ(result.status, complete);
  EXPECT_TRUE(head.is_interim());
  input.remove_prefix(result.head_bytes);
  result = parse_response_head(input, head);
  ASSERT_EQ(result.status, complete);
  EXPECT_FALSE(head.is_interim());
  EXPECT_EQ(input.substr(result.head_bytes), "ok");
}

TEST(ResponseParser, switching_protocols_is_not_interim) {
  ResponseHead head;
  ASSERT_EQ(parse_guarded("HTTP/1.1 101 Switching Protocols\r\n\r\n", head, {}).status, complete);
  EXPECT_FALSE(head.is_interim());
}

TEST(ResponseParser, framing_decision_per_rfc_9112_6_3) {
  ResponseHead head;
  ASSERT_EQ(parse_guarded("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", head, {}).status,
            complete);
  EXPECT_EQ(response_body_framing(head, Method::head).kind(), BodyKind::none);
  EXPECT_EQ(response_body_framing(head, Method::post).kind(), BodyKind::length);
  ASSERT_EQ(parse_guarded("HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n", head, {})
                .status,
            complete);
  EXPECT_EQ(response_body_framing(head, Method::get).kind(), BodyKind::none);
  ASSERT_EQ(parse_guarded("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", head, {}).status,
            complete);
  EXPECT_EQ(response_body_framing(head, Method::head).kind(), BodyKind::none);
  EXPECT_EQ(response_body_framing(head, Method::get).kind(), BodyKind::chunked);
}

TEST(ResponseParser, every_byte_in_reason_and_value) {
  for (int byte = 0; byte < 256; ++byte) {
    const bool allowed = byte == '\t' || (byte >= 0x20 && byte != 0x7f);
    std::string reason = "a_b";
    reason[1] = static_cast<char>(byte);
    ResponseHead head;
    const auto expected = allowed ? complete : invalid;
    ASSERT_EQ(parse_guarded("HTTP/1.1 200 " + reason + "\r\n\r\n", head, {}).status, expected)
        << byte;
    ASSERT_EQ(parse_guarded("HTTP/1.1 200 OK\r\nA: " + reason + "\r\n\r\n", head, {}).status,
              expected)
        << byte;
  }
}

TEST(ResponseParser, clears_what_an_earlier_parse_left) {
  ResponseHead head;
  ASSERT_EQ(parse_guarded("HTTP/1.0 200 OK\r\nContent-Length: 9\r\n"
                          "Strict-Transport-Security: max-age=1\r\n\r\n",
                          head, {})
                .status,
            complete);
  EXPECT_TRUE(head.has_strict_transport_security);
  ASSERT_EQ(parse_guarded("HTTP/1.1 200 OK\r\n\r\n", head, {}).status, complete);
  EXPECT_FALSE(head.has_content_length);
  EXPECT_FALSE(head.has_strict_transport_security);
  EXPECT_EQ(head.header_count, 0u);
  EXPECT_TRUE(head.keep_alive);
}

TEST(ResponseParser, clamps_header_count_max_to_the_array) {
  std::string input = "HTTP/1.1 200 OK\r\n";
  for (std::size_t index = 0; index < response_header_count_limit; ++index) input += "A: b\r\n";
  const ResponseParserLimits limits{.head_bytes_max = 65536, .header_count_max = 1000};
  ResponseHead head;
  ASSERT_EQ(parse_guarded(input + "\r\n", head, limits).status, complete);
  EXPECT_EQ(head.header_count, response_header_count_limit);
  EXPECT_EQ(parse_guarded(input + "A: b\r\n\r\n", head, limits).status, too_large);
}

}  // namespace
}  // namespace ringway::http
