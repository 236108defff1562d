#pragma once
// Configs and client scripts for the proxy scenarios: sites with http = "proxy"
// on the plain listener (no TLS needed), their upstreams at 127.0.0.1:8001
// (local), :8002 (fallback) and :8003 (the ACME peer).

#include <cstdint>
#include <string>

#include "fake_client.h"
#include "fake_world.h"

namespace ringway::fake {

inline constexpr std::uint16_t local_port = 8001;
inline constexpr std::uint16_t fallback_port = 8002;
inline constexpr std::uint16_t peer_port = 8003;

// One proxied site p.test (with a fallback when asked), optionally the ACME peer.
std::string proxy_config(bool fallback, bool acme_peer);

// A request for p.test; body goes after the head as it is.
std::string proxied_request(const std::string& method, const std::string& target,
                            const std::string& extra = {}, const std::string& body = {});

struct ExchangeMix {
  bool bodies = true;   // POST /echo with Content-Length or chunked bodies
  bool closing = true;  // closing exchanges (/close, HTTP/1.0, Connection: close) when last
  std::size_t bytes_max = 140000;  // the largest body either way
};

// A proxied exchange: downloads with Content-Length, chunked or HEAD, uploads.
Exchange proxy_exchange(FakeRing& ring, const ExchangeMix& mix, bool last);
// 1..exchanges_max of them, pipelined or not, ending in close, half-close or stay.
ClientScript proxy_script(FakeRing& ring, const ExchangeMix& mix, std::size_t exchanges_max);

// Every exchange of script may also be answered with one of statuses.
void allow_statuses(ClientScript& script, std::initializer_list<int> statuses);

}  // namespace ringway::fake
