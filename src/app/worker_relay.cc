// Proxying, the response side: the upstream's response head is checked and
// rewritten, its body streams to the client with backpressure, and the exchange
// ends cleanly (the upstream back to its pool), with a retry, or with an error
// chosen by proxy::ProxyError.
#include <cstring>
#include <string>

#include "ringway/app/worker.h"
#include "ringway/http/response_parser.h"
#include "ringway/http/response_rewriter.h"
#include "ringway/log/error_log.h"

namespace ringway::app {

namespace {

using proxy::ProxyError;
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

void Worker::upstream_output_drained(Connection& upstream) {
  Connection* client = peer_of(upstream);
  if (client == nullptr) return;
  if (client->relay.stage == Stage::response_head) upstream.relay.stage = Stage::response_head;
  // The client waited for room to forward more of its body.
  if (client->relay.stage == Stage::request && client->paused()) transport_.resume_input(*client);
}

// Hands what waits in the upstream's input to the relay, which keeps (in the
// same chunk) whatever it cannot pass on yet.
void Worker::upstream_take_input(Connection& upstream) {
  std::string_view data = upstream.input_view();
  upstream.input_bytes = 0;
  upstream_receive(upstream, data, true);
  if (upstream.input != nullptr && upstream.input_bytes == 0) {
    transport_.input_pool().give_back(upstream.input);  // an idle pooled connection holds no chunk
    upstream.input = nullptr;
  }
}

// A response body is read straight into the upstream's input chunk, as much as
// the client's output has room for: one receive (and one send, one TLS record)
// per up to a chunk instead of per 4 KiB ring buffer, and backpressure stays exact.
// Too little room takes the ring path, which keeps and pauses as before.
std::span<char> Worker::relay_receive_area(Connection& upstream) {
  constexpr std::size_t direct_bytes_min = 4096;
  if (!upstream.upstream() || upstream.tls || upstream.relay.stage != Stage::response_body) {
    return {};
  }
  const Connection* client = peer_of(upstream);
  if (client == nullptr) return {};
  std::size_t room = transport_.output_pool().chunk_bytes() - client->output_bytes;
  std::size_t free_input = transport_.input_pool().chunk_bytes() - upstream.input_bytes;
  std::size_t bytes =
      std::min(room > upstream.input_bytes ? room - upstream.input_bytes : 0, free_input);
  if (bytes < direct_bytes_min) return {};
  if (upstream.input == nullptr) upstream.input = transport_.input_pool().take();
  return {upstream.input + upstream.input_bytes, bytes};
}

// received_bytes: into input; 0 when it was cancelled (paused meanwhile).
void Worker::on_relay_receive(Connection& upstream, std::uint32_t received_bytes) {
  if (upstream.closing() || upstream.lingering()) return;
  upstream.input_bytes += received_bytes;
  if (!upstream.paused() && upstream.input_bytes > 0) upstream_take_input(upstream);
}

void Worker::upstream_receive(Connection& upstream, std::string_view data, bool data_is_owned) {
  Connection* client = peer_of(upstream);
  if (client == nullptr) {
    transport_.close(upstream);  // an idle pooled connection does not speak first
    return;
  }
  if (upstream.relay.stage == Stage::response_body) {
    relay_response_body(upstream, *client, data);
    return;
  }
  if (upstream.input_bytes > 0 && !data_is_owned) {
    std::size_t room = transport_.input_pool().chunk_bytes() - upstream.input_bytes;
    if (data.size() > room) data = data.substr(0, room);  // the parser will say too large
    std::memcpy(upstream.input + upstream.input_bytes, data.data(), data.size());
    upstream.input_bytes += static_cast<std::uint32_t>(data.size());
    data = upstream.input_view();
  }
  http::ResponseParseResult result = http::parse_response_head(data, response_head_);
  while (result.status == http::ResponseParseStatus::complete && response_head_.is_interim()) {
    data.remove_prefix(result.head_bytes);  // 100 Continue and the like: the client does not wait
    result = http::parse_response_head(data, response_head_);
  }
  if (result.status == http::ResponseParseStatus::partial) {
    keep_leftover(upstream, data);  // closes the upstream when the head outgrows the chunk
    return;
  }
  if (result.status != http::ResponseParseStatus::complete) {
    fail_exchange(*client, ProxyError::upstream_invalid_response);
    return;
  }
  if (response_head_.status == 101) {  // we never ask for an upgrade
    fail_exchange(*client, ProxyError::upstream_switched_protocols);
    return;
  }
  if (!forward_response_head(upstream, *client)) return;
  std::string_view body = data.substr(result.head_bytes);
  keep_leftover(upstream, {});
  relay_response_body(upstream, *client, body);
}

bool Worker::forward_response_head(Connection& upstream, Connection& client) {
  http::BodyFraming framing =
      http::response_body_framing(response_head_, upstream.exchange->method);
  upstream.exchange->upstream_reusable =
      http::upstream_connection_reusable(response_head_, framing.kind());
  // HTTP/1.0 has no chunked coding: such a client gets the chunk data alone.
  bool client_http10 = client.exchange->logged.version_minor == 0;
  if (client_http10) framing.decode_chunks();
  // A close-delimited (or de-chunked) body ends for the client only when we close.
  client.exchange->client_keep_alive =
      client.exchange->client_keep_alive && !framing.ends_at_close();
  http::ProxyResponseOptions options;
  options.keep_alive = client.exchange->client_keep_alive;
  options.client_http10 = client_http10;
  options.strict_transport_security =
      client.tls ? routes_[client.relay.route].hsts : std::string_view();
  http::OutputArea out = transport_.output_area(client);
  if (!http::write_proxied_response_head(out, response_head_, options)) {
    fail_exchange(client, ProxyError::upstream_head_too_large);
    return false;
  }
  client.output_bytes = static_cast<std::uint32_t>(out.size);
  client.exchange->status = response_head_.status;
  client.relay.stage = Stage::response_body;
  upstream.relay.stage = Stage::response_body;
  upstream.exchange->body = framing;
  timers_.schedule(upstream.timer, now_ms_ + config_of(upstream).timeouts.keepalive_ms);
  return true;
}

void Worker::relay_response_body(Connection& upstream, Connection& client, std::string_view bytes) {
  http::OutputArea out = transport_.output_area(client);
  std::size_t room = out.capacity - out.size;
  std::size_t written_bytes = 0;
  http::BodyScan scan =
      upstream.exchange->body.copy_to(bytes.substr(0, room), out.data + out.size, written_bytes);
  if (scan.error) {
    upstream.exchange->upstream_reusable = false;
    transport_.close(upstream);
    client.finish_after_send();  // the client sees the body end early
    finish_exchange(client);
    return;
  }
  client.output_bytes += static_cast<std::uint32_t>(written_bytes);
  client.exchange->body_bytes += written_bytes;
  transport_.flush(client);
  if (upstream.exchange->body.done()) {
    // Bytes after the end of the response: the upstream is out of step.
    if (scan.consumed_bytes < bytes.size()) upstream.exchange->upstream_reusable = false;
    finish_exchange(client);
    return;
  }
  if (scan.consumed_bytes < bytes.size()) {
    // The client's output is full: keep the rest and stop reading the upstream
    // until it drains (resume_input continues from the kept bytes).
    keep_leftover(upstream, bytes.substr(scan.consumed_bytes));
    upstream.pause();
    transport_.pause_receiving(upstream);
  }
}

// The response the client has begun to receive stops short. Where its framing
// ends at the close, a clean close would read as the whole body: reset instead.
void Worker::cut_response(Connection& client, bool end_is_close) {
  unlink(client);
  release_request_copy(client);
  if (end_is_close) {
    transport_.abort(client);
    return;
  }
  client.finish_after_send();  // the framing shows the client the body is short
  transport_.flush(client);
}

void Worker::client_output_drained(Connection& client) {
  Connection* upstream = peer_of(client);
  if (upstream != nullptr && upstream->paused()) transport_.resume_input(*upstream);
}

void Worker::finish_exchange(Connection& client) {
  Connection* upstream = peer_of(client);
  log_access(client, client.exchange->logged, client.exchange->status,
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

void Worker::release_request_copy(Connection& client) {
  if (client.exchange == nullptr) return;
  if (client.exchange->request_copy != nullptr)
    transport_.input_pool().give_back(client.exchange->request_copy);
  client.exchange->request_copy = nullptr;
  client.exchange->request_copy_bytes = 0;
}

void Worker::fail_exchange(Connection& client, ProxyError error) {
  Connection* upstream = peer_of(client);
  int status = proxy::error_status(error);
  std::string_view reason = proxy::error_log_text(error);
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
  answer_status(client, client.exchange->logged, status, false);
  release_request_copy(client);
  transport_.flush(client);
}

// The upstream closed (end of stream or an error) while linked to a client.
void Worker::upstream_closed(Connection& upstream) {
  Connection* client = peer_of(upstream);
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
  proxy::RetryFacts facts;
  facts.idempotent = is_idempotent(client->exchange->method);
  facts.pooled_connection = upstream.exchange->reused;
  facts.has_body = client->exchange->body.kind() != http::BodyKind::none;
  facts.retried = client->exchange->retried;
  bool retry = proxy::may_retry(ProxyError::upstream_closed_early, facts);
  unlink(*client);
  client->exchange->retried = true;
  if (retry && start_upstream(*client, {}, false) == UpstreamStart::started) return;
  if (peer_of(*client) == nullptr) link(*client, upstream);
  fail_exchange(*client, ProxyError::upstream_closed_early);
}

void Worker::upstream_timed_out(Connection& upstream) {
  Connection* client = peer_of(upstream);
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
      timers_.schedule(upstream.timer, now_ms_ + config_of(upstream).timeouts.keepalive_ms);
      return;
    }
  }
  fail_exchange(*client, ProxyError::upstream_timed_out);
}

bool Worker::answer_status(Connection& client, const PendingRequest& request, int status,
                           bool keep_alive) {
  LocalResponse response;
  response.status = status;
  response.keep_alive = keep_alive;
  respond(client, request, response, WhenFull::close);
  return true;  // answered, or closed
}

}  // namespace ringway::app
