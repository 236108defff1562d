#pragma once
// Writes complete responses into a caller-owned, fixed-capacity byte area.
// Nothing is allocated; a response that does not fit is not written at all.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ringway/base/output_area.h"

namespace ringway::http {

using OutputArea = base::OutputArea;

struct ResponseOptions {
  std::string_view date;   // an IMF-fixdate, e.g. "Wed, 25 Nov 2026 22:51:55 GMT"
  bool keep_alive = true;  // false adds "Connection: close"
  bool head_only = false;  // HEAD: headers (with Content-Length) but no body
  // Whole header lines, each ending in CRLF (e.g. Strict-Transport-Security), or empty.
  std::string_view extra_headers = {};
};

// "https://" + host + (":" port unless 443) + target, as a 301 with a short body.
// host and target must already be validated (no CR, LF or spaces).
bool write_redirect(OutputArea& out, const ResponseOptions& options, std::string_view host,
                    std::uint16_t port, std::string_view target);

// 200 text/plain with body.
bool write_plain_ok(OutputArea& out, const ResponseOptions& options, std::string_view body);

// A short text/plain page for status (200, 400, 404, 405 with Allow: GET, HEAD,
// 408, 413, 421, 431, 500, 502, 503, 504, 505; anything else is written as 500).
bool write_status(OutputArea& out, const ResponseOptions& options, int status);

// The body length write_redirect and write_status use, for access logs.
std::size_t redirect_body_bytes();
std::size_t status_body_bytes(int status);

// A response the server writes itself rather than relays: the one shape the
// worker answers with (a redirect, a status page, a challenge file).
struct LocalResponse {
  enum class Kind : std::uint8_t { status, redirect, file };
  Kind kind = Kind::status;
  int status = 200;  // Kind::status; a redirect is 301, a file 200
  bool keep_alive = true;
  std::string_view redirect_host;  // Kind::redirect: validated host and target
  std::string_view redirect_target;
  std::uint16_t redirect_port = 443;
  std::string_view file_body;      // Kind::file: a challenge file's bytes
  std::string_view extra_headers;  // whole header lines (a site's HSTS)
};

// Writes response with options' date and head_only (keep_alive and the extra
// headers come from the response); false when it does not fit.
bool write_local_response(OutputArea& out, const ResponseOptions& options,
                          const LocalResponse& response);
// For the access log: the status sent and the body bytes (none for HEAD).
int local_response_status(const LocalResponse& response);
std::uint64_t local_response_body_bytes(const LocalResponse& response, bool head_only);

// Formats an IMF-fixdate for unix_seconds into out (29 bytes, not terminated).
void format_http_date(std::int64_t unix_seconds, char (&out)[29]);

}  // namespace ringway::http
