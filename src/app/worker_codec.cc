// What the transport's events mean to a worker's two codecs: the HTTP server
// on a client's connection, the relay on an upstream's.
#include "ringway/app/worker.h"

namespace ringway::app {

using Stage = Relay::Stage;

void Worker::on_bytes(transport::Stream& stream, std::string_view data) {
  Connection& connection = connection_of(stream);
  if (connection.upstream()) {
    proxy_.upstream_receive(connection, data, false);
  } else {
    consume_input(connection, data, false);
  }
}

void Worker::on_input(transport::Stream& stream) {
  Connection& connection = connection_of(stream);
  if (connection.upstream()) {
    proxy_.upstream_take_input(connection);
  } else {
    consume_input(connection, connection.input_view(), true);
  }
}

std::span<char> Worker::direct_receive_area(transport::Stream& stream) {
  return proxy_.receive_area(connection_of(stream));
}

void Worker::on_direct_receive(transport::Stream& stream, std::uint32_t bytes) {
  proxy_.on_receive_area(connection_of(stream), bytes);
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
    proxy_.upstream_output_drained(connection);
    return true;
  }
  if (connection.relay.linked) {
    proxy_.client_output_drained(connection);
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
    proxy_.upstream_take_input(connection);
  }
}

void Worker::on_end_of_stream(transport::Stream& stream) {
  proxy_.upstream_end_of_stream(connection_of(stream));
}

void Worker::on_handshake_done(transport::Stream& stream) {
  proxy_.upstream_handshake_done(connection_of(stream));
}

void Worker::on_tls_failed(transport::Stream& stream, std::string_view reason) {
  proxy_.upstream_tls_failed(connection_of(stream), reason);
}

void Worker::on_closing(transport::Stream& stream) {
  proxy_.on_closing(connection_of(stream));
}

}  // namespace ringway::app
