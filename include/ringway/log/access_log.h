#pragma once
// Access log lines, formatted into a caller-owned string. This runs once per
// request on the data plane: no I/O, no exceptions, and no allocation when the
// string already has the capacity (see line_bytes_max).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ringway::log {

// One handled request. Every view is borrowed and only read during the call.
struct AccessEntry {
  std::string_view remote_ip;   // "127.0.0.1" or "::1"
  std::string_view method;      // as sent
  std::string_view target;      // request-target as sent
  std::uint8_t version_minor;   // HTTP/1.x
  std::string_view host;        // Host field as sent, may be empty
  std::string_view user_agent;  // may be empty
  std::string_view referer;     // may be empty
  int status;
  std::uint64_t body_bytes;    // response body bytes sent
  std::int64_t start_unix_ns;  // when the request started (CLOCK_REALTIME)
  std::int64_t duration_ns;
};

// Appends one line in nginx's "combined" format, ending in '\n':
//   127.0.0.1 - - [25/Nov/2026:22:51:55 +0000] "GET / HTTP/1.1" 200 612 "-" "curl/8.5.0"
// The time is when the request ended (start plus duration) in UTC, as nginx logs
// the time of logging. Fields are escaped as nginx does: '"', '\\' and bytes
// outside 0x20-0x7E become \xHH; empty referer and user agent become "-".
void append_combined(const AccessEntry& entry, std::string& out) noexcept;

// Appends one JSON object ending in '\n', with the field names of Caddy's access
// log ("logger":"http.log.access", "request":{...}, "duration", "size", "status").
// "ts" is the end time like in append_combined, in seconds with microseconds;
// "duration" is in seconds with nanoseconds. Headers that are empty are left out.
// Always valid JSON: bytes that are not well-formed UTF-8 are written as \u00HH.
void append_json(const AccessEntry& entry, std::string& out) noexcept;

// An upper bound on the bytes either append function adds for `entry`, so a
// caller can reserve once and never allocate while formatting.
std::size_t line_bytes_max(const AccessEntry& entry) noexcept;

}  // namespace ringway::log
