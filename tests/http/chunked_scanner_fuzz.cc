// libFuzzer target for ChunkedScanner. The first input byte picks split points;
// the rest is the body. Whatever the splits, the scanner must reach the same
// verdict at the same offset as one call over the whole input, and never consume
// past what it was given.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ringway/http/chunked_scanner.h"

namespace {

using ringway::http::BodyScan;
using ringway::http::ChunkedLimits;
using ringway::http::ChunkedScanner;

void check(bool condition) {
  if (!condition) std::abort();
}

struct Verdict {
  std::size_t consumed_bytes = 0;
  bool done = false;
  bool error = false;
  std::uint64_t data_bytes = 0;
};

// Feeds body in pieces of piece_bytes (the last may be shorter).
Verdict scan_in_pieces(std::string_view body, std::size_t piece_bytes,
                       const ChunkedLimits& limits) {
  ChunkedScanner scanner(limits);
  Verdict verdict;
  while (!body.empty()) {
    const std::string_view piece = body.substr(0, piece_bytes);
    const BodyScan scan = scanner.scan(piece);
    check(scan.consumed_bytes <= piece.size());
    check(!(scan.done && scan.error));
    check(scan.consumed_bytes == piece.size() || scan.done || scan.error);
    verdict.consumed_bytes += scan.consumed_bytes;
    if (scan.done || scan.error) {
      verdict.done = scan.done;
      verdict.error = scan.error;
      break;
    }
    body.remove_prefix(piece.size());
  }
  check(verdict.done == scanner.done() && verdict.error == scanner.failed());
  verdict.data_bytes = scanner.data_bytes();
  return verdict;
}

void check_same(const Verdict& left, const Verdict& right) {
  check(left.consumed_bytes == right.consumed_bytes && left.done == right.done &&
        left.error == right.error && left.data_bytes == right.data_bytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t piece_bytes = data[0] % 16 + 1;
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  const ChunkedLimits limits{};
  const Verdict whole = scan_in_pieces(body, body.size() + 1, limits);
  check_same(whole, scan_in_pieces(body, 1, limits));
  check_same(whole, scan_in_pieces(body, piece_bytes, limits));
  if (whole.done)
    check(whole.consumed_bytes >= 5 && body.substr(whole.consumed_bytes - 2, 2) == "\r\n");
  // Small limits reach the extension, trailer and digit bounds with short inputs.
  const ChunkedLimits small{
      .extension_bytes_max = 4, .trailer_bytes_max = 12, .size_digits_max = 3};
  check_same(scan_in_pieces(body, body.size() + 1, small), scan_in_pieces(body, 1, small));
  return 0;
}
