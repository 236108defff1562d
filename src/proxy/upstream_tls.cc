// https upstreams (an https fallback): ringway is the TLS client. The request
// waits in the connection's output as plaintext until the handshake is done and
// is then sealed like any HTTPS response (the transport); responses are decrypted into
// the connection's input and go to the relay as plain upstream bytes.
#include <string>

#include "ringway/log/error_log.h"
#include "ringway/proxy/proxy.h"

namespace ringway::proxy {

// Connected: the handshake starts. It counts as part of connecting, with the
// same timeout, so a sibling that accepts but never answers is left for the next
// address (or a 502) before anything of the request was sent.
void Proxy::start_upstream_tls(RelayStream& upstream) {
  const UpstreamRoute& route = routes_[upstream.relay.route];
  timers_.schedule(upstream.timer,
                   now_ms() + host_.config_of(upstream).timeouts.upstream_connect_ms);
  if (!transport_.open_client_tls(upstream, settings_.upstream_tls[upstream.relay.route],
                                  route.upstream->host)) {
    connect_failed(upstream, "TLS: wolfSSL could not open a client session");
  }
}

void Proxy::upstream_tls_failed(RelayStream& upstream, std::string_view reason) {
  if (upstream.relay.stage == Relay::Stage::connecting) {
    connect_failed(upstream, "TLS: " + std::string(reason));  // nothing of the request was sent
    return;
  }
  log::write_line(log::Level::error, "upstream %s: TLS: %.*s",
                  routes_[upstream.relay.route].upstream->authority.c_str(),
                  static_cast<int>(reason.size()), reason.data());
  transport_.close(upstream);
}

void Proxy::upstream_handshake_done(RelayStream& upstream) {
  upstream.relay.stage = Relay::Stage::request;
  timers_.schedule(upstream.timer,
                   now_ms() + host_.config_of(upstream).timeouts.upstream_response_ms);
}

}  // namespace ringway::proxy
