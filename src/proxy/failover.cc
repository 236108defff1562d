// Sibling failover: a site's local upstream disappears for seconds on every
// stop-first deploy, and while it cannot be reached its requests go to the
// site's fallback, the other host of the round-robin pair. Only requests of
// which nothing was sent move: a request that reached the upstream and got no
// answer may have had its effect there, so that one stays a 502 or 504.
#include "ringway/acme/hop_marker.h"
#include "ringway/http/request_parser.h"
#include "ringway/log/error_log.h"
#include "ringway/proxy/proxy.h"

namespace ringway::proxy {

// Moves the client's request to its route's fallback; false when there is none,
// or when the request came from the sibling already (it carries the hop marker):
// two hosts whose backends are both down answer 502 in one hop instead of
// bouncing the request between them.
bool Proxy::switch_to_fallback(RelayStream& client) {
  std::uint32_t local = client.relay.route;
  std::uint32_t fallback = routes_[local].fallback;
  if (fallback == no_route) return false;
  std::string_view copy{client.exchange->request_copy, client.exchange->request_copy_bytes};
  if (http::parse_request_head(copy, head_, settings_.parser_limits).status !=
          http::ParseStatus::complete ||
      acme::carries_hop_marker(head_)) {
    return false;
  }
  if (failover_.begin(local, now_ms())) {
    log::write_line(log::Level::warning, "%s %s cannot be reached: requests go to %s %s",
                    routes_[local].key.c_str(), routes_[local].upstream->authority.c_str(),
                    routes_[fallback].key.c_str(), routes_[fallback].upstream->authority.c_str());
  }
  client.relay.route = fallback;
  return true;
}

// Every address of the client's route failed before any byte of the request left
// (it is all in failed's output): the fallback gets the same request.
bool Proxy::fail_over(RelayStream& client, const RelayStream& failed) {
  if (!switch_to_fallback(client)) return false;
  std::string_view body;
  if (failed.output != nullptr) {
    body = {failed.output + failed.exchange->request_head_bytes,
            failed.output_bytes - failed.exchange->request_head_bytes};
  }
  UpstreamStart started = start_upstream(client, body, true);
  if (started == UpstreamStart::does_not_fit) {
    log::write_line(log::Level::error, "%s: the request and its body so far do not fit again",
                    routes_[client.relay.route].key.c_str());
  }
  return started == UpstreamStart::started;
}

void Proxy::route_reached(std::uint32_t route_index) {
  if (!failover_.end(route_index)) return;
  log::write_line(log::Level::info, "%s %s answers again", routes_[route_index].key.c_str(),
                  routes_[route_index].upstream->authority.c_str());
}

}  // namespace ringway::proxy
