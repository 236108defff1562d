// What the transport's events mean to a worker's two codecs: the HTTP server
// on a client's connection, the relay on an upstream's.
#include "ringway/app/worker.h"

namespace ringway::app {

using Stage = Relay::Stage;

void Worker::on_bytes(transport::Stream& stream, std::string_view data) {
  Connection& connection = connection_of(stream);
  if (connection.upstream()) {
    upstream_receive(connection, data, false);
  } else {
    consume_input(connection, data, false);
  }
}

void Worker::on_input(transport::Stream& stream) {
  Connection& connection = connection_of(stream);
  if (connection.upstream()) {
    upstream_take_input(connection);
  } else {
    consume_input(connection, connection.input_view(), true);
  }
}

std::span<char> Worker::direct_receive_area(transport::Stream& stream) {
  return relay_receive_area(connection_of(stream));
}

void Worker::on_direct_receive(transport::Stream& stream, std::uint32_t bytes) {
  on_relay_receive(connection_of(stream), bytes);
}

bool Worker::receives_bulk(const transport::Stream& stream) const {
  const auto& connection = static_cast<const Connection&>(stream);
  return connection.upstream() || connection.relay.stage == Stage::request;
}

bool Worker::send_paces_peer(const transport::Stream& stream) const {
  return static_cast<const Connection&>(stream).relay.linked;
}

bool Worker::on_output_drained(transport::Stream& stream) {
  Connection& connection = connection_of(stream);
  if (connection.upstream()) {
    upstream_output_drained(connection);
    return true;
  }
  if (connection.relay.linked) {
    client_output_drained(connection);
    return true;
  }
  return connection.awaiting_file();  // answered once its file is read
}

void Worker::on_resume(transport::Stream& stream) {
  Connection& connection = connection_of(stream);
  if (!connection.upstream()) {
    consume_input(connection, connection.input_view(), true);
  } else if (connection.input_bytes > 0 && !connection.receiving_direct()) {
    // A receive still writing into input hands its bytes over when it completes.
    upstream_take_input(connection);
  }
}

void Worker::on_handshake_done(transport::Stream& stream) {
  upstream_tls_established(connection_of(stream));
}

void Worker::on_closing(transport::Stream& stream) {
  Connection& connection = connection_of(stream);
  if (!connection.relay.linked) return;
  if (connection.upstream()) {
    upstream_closed(connection);  // the client is answered or closed too
  } else if (Connection* upstream = peer_of(connection)) {
    unlink(connection);
    transport_.close(*upstream);  // mid-exchange: not reusable
  }
}

}  // namespace ringway::app
