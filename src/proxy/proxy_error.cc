#include "ringway/proxy/proxy_error.h"

namespace ringway::proxy {

ErrorSource error_source(ProxyError error) {
  switch (error) {
    case ProxyError::request_body_invalid:
    case ProxyError::request_body_too_large:
      return ErrorSource::downstream;
    case ProxyError::request_too_large:
    case ProxyError::upstream_head_too_large:
      return ErrorSource::internal;
    default:
      return ErrorSource::upstream;
  }
}

int error_status(ProxyError error) {
  switch (error) {
    case ProxyError::request_body_invalid:
      return 400;
    case ProxyError::request_body_too_large:
      return 413;
    case ProxyError::upstream_timed_out:
      return 504;
    default:
      return 502;
  }
}

std::string_view error_log_text(ProxyError error) {
  switch (error) {
    case ProxyError::request_body_invalid:
      return "bad request body";
    case ProxyError::request_too_large:
      return "request head too large for the upstream buffer";
    case ProxyError::upstream_closed_early:
      return "upstream closed the connection before answering";
    case ProxyError::upstream_invalid_response:
      return "upstream sent an invalid response head";
    case ProxyError::upstream_switched_protocols:
      return "upstream switched protocols unasked";
    case ProxyError::upstream_head_too_large:
      return "upstream response head does not fit";
    case ProxyError::upstream_timed_out:
      return "upstream response timed out";
    case ProxyError::request_body_too_large:
    case ProxyError::upstream_unreachable:
      break;
  }
  return {};
}

bool may_fail_over(ProxyError error) {
  return error == ProxyError::upstream_unreachable;
}

bool may_retry(ProxyError error, const RetryFacts& facts) {
  // Closed before answering: a pooled connection the upstream had closed
  // already, or one it reset unread (a backend stopping closes its listener
  // with connections still queued).
  if (error != ProxyError::upstream_closed_early) return false;
  return (facts.pooled_connection || facts.idempotent) && !facts.has_body && !facts.retried;
}

}  // namespace ringway::proxy
