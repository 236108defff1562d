#pragma once
// Decides what the plain-HTTP front end does with a request head. Pure: the
// worker carries the decision out.

#include <cstdint>
#include <string_view>

#include "ringway/http/request_head.h"

namespace ringway::proxy {

enum class FrontAction {
  redirect,            // 301 to https://host[:port]target
  challenge,           // serve the token's file from the webroot
  not_found,           // 404
  method_not_allowed,  // 405: challenge path with a method other than GET or HEAD
  bad_request,         // 400: no usable host, or a target that is not origin- or absolute-form
};

struct FrontDecision {
  FrontAction action = FrontAction::bad_request;
  std::string_view host;    // validated host without port (redirect)
  std::string_view target;  // path and query to put after the host (redirect)
  std::string_view token;   // challenge token (challenge)
};

// Routes a parsed request. Absolute-form targets ("http://name/path") take
// their host from the target, as RFC 9112 section 3.2.2 requires.
FrontDecision route_front(const http::RequestHead& head);

}  // namespace ringway::proxy
