#pragma once
// What a stream keeps of a proxied exchange: a client's and an upstream's
// connection are both RelayStreams of the worker's slab, linked while the
// exchange lasts.

#include <sys/socket.h>

#include <cstdint>

#include "ringway/acme/challenge_file.h"
#include "ringway/http/body_framing.h"
#include "ringway/http/pending_request.h"
#include "ringway/http/request_head.h"
#include "ringway/transport/stream.h"

namespace ringway::proxy {

// Where a stream stands in a proxied exchange. Kept in every slot because every
// path asks; the rest of an exchange is an Exchange.
struct Relay {
  enum class Stage : std::uint8_t {
    none,           // a client not proxying, or an upstream connection in its pool
    connecting,     // upstream: connect in flight
    request,        // the request (head and body) is on its way upstream
    response_head,  // upstream: waiting for the response head
    response_body,  // the response body streams to the client
  };
  Stage stage = Stage::none;
  bool linked = false;  // peer_* name the other stream of this exchange
  std::uint32_t peer_slot = 0;
  std::uint32_t peer_generation = 0;
  // Proxy's routes: the upstream (and pool) of this exchange; a client's moves to
  // its site's fallback when the upstream cannot be reached.
  std::uint32_t route = 0;
};

// What only a stream that proxies (either side) or waits for a challenge file
// needs: taken from the worker's pool on first use, so an idle plain connection
// holds none.
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
  http::PendingRequest logged;  // client: for the access log once the response ends
  int status = 0;
  std::uint64_t body_bytes = 0;         // response body bytes relayed, for the log
  sockaddr_storage upstream_address{};  // upstream: where it connects, kept for the connect op
  acme::ChallengeFile challenge;        // a challenge waiting for its file (or for the ACME peer)
};

struct RelayStream : transport::Stream {
  Relay relay;
  Exchange* exchange = nullptr;  // see ProxyHost::start_exchange
  bool upstream() const { return side == transport::Side::connected; }
};

}  // namespace ringway::proxy
