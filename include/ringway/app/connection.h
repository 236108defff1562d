#pragma once
// One slot of a worker's connection slab. Everything a connection owns is
// reachable from here; the slot is freed only when nothing is in flight for it.

#include <sys/socket.h>

#include <cstdint>
#include <string_view>

#include "ringway/http/body_framing.h"
#include "ringway/http/request_head.h"
#include "ringway/transport/stream.h"

namespace ringway::app {

struct ServingSnapshot;

// What a challenge response needs once its file has been read. The views point
// into the connection's own input chunk, which stays put until the response is out.
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

// What the access log needs of a request, taken from its parsed head.
inline PendingRequest pending_request(const http::RequestHead& head, bool keep_alive,
                                      std::size_t head_bytes, std::int64_t start_unix_ns) {
  return {head.method_text,
          head.target,
          head.host,
          head.user_agent,
          head.referer,
          head.version_minor,
          keep_alive,
          head.method == http::Method::head,
          static_cast<std::uint32_t>(head_bytes),
          start_unix_ns};
}

// Where a connection stands in a proxied exchange (see worker_proxy.cc). Kept in
// every slot because every path asks; the rest of an exchange is an Exchange.
struct Relay {
  enum class Stage : std::uint8_t {
    none,           // a client not proxying, or an upstream connection in its pool
    connecting,     // upstream: connect in flight
    request,        // the request (head and body) is on its way upstream
    response_head,  // upstream: waiting for the response head
    response_body,  // the response body streams to the client
  };
  Stage stage = Stage::none;
  bool linked = false;  // peer_* name the other connection of this exchange
  std::uint32_t peer_slot = 0;
  std::uint32_t peer_generation = 0;
  // Worker::routes_: the upstream (and pool) of this exchange; a client's moves to
  // its site's fallback when the upstream cannot be reached.
  std::uint32_t route = 0;
};

// What only a connection that proxies (either side) or waits for a challenge
// file needs: taken from the worker's pool on first use, so an idle plain
// connection holds none.
struct Exchange {
  http::Method method = http::Method::get;  // of the request, for the response framing
  bool client_keep_alive = true;
  bool reused = false;   // upstream: taken from the pool (so it may have been closed under us)
  bool retried = false;  // client: sent again after an upstream closed without answering
  bool upstream_reusable = false;
  std::uint32_t attempt = 0;  // upstream: which of the site's addresses, from the first tried
  std::uint64_t address_generation = 0;  // upstream: the address set it was chosen from
  char* request_copy = nullptr;          // client: the request head, for the log and a retry
  std::uint32_t request_copy_bytes = 0;
  std::uint32_t request_head_bytes = 0;                // upstream: the head's share of its output
  http::BodyFraming body = http::BodyFraming::none();  // the body being relayed by this side
  PendingRequest logged;  // client: for the access log once the response ends
  int status = 0;
  std::uint64_t body_bytes = 0;         // response body bytes relayed, for the log
  sockaddr_storage upstream_address{};  // upstream: where it connects, kept for the connect op
  PendingRequest pending;  // a challenge: what its response needs once the file is read
};

// The request moved from base to new_base: move its views along.
inline void rebase(PendingRequest& request, const char* base, const char* new_base) {
  for (std::string_view* view :
       {&request.method, &request.target, &request.host, &request.user_agent, &request.referer}) {
    if (view->data() != nullptr) *view = {new_base + (view->data() - base), view->size()};
  }
}

// One slot of the worker's slab: a transport stream, plus what the HTTP server
// and the relay keep of it.
struct Connection : transport::Stream {
  std::uint32_t next_free = 0;
  std::uint64_t head_started_ms = 0;  // when the first byte of an unfinished head arrived
  int file_fd = -1;

  // Proxying. A client connection relaying a request is linked to the upstream
  // connection carrying it (both are slots of the same slab), and the other way.
  Relay relay;
  Exchange* exchange = nullptr;               // see Worker::start_exchange
  const ServingSnapshot* snapshot = nullptr;  // taken when the connection started

  bool upstream() const { return side == transport::Side::connected; }
};

}  // namespace ringway::app
