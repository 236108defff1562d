// https upstreams (an https fallback): ringway is the TLS client. The request
// waits in the connection's output as plaintext until the handshake is done and
// is then sealed like any HTTPS response (flush_tls); responses are decrypted into
// the connection's input and go to the relay as plain upstream bytes.
#include <cstring>
#include <span>

#include "ringway/app/worker.h"
#include "ringway/log/error_log.h"

namespace ringway::app {

// Connected: the handshake starts. It counts as part of connecting, with the
// same timeout, so a sibling that accepts but never answers is left for the next
// address (or a 502) before anything of the request was sent.
void Worker::start_upstream_tls(Connection& upstream) {
  const proxy::UpstreamRoute& route = routes_[upstream.relay.route];
  if (!upstream.session.open_client(settings_.upstream_tls[upstream.relay.route],
                                    route.upstream->host)) {
    connect_failed(upstream, "TLS: wolfSSL could not open a client session");
    return;
  }
  timers_.schedule(upstream.timer, now_ms_ + settings_.config->timeouts.upstream_connect_ms);
  upstream_tls_receive(upstream, {});  // queues the ClientHello
}

void Worker::upstream_tls_established(Connection& upstream) {
  upstream.relay.stage = Relay::Stage::request;
  timers_.schedule(upstream.timer, now_ms_ + settings_.config->timeouts.upstream_response_ms);
}

void Worker::upstream_tls_receive(Connection& upstream, std::string_view ciphertext) {
  if (!upstream.session.is_open()) return;
  for (;;) {
    if (upstream.input == nullptr) upstream.input = input_pool_.take();
    std::span<char> plaintext{upstream.input + upstream.input_bytes,
                              input_pool_.chunk_bytes() - upstream.input_bytes};
    if (plaintext.empty()) {  // an unfinished response head as large as the chunk
      close_connection(upstream);
      return;
    }
    http::OutputArea wire = wire_area(upstream);
    tls::SessionResult result = upstream.session.receive(ciphertext, plaintext, wire);
    ciphertext = {};  // the session kept whatever it did not use
    upstream.wire_bytes = static_cast<std::uint32_t>(wire.size);
    upstream.input_bytes += static_cast<std::uint32_t>(result.plaintext_bytes);
    if (result.handshake_completed) upstream_tls_established(upstream);
    if (result.status == tls::SessionStatus::failed ||
        result.status == tls::SessionStatus::need_output_room) {
      // need_output_room: handshake messages far larger than a chunk; not TLS as we know it.
      std::string_view reason = result.status == tls::SessionStatus::failed
                                    ? upstream.session.failure_reason()
                                    : "handshake records larger than the output chunk";
      if (upstream.relay.stage == Relay::Stage::connecting) {
        std::string text = "TLS: " + std::string(reason);
        connect_failed(upstream, text);  // nothing of the request was sent
      } else {
        log::write_line(log::Level::error, "upstream %s: TLS: %.*s",
                        routes_[upstream.relay.route].upstream->authority.c_str(),
                        static_cast<int>(reason.size()), reason.data());
        close_connection(upstream);
      }
      return;
    }
    if (upstream.input_bytes > 0) {
      upstream_take_input(upstream);
    } else if (upstream.input != nullptr) {
      input_pool_.give_back(upstream.input);  // handshake or ticket records only
      upstream.input = nullptr;
    }
    if (upstream.closing) return;
    flush_output(upstream);  // handshake records, or the request once established
    if (result.status == tls::SessionStatus::closed) {
      // close_notify: the same as the upstream's FIN.
      upstream.peer_closed = true;
      if (!upstream.paused && upstream.held_buffers == 0) close_connection(upstream);
      return;
    }
    if (result.status != tls::SessionStatus::plaintext_full || upstream.paused) return;
  }
}

}  // namespace ringway::app
