#pragma once
// The parsed head of one upstream HTTP/1.x response. Every view points into the
// caller's input buffer, so the head is valid only while that buffer is.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ringway/http/request_head.h"

namespace ringway::http {

// Responses carry more fields than requests (Set-Cookie, caching, security headers).
inline constexpr std::size_t response_header_count_limit = 100;

struct ResponseHead {
  std::uint8_t version_minor = 1;  // HTTP/1.<version_minor>; only 0 and 1 are accepted
  std::uint16_t status = 0;        // 100-599
  std::string_view reason;         // reason-phrase as sent, possibly empty
  bool keep_alive = true;          // after the version default and any Connection field
  bool chunked = false;            // Transfer-Encoding ends in chunked
  bool has_content_length = false;
  std::uint64_t content_length = 0;
  bool has_strict_transport_security = false;
  std::size_t header_count = 0;
  Header headers[response_header_count_limit];

  // 1xx other than 101: an interim response (100 Continue, 103 Early Hints); the
  // final response follows it on the same connection.
  bool is_interim() const { return status >= 100 && status < 200 && status != 101; }
};

}  // namespace ringway::http
