#pragma once
// The parsed head of one HTTP/1.1 request. Every view points into the caller's
// input buffer: the head is never copied, so it is valid only while that buffer is.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ringway::http {

inline constexpr std::size_t header_count_limit = 64;

struct Header {
  std::string_view name;
  std::string_view value;  // without surrounding spaces and tabs
};

enum class Method : std::uint8_t {
  get,
  head,
  post,
  put,
  delete_method,
  options,
  patch,
  trace,
  connect,
  other,  // a valid token we do not know; method_text has it
};

struct RequestHead {
  Method method = Method::other;
  std::string_view method_text;
  std::string_view target;         // request-target exactly as sent
  std::uint8_t version_minor = 1;  // HTTP/1.<version_minor>; only 0 and 1 are accepted
  bool has_host = false;           // a Host field was sent
  // The authority of an absolute-form target (RFC 9112 3.2.2: it wins over Host),
  // else the Host field value as sent (port included); empty when neither is there.
  std::string_view host;
  std::string_view user_agent;  // empty when absent; kept for access logs
  std::string_view referer;     // empty when absent; kept for access logs
  bool keep_alive = true;       // after the version default and any Connection field
  bool chunked = false;         // Transfer-Encoding ends in chunked
  bool has_content_length = false;
  std::uint64_t content_length = 0;
  std::size_t header_count = 0;
  Header headers[header_count_limit];

  // True when the request announces a body (chunked or Content-Length above 0).
  bool has_body() const { return chunked || content_length > 0; }
};

// Whether head has a field named lowercase_name (compared without regard to case;
// lowercase_name holds lowercase letters, digits and '-').
bool has_header(const RequestHead& head, std::string_view lowercase_name);

}  // namespace ringway::http
