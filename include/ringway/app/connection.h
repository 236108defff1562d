#pragma once
// One slot of a worker's connection slab. Everything a connection owns is
// reachable from here; the slot is freed only when nothing is in flight for it.

#include <cstdint>

#include "ringway/http/pending_request.h"
#include "ringway/proxy/relay_stream.h"

namespace ringway::app {

struct ServingSnapshot;

using http::PendingRequest;
using proxy::Exchange;
using proxy::Relay;

// A transport stream with the relay's state (proxy::RelayStream), plus what the
// HTTP server and the slab keep of it.
struct Connection : proxy::RelayStream {
  std::uint32_t next_free = 0;
  std::uint64_t head_started_ms = 0;          // when the first byte of an unfinished head arrived
  const ServingSnapshot* snapshot = nullptr;  // taken when the connection started
};

}  // namespace ringway::app
