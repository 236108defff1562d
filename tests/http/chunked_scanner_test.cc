#include "ringway/http/chunked_scanner.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

#include "guarded_buffer.h"
#include "ringway/http/body_framing.h"

namespace ringway::http {
namespace {

using namespace std::literals;
using test_support::GuardedBuffer;

enum class Outcome : std::uint8_t { done, more, error };

// body_bytes: where the body ends (done) or the offending byte (error); the input
// may go on past a done body with the next message.
struct ScanCase {
  const char* name;
  std::string_view input;
  Outcome outcome;
  std::size_t body_bytes = 0;
  std::uint64_t data_bytes = 0;
  ChunkedLimits limits = {};
};

void PrintTo(const ScanCase& scan_case, std::ostream* out) {
  *out << scan_case.name;
}

// clang-format off
const ScanCase scan_cases[] = {
    {"empty_body", "0\r\n\r\n", Outcome::done, 5, 0},
    {"two_chunks", "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", Outcome::done, 26, 11},
    {"next_message_follows", "1\r\na\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n", Outcome::done, 11, 1},
    {"hex_any_case", "a\r\n0123456789\r\nB\r\n0123456789a\r\n0\r\n\r\n", Outcome::done, 36, 21},
    {"leading_zeros", "0005\r\nhello\r\n000\r\n\r\n", Outcome::done, 20, 5},
    {"crlf_inside_data", "4\r\n\r\n\r\n\r\n0\r\n\r\n", Outcome::done, 14, 4},
    {"extensions", "5;name=value;q=\"a b\"\r\nhello\r\n0;last\r\n\r\n", Outcome::done, 39, 5},
    {"whitespace_before_extension", "5 \t;x\r\nhello\r\n0\r\n\r\n", Outcome::done, 19, 5},
    {"trailers", "0\r\nChecksum: abc\r\nX-Other:\r\n\r\n", Outcome::done, 30, 0},
    {"size_16_digits", "000000000000000F\r\n", Outcome::more},
    {"size_max_value", "ffffffffffffffff\r\n", Outcome::more},

    {"nothing_yet", "", Outcome::more},
    {"in_data", "5\r\nhel", Outcome::more},
    {"before_final_crlf", "0\r\n", Outcome::more},
    {"in_trailer", "0\r\nA: b\r\n", Outcome::more},

    {"empty_size", "\r\n", Outcome::error, 0},
    {"empty_size_with_extension", ";x\r\n", Outcome::error, 0},
    {"size_sign", "+5\r\n", Outcome::error, 0},
    {"size_prefix_0x", "0x5\r\n", Outcome::error, 1},
    {"size_bad_char", "5g\r\n", Outcome::error, 1},
    {"size_space_inside", "5 5\r\n", Outcome::error, 2},
    {"size_space_before_crlf", "5 \r\n", Outcome::error, 2},
    {"size_17_digits", "00000000000000005\r\n", Outcome::error, 16},
    {"size_overflow", "10000000000000000\r\n", Outcome::error, 16},
    {"size_overflow_raised_digit_limit", "10000000000000000\r\n", Outcome::error, 16, 0,
     {.extension_bytes_max = 1024, .trailer_bytes_max = 8192, .size_digits_max = 64}},
    {"size_bare_lf", "5\nhello\r\n", Outcome::error, 1},
    {"size_bare_cr", "5\rhello\r\n", Outcome::error, 2},
    {"extension_bare_lf", "5;a\nhello\r\n", Outcome::error, 3},
    {"extension_control", "5;a\x01\r\nhello\r\n", Outcome::error, 3},
    {"extension_too_long", "5;abcdefghi\r\n", Outcome::error, 6, 0,
     {.extension_bytes_max = 4, .trailer_bytes_max = 8192, .size_digits_max = 16}},
    {"data_not_followed_by_crlf", "5\r\nhelloX\r\n", Outcome::error, 8, 5},
    {"data_followed_by_lf", "5\r\nhello\n0\r\n\r\n", Outcome::error, 8, 5},
    {"data_followed_by_cr_only", "5\r\nhello\rX", Outcome::error, 9, 5},
    {"last_chunk_bare_lf", "0\n\r\n", Outcome::error, 1},
    {"final_bare_lf", "0\r\n\n", Outcome::error, 3},
    {"final_cr_then_junk", "0\r\n\rX", Outcome::error, 4},
    {"trailer_obs_fold", "0\r\nA: b\r\n c\r\n\r\n", Outcome::error, 9},
    {"trailer_no_colon", "0\r\nAb\r\n\r\n", Outcome::error, 5},
    {"trailer_space_before_colon", "0\r\nA : b\r\n\r\n", Outcome::error, 4},
    {"trailer_bare_lf", "0\r\nA: b\n\r\n", Outcome::error, 7},
    {"trailer_nul", "0\r\nA: b\0\r\n\r\n"sv, Outcome::error, 7},
    {"trailer_too_long", "0\r\nA: bcdefgh\r\n\r\n", Outcome::error, 8, 0,
     {.extension_bytes_max = 1024, .trailer_bytes_max = 5, .size_digits_max = 16}},
    {"trailer_limit_counts_final_crlf", "0\r\nA: b\r\n\r\n", Outcome::error, 10, 0,
     {.extension_bytes_max = 1024, .trailer_bytes_max = 7, .size_digits_max = 16}},
};
// clang-format on

class ChunkedScannerCases : public testing::TestWithParam<ScanCase> {};

void check_outcome(const ScanCase& scan_case, const ChunkedScanner& scanner,
                   std::size_t consumed_bytes) {
  EXPECT_EQ(scanner.done(), scan_case.outcome == Outcome::done);
  EXPECT_EQ(scanner.failed(), scan_case.outcome == Outcome::error);
  const std::size_t expected_bytes =
      scan_case.outcome == Outcome::more ? scan_case.input.size() : scan_case.body_bytes;
  EXPECT_EQ(consumed_bytes, expected_bytes);
  if (scan_case.outcome != Outcome::more) {
    EXPECT_EQ(scanner.data_bytes(), scan_case.data_bytes);
  }
}

TEST_P(ChunkedScannerCases, whole_input) {
  const ScanCase& scan_case = GetParam();
  const GuardedBuffer buffer(scan_case.input);
  ChunkedScanner scanner(scan_case.limits);
  const BodyScan result = scanner.scan(buffer.view());
  EXPECT_EQ(result.done, scan_case.outcome == Outcome::done);
  EXPECT_EQ(result.error, scan_case.outcome == Outcome::error);
  check_outcome(scan_case, scanner, result.consumed_bytes);
  // Finished scanners stay finished and take nothing more.
  if (scan_case.outcome != Outcome::more) {
    const BodyScan again = scanner.scan("0\r\n\r\n");
    EXPECT_EQ(again.consumed_bytes, 0u);
    EXPECT_EQ(again.done, result.done);
    EXPECT_EQ(again.error, result.error);
  }
}

// Feeds the input in two pieces, split at every point, each piece before a guard page.
TEST_P(ChunkedScannerCases, every_split_point) {
  const ScanCase& scan_case = GetParam();
  for (std::size_t split = 0; split <= scan_case.input.size(); ++split) {
    ChunkedScanner scanner(scan_case.limits);
    const GuardedBuffer first(scan_case.input.substr(0, split));
    const GuardedBuffer second(scan_case.input.substr(split));
    std::size_t consumed_bytes = scanner.scan(first.view()).consumed_bytes;
    if (consumed_bytes == split) consumed_bytes += scanner.scan(second.view()).consumed_bytes;
    SCOPED_TRACE(split);
    check_outcome(scan_case, scanner, consumed_bytes);
  }
}

TEST_P(ChunkedScannerCases, one_byte_at_a_time) {
  const ScanCase& scan_case = GetParam();
  ChunkedScanner scanner(scan_case.limits);
  std::size_t consumed_bytes = 0;
  for (const char byte : scan_case.input) {
    const GuardedBuffer one(std::string_view(&byte, 1));
    const BodyScan result = scanner.scan(one.view());
    consumed_bytes += result.consumed_bytes;
    if (result.done || result.error) break;
  }
  check_outcome(scan_case, scanner, consumed_bytes);
}

INSTANTIATE_TEST_SUITE_P(Table, ChunkedScannerCases, testing::ValuesIn(scan_cases),
                         [](const testing::TestParamInfo<ScanCase>& info) {
                           return std::string(info.param.name);
                         });

TEST(ChunkedScanner, large_chunk_in_pieces) {
  const std::string data(100000, 'x');
  const std::string body = "186a0\r\n" + data + "\r\n0\r\n\r\n";
  ChunkedScanner scanner;
  std::size_t consumed_bytes = 0;
  for (std::size_t offset = 0; offset < body.size(); offset += 4096) {
    const GuardedBuffer piece(std::string_view(body).substr(offset, 4096));
    consumed_bytes += scanner.scan(piece.view()).consumed_bytes;
  }
  EXPECT_TRUE(scanner.done());
  EXPECT_EQ(consumed_bytes, body.size());
  EXPECT_EQ(scanner.data_bytes(), data.size());
}

// Decoding yields the chunk data alone, wherever the input is split.
TEST(ChunkedScanner, decode_copies_only_chunk_data_at_every_split_point) {
  const std::string body = "5;x=1\r\nhello\r\n6\r\n world\r\n0\r\nA: b\r\n\r\nNEXT";
  const std::size_t body_bytes = body.size() - 4;
  for (std::size_t split = 0; split <= body.size(); ++split) {
    ChunkedScanner scanner;
    std::string data(body.size(), '\0');
    const GuardedBuffer first(std::string_view(body).substr(0, split));
    const BodyScan first_scan = scanner.decode(first.view(), data.data());
    const auto first_data = static_cast<std::size_t>(scanner.data_bytes());
    const GuardedBuffer second(std::string_view(body).substr(first_scan.consumed_bytes));
    const BodyScan second_scan = scanner.decode(second.view(), data.data() + first_data);
    EXPECT_TRUE(second_scan.done) << split;
    EXPECT_EQ(first_scan.consumed_bytes + second_scan.consumed_bytes, body_bytes) << split;
    EXPECT_EQ(data.substr(0, scanner.data_bytes()), "hello world") << split;
  }
}

TEST(BodyFraming, copy_to_passes_bytes_on_unchanged_by_default) {
  BodyFraming framing = BodyFraming::chunked();
  const std::string_view body = "3\r\nabc\r\n0\r\n\r\nNEXT";
  std::string out(body.size(), '\0');
  std::size_t written_bytes = 0;
  const BodyScan result = framing.copy_to(body, out.data(), written_bytes);
  EXPECT_TRUE(result.done);
  EXPECT_EQ(written_bytes, body.size() - 4);
  EXPECT_EQ(out.substr(0, written_bytes), body.substr(0, body.size() - 4));
  EXPECT_FALSE(framing.ends_at_close());
}

TEST(BodyFraming, copy_to_decodes_chunks_when_asked) {
  BodyFraming framing = BodyFraming::chunked();
  framing.decode_chunks();
  EXPECT_TRUE(framing.decodes_chunks());
  EXPECT_TRUE(framing.ends_at_close());
  std::string out(32, '\0');
  std::size_t written_bytes = 0;
  EXPECT_EQ(framing.copy_to("3\r\nab", out.data(), written_bytes).consumed_bytes, 5u);
  EXPECT_EQ(written_bytes, 2u);
  std::size_t more_bytes = 0;
  const BodyScan result = framing.copy_to("c\r\n0\r\n\r\n", out.data() + 2, more_bytes);
  EXPECT_TRUE(result.done);
  EXPECT_EQ(more_bytes, 1u);
  EXPECT_EQ(out.substr(0, 3), "abc");
}

TEST(BodyFraming, decode_chunks_leaves_other_kinds_alone) {
  BodyFraming framing = BodyFraming::length(3);
  framing.decode_chunks();
  EXPECT_FALSE(framing.decodes_chunks());
  EXPECT_FALSE(framing.ends_at_close());
  std::string out(8, '\0');
  std::size_t written_bytes = 0;
  EXPECT_TRUE(framing.copy_to("abcd", out.data(), written_bytes).done);
  EXPECT_EQ(out.substr(0, written_bytes), "abc");
  EXPECT_TRUE(BodyFraming::until_close().ends_at_close());
}

TEST(BodyFraming, none_is_done_at_once) {
  BodyFraming framing = BodyFraming::none();
  const BodyScan result = framing.scan("next");
  EXPECT_EQ(result.consumed_bytes, 0u);
  EXPECT_TRUE(result.done);
  EXPECT_TRUE(framing.complete_at_close());
}

TEST(BodyFraming, length_counts_down_across_calls) {
  BodyFraming framing = BodyFraming::length(5);
  EXPECT_EQ(framing.scan("hel").consumed_bytes, 3u);
  EXPECT_FALSE(framing.done());
  EXPECT_FALSE(framing.complete_at_close());
  const BodyScan result = framing.scan("loNEXT");
  EXPECT_EQ(result.consumed_bytes, 2u);
  EXPECT_TRUE(result.done);
  EXPECT_EQ(framing.data_bytes(), 5u);
  EXPECT_TRUE(framing.complete_at_close());
  EXPECT_TRUE(BodyFraming::length(0).done());
}

TEST(BodyFraming, until_close_takes_everything) {
  BodyFraming framing = BodyFraming::until_close();
  const BodyScan result = framing.scan("all of it");
  EXPECT_EQ(result.consumed_bytes, 9u);
  EXPECT_FALSE(result.done);
  EXPECT_FALSE(framing.done());
  EXPECT_TRUE(framing.complete_at_close());
  EXPECT_EQ(framing.data_bytes(), 9u);
}

TEST(BodyFraming, chunked_reports_errors_and_truncation) {
  BodyFraming framing = BodyFraming::chunked();
  EXPECT_EQ(framing.scan("5\r\nhel").consumed_bytes, 6u);
  EXPECT_FALSE(framing.complete_at_close());
  const BodyScan result = framing.scan("loX");
  EXPECT_TRUE(result.error);
  EXPECT_TRUE(framing.failed());
}

TEST(BodyFraming, request_framing) {
  RequestHead head;
  EXPECT_EQ(request_body_framing(head).kind(), BodyKind::none);
  head.has_content_length = true;
  head.content_length = 3;
  EXPECT_EQ(request_body_framing(head).kind(), BodyKind::length);
  head.has_content_length = false;
  head.chunked = true;
  EXPECT_EQ(request_body_framing(head).kind(), BodyKind::chunked);
}

}  // namespace
}  // namespace ringway::http
