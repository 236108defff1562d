#pragma once
// A sans-I/O parser for HTTP/1.1 request heads (RFC 9112), strict by design.
// It is a pure function over a buffer: call it again with the longer buffer when
// more bytes arrive. It never copies and never reads past input.end().

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ringway/http/request_head.h"

namespace ringway::http {

enum class ParseStatus : std::uint8_t {
  complete,               // head parsed; head_bytes says how long it was
  partial,                // no error so far, the head has not ended yet: read more
  bad_request,            // 400: malformed, ambiguous framing, missing Host on 1.1, ...
  head_too_large,         // 431: head (or the buffered part of it) is over the byte or field limit
  version_not_supported,  // 505: HTTP/2+ or HTTP/0.9-style request lines, HTTP/1.x with x > 1
};

struct ParseResult {
  ParseStatus status = ParseStatus::partial;
  std::size_t head_bytes = 0;  // with complete: bytes from the start up to and including CRLFCRLF
};

struct ParserLimits {
  std::size_t head_bytes_max = 16384;
  std::size_t header_count_max = header_count_limit;
};

// Parses the request head at the start of input into head. Bytes after the head
// (a body, a pipelined request) are left alone. On anything but complete the
// contents of head are unspecified. Empty lines before the request line are
// skipped (RFC 9112 2.2) and count in head_bytes. Only the first
// limits.head_bytes_max bytes are looked at; header_count_max above
// header_count_limit is treated as header_count_limit.
ParseResult parse_request_head(std::string_view input, RequestHead& head,
                               const ParserLimits& limits = {});

}  // namespace ringway::http
