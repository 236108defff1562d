#pragma once
// The hop marker: a header on every request ringway forwards to a peer host
// (the ACME peer fallback, sibling failover). A request that already carries
// it came from the peer and is never sent back, so two hosts that both miss
// answer in one hop instead of bouncing it between them.

#include <string_view>

#include "ringway/http/request_head.h"

namespace ringway::acme {

inline constexpr std::string_view hop_header = "X-Ringway-Hop";
inline constexpr std::string_view hop_header_value = "1";

// Whether the request came from the peer host (carries the marker, any value).
bool carries_hop_marker(const http::RequestHead& head);

}  // namespace ringway::acme
