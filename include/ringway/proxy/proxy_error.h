#pragma once
// One shape for everything that can go wrong with a proxied request, after
// Pingora's: where it came from, whether the request may be retried or moved
// to the fallback, and the status the client gets. The worker reports what
// happened; these functions decide, so 400/413/502/504 are chosen in one place.

#include <cstdint>
#include <string_view>

namespace ringway::proxy {

enum class ErrorSource : std::uint8_t {
  downstream,  // the client sent something we will not forward
  upstream,    // the upstream could not be reached or misbehaved
  internal,    // ringway's own limits
};

enum class ProxyError : std::uint8_t {
  request_body_invalid,         // bad chunked framing from the client
  request_body_too_large,       // past the site's request_body_max
  request_too_large,            // the head (and body so far) does not fit the upstream's buffer
  upstream_unreachable,         // no address, refused, connect or TLS handshake failed or timed out
  upstream_closed_early,        // closed or reset before a response head
  upstream_invalid_response,    // a response head we cannot parse
  upstream_switched_protocols,  // 101 to a request that asked for no upgrade
  upstream_head_too_large,      // a response head larger than the client's output room
  upstream_timed_out,           // no response head within upstream_response
};

ErrorSource error_source(ProxyError error);
// The status the client gets while no part of a response reached it.
int error_status(ProxyError error);
// The line's text for the error log, or empty when the cause is logged where
// it is found (connect errors, rate-limited) or is the client's own (413).
std::string_view error_log_text(ProxyError error);
// Only a request of which nothing reached the upstream may move to the
// site's fallback: one that reached it may have had its effect there.
bool may_fail_over(ProxyError error);

// What decides whether a request goes once more on a new connection.
struct RetryFacts {
  bool idempotent = false;         // RFC 9110 9.2.2
  bool pooled_connection = false;  // the upstream may have closed it before our request arrived
  bool has_body = false;           // a body is not kept, so it cannot be sent again
  bool retried = false;            // once at most
};
bool may_retry(ProxyError error, const RetryFacts& facts);

}  // namespace ringway::proxy
