#pragma once
// What answering a request needs of it after its head was parsed: the access
// log's fields and how the response is framed. The views point into bytes the
// connection keeps until the response is out (its input, or a request copy).

#include <cstdint>
#include <string_view>

#include "ringway/http/request_head.h"

namespace ringway::http {

struct PendingRequest {
  std::string_view method;
  std::string_view target;
  std::string_view host;
  std::string_view user_agent;
  std::string_view referer;
  std::uint8_t version_minor = 1;
  bool keep_alive = true;
  bool head_only = false;
  std::uint32_t head_bytes = 0;
  std::int64_t start_unix_ns = 0;
};

inline PendingRequest pending_request(const RequestHead& head, bool keep_alive,
                                      std::size_t head_bytes, std::int64_t start_unix_ns) {
  return {head.method_text,
          head.target,
          head.host,
          head.user_agent,
          head.referer,
          head.version_minor,
          keep_alive,
          head.method == Method::head,
          static_cast<std::uint32_t>(head_bytes),
          start_unix_ns};
}

// The request moved from base to new_base: move its views along.
inline void rebase(PendingRequest& request, const char* base, const char* new_base) {
  for (std::string_view* view :
       {&request.method, &request.target, &request.host, &request.user_agent, &request.referer}) {
    if (view->data() != nullptr) *view = {new_base + (view->data() - base), view->size()};
  }
}

}  // namespace ringway::http
