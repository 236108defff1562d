// A transport's pools and the end of a stream: closing, and freeing its slot
// once nothing is in flight for it.
#include "ringway/transport/transport.h"

namespace ringway::transport {

Transport::Transport(Codec& codec, io::TimerWheel& timers, const TransportSettings& settings)
    : codec_(codec),
      timers_(timers),
      settings_(settings),
      input_pool_(settings.input_chunk_bytes),
      output_pool_(settings.output_chunk_bytes) {
  held_.reserve(settings.held_buffers_max);
}

base::OutputArea Transport::output_area(Stream& stream) {
  if (stream.output == nullptr) stream.output = output_pool_.take();
  return {stream.output, stream.output_bytes, output_pool_.chunk_bytes()};
}

void Transport::close(Stream& stream) {
  if (stream.closing()) return;
  stream.start_closing();
  expect_send_completion(stream);
  codec_.on_closing(stream);
  io::TimerWheel::cancel(stream.timer);
  release_held(stream);
  io::Operation close_operation = operation(io::OperationKind::socket_close, stream);
  if (stream.receiving() || stream.sending || stream.connecting) {
    // A multishot receive holds the socket open: cancel it before closing.
    ring_->prep_cancel_and_close(close_operation, stream.fd);
  } else {
    ring_->prep_close(close_operation, stream.fd);
  }
}

void Transport::abort(Stream& stream) {
  if (stream.closing()) return;
  ring_->reset_on_close(stream.fd);
  close(stream);
}

void Transport::on_socket_close(Stream& stream) {
  stream.fd = -1;
  release_if_done(stream);
}

void Transport::release_if_done(Stream& stream) {
  if (stream.fd >= 0 || stream.receiving() || stream.sending || stream.file_busy ||
      stream.connecting) {
    return;
  }
  if (stream.session != nullptr) {
    stream.session->reset();
    sessions_.give_back(stream.session);
    stream.session = nullptr;
  }
  if (stream.input != nullptr) input_pool_.give_back(stream.input);
  if (stream.output != nullptr) output_pool_.give_back(stream.output);
  if (stream.wire != nullptr) output_pool_.give_back(stream.wire);
  stream.input = nullptr;
  stream.output = nullptr;
  stream.wire = nullptr;
  codec_.on_released(stream);
}

}  // namespace ringway::transport
