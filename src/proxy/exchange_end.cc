// How an exchange ends: cleanly (the upstream back to its pool), cut short, with
// a retry, or with the error proxy::ProxyError picks.
#include <cerrno>
#include <cstring>

#include "ringway/log/error_log.h"
#include "ringway/proxy/proxy.h"

namespace ringway::proxy {

namespace {

using Stage = Relay::Stage;

// RFC 9110 9.2.2: repeating these has the effect of sending them once.
bool is_idempotent(http::Method method) {
  switch (method) {
    case http::Method::get:
    case http::Method::head:
    case http::Method::options:
    case http::Method::trace:
    case http::Method::put:
    case http::Method::delete_method:
      return true;
    default:
      return false;
  }
}

}  // namespace

// The response the client has begun to receive stops short. Where its framing
// ends at the close, a clean close would read as the whole body: reset instead.
void Proxy::cut_response(RelayStream& client, bool end_is_close) {
  unlink(client);
  release_request_copy(client);
  if (end_is_close) {
    transport_.abort(client);
    return;
  }
  client.finish_after_send();  // the framing shows the client the body is short
  transport_.flush(client);
}

void Proxy::client_output_drained(RelayStream& client) {
  RelayStream* upstream = peer_of(client);
  if (upstream != nullptr && upstream->paused()) transport_.resume_input(*upstream);
}

void Proxy::finish_exchange(RelayStream& client) {
  RelayStream* upstream = peer_of(client);
  host_.log_access(client, client.exchange->logged, client.exchange->status,
                   client.exchange->logged.head_only ? 0 : client.exchange->body_bytes);
  unlink(client);
  release_request_copy(client);
  client.relay.stage = Stage::none;
  if (upstream != nullptr) release_upstream(*upstream);
  if (!client.exchange->client_keep_alive) client.finish_after_send();
  if (client.closing()) return;
  transport_.flush(client);
  if (client.paused() && !client.finishing() && client.output_bytes == 0)
    transport_.resume_input(client);
}

void Proxy::release_request_copy(RelayStream& client) {
  if (client.exchange == nullptr) return;
  if (client.exchange->request_copy != nullptr)
    transport_.input_pool().give_back(client.exchange->request_copy);
  client.exchange->request_copy = nullptr;
  client.exchange->request_copy_bytes = 0;
}

void Proxy::fail_exchange(RelayStream& client, ProxyError error) {
  RelayStream* upstream = peer_of(client);
  int status = error_status(error);
  std::string_view reason = error_log_text(error);
  if (!reason.empty()) {
    log::write_line(log::Level::error, "proxy %.*s: %d: %.*s",
                    static_cast<int>(client.exchange->logged.target.size()),
                    client.exchange->logged.target.data(), status, static_cast<int>(reason.size()),
                    reason.data());
  }
  bool head_sent = client.relay.stage == Stage::response_body;
  bool end_is_close = head_sent && upstream != nullptr && upstream->exchange->body.ends_at_close();
  unlink(client);
  if (upstream != nullptr) transport_.close(*upstream);
  client.relay.stage = Stage::none;
  if (head_sent || client.closing()) {
    release_request_copy(client);
    // The client already has part of a response.
    if (end_is_close) {
      transport_.abort(client);
    } else {
      transport_.close(client);
    }
    return;
  }
  client.resume();
  host_.answer_status(client, client.exchange->logged, status);
  release_request_copy(client);
  transport_.flush(client);
}

// The upstream closed (end of stream or an error) while linked to a client.
void Proxy::upstream_closed(RelayStream& upstream) {
  RelayStream* client = peer_of(upstream);
  if (client == nullptr) return;
  if (upstream.relay.stage == Stage::response_body) {
    // Only the upstream's own end (FIN or close_notify) ends a close-delimited
    // body; an error or our timeout cut it.
    const http::BodyFraming& body = upstream.exchange->body;
    if (body.done() || (body.complete_at_close() && upstream.peer_closed)) {
      upstream.exchange->upstream_reusable = false;
      finish_exchange(*client);
    } else {
      cut_response(*client, body.ends_at_close());
    }
    return;
  }
  if (upstream.relay.stage == Stage::connecting && !stopping_) {
    // During the TLS handshake: nothing of the request was sent.
    connect_failed(upstream, "TLS: closed during the handshake");
    return;
  }
  // A retried request goes on a new connection (or to the fallback, should the
  // upstream be gone).
  RetryFacts facts;
  facts.idempotent = is_idempotent(client->exchange->method);
  facts.pooled_connection = upstream.exchange->reused;
  facts.has_body = client->exchange->body.kind() != http::BodyKind::none;
  facts.retried = client->exchange->retried;
  bool retry = may_retry(ProxyError::upstream_closed_early, facts);
  unlink(*client);
  client->exchange->retried = true;
  if (retry && start_upstream(*client, {}, false) == UpstreamStart::started) return;
  if (peer_of(*client) == nullptr) link(*client, upstream);
  fail_exchange(*client, ProxyError::upstream_closed_early);
}

void Proxy::upstream_timed_out(RelayStream& upstream) {
  RelayStream* client = peer_of(upstream);
  if (client == nullptr) {
    transport_.close(upstream);  // idle in the pool for too long
    return;
  }
  if (upstream.relay.stage == Stage::connecting) {  // the TCP connect or the TLS handshake
    connect_failed(upstream, std::strerror(ETIMEDOUT));
    return;
  }
  if (upstream.relay.stage == Stage::response_body) {
    if (upstream.sent_bytes_total != upstream.sent_bytes_at_timer ||
        client->sent_bytes_total != client->sent_bytes_at_timer) {
      upstream.sent_bytes_at_timer = upstream.sent_bytes_total;
      client->sent_bytes_at_timer = client->sent_bytes_total;
      timers_.schedule(upstream.timer, now_ms() + host_.config_of(upstream).timeouts.keepalive_ms);
      return;
    }
  }
  fail_exchange(*client, ProxyError::upstream_timed_out);
}

void Proxy::on_closing(RelayStream& stream) {
  if (!stream.relay.linked) return;
  if (stream.upstream()) {
    upstream_closed(stream);  // the client is answered or closed too
  } else if (RelayStream* upstream = peer_of(stream)) {
    unlink(stream);
    transport_.close(*upstream);  // mid-exchange: not reusable
  }
}

}  // namespace ringway::proxy
