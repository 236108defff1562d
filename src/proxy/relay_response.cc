// Proxying, the response side: the upstream's response head is checked and
// rewritten, its body streams to the client with backpressure, and the exchange
// ends cleanly (the upstream back to its pool), with a retry, or with an error
// chosen by ProxyError.
#include <cstring>
#include <string>

#include "ringway/http/response_parser.h"
#include "ringway/http/response_rewriter.h"
#include "ringway/log/error_log.h"
#include "ringway/proxy/proxy.h"

namespace ringway::proxy {

namespace {

using Stage = Relay::Stage;

}  // namespace

void Proxy::upstream_output_drained(RelayStream& upstream) {
  RelayStream* client = peer_of(upstream);
  if (client == nullptr) return;
  if (client->relay.stage == Stage::response_head) upstream.relay.stage = Stage::response_head;
  // The client waited for room to forward more of its body.
  if (client->relay.stage == Stage::request && client->paused()) transport_.resume_input(*client);
}

// Hands what waits in the upstream's input to the relay, which keeps (in the
// same chunk) whatever it cannot pass on yet.
void Proxy::upstream_take_input(RelayStream& upstream) {
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
std::span<char> Proxy::receive_area(RelayStream& upstream) {
  constexpr std::size_t direct_bytes_min = 4096;
  if (!upstream.upstream() || upstream.relay.stage != Stage::response_body) {
    return {};
  }
  const RelayStream* client = peer_of(upstream);
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
void Proxy::on_receive_area(RelayStream& upstream, std::uint32_t received_bytes) {
  if (upstream.closing() || upstream.lingering()) return;
  upstream.input_bytes += received_bytes;
  if (!upstream.paused() && upstream.input_bytes > 0) upstream_take_input(upstream);
}

void Proxy::upstream_receive(RelayStream& upstream, std::string_view data, bool data_is_owned) {
  RelayStream* client = peer_of(upstream);
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
    host_.keep_input(upstream, data);  // closes the upstream when the head outgrows the chunk
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
  host_.keep_input(upstream, {});
  relay_response_body(upstream, *client, body);
}

bool Proxy::forward_response_head(RelayStream& upstream, RelayStream& client) {
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
  timers_.schedule(upstream.timer, now_ms() + host_.config_of(upstream).timeouts.keepalive_ms);
  return true;
}

void Proxy::relay_response_body(RelayStream& upstream, RelayStream& client,
                                std::string_view bytes) {
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
    host_.keep_input(upstream, bytes.substr(scan.consumed_bytes));
    upstream.pause();
    transport_.pause_receiving(upstream);
  }
}

}  // namespace ringway::proxy
