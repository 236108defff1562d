#pragma once
// A sans-I/O parser for upstream HTTP/1.x response heads (RFC 9112), as strict as
// the request parser: a pure function over a buffer, called again with the longer
// buffer when more bytes arrive. It never copies and never reads past input.end().

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ringway/http/response_head.h"

namespace ringway::http {

enum class ResponseParseStatus : std::uint8_t {
  complete,   // head parsed; head_bytes says how long it was
  partial,    // no error so far, the head has not ended yet: read more
  invalid,    // malformed or ambiguous framing: answer 502, close the upstream connection
  too_large,  // head (or the buffered part of it) is over the byte or field limit: 502
};

struct ResponseParseResult {
  ResponseParseStatus status = ResponseParseStatus::partial;
  std::size_t head_bytes = 0;  // with complete: bytes up to and including CRLFCRLF
};

struct ResponseParserLimits {
  std::size_t head_bytes_max = 16384;
  std::size_t header_count_max = response_header_count_limit;
};

// Parses the response head at the start of input into head; bytes after it (the
// body, the next response) are left alone, and on anything but complete head is
// unspecified. Accepted: "HTTP/1.0" or "HTTP/1.1" SP 3DIGIT (100-599) SP reason CRLF
// (the second SP is required even when the reason is empty), then field lines with
// the request parser's rules (CRLF only, no obs-fold, token names, no controls in
// values). Framing is refused when ambiguous: Content-Length twice (even equal) or
// not plain digits, Content-Length with Transfer-Encoding, Transfer-Encoding on
// HTTP/1.0 or not ending in exactly one chunked (RFC 9112 6.3 would read such a body
// until close; no upstream we proxy sends one, so it is refused as invalid).
// Only the first limits.head_bytes_max bytes are looked at; header_count_max above
// response_header_count_limit is treated as that limit.
ResponseParseResult parse_response_head(std::string_view input, ResponseHead& head,
                                        const ResponseParserLimits& limits = {});

}  // namespace ringway::http
