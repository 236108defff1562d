// Sending: queued output (plain, or sealed into TLS records first) goes out in
// as few sends as it allows; once it is out the stream reads on, lingers
// before its close, or closes.
#include "ringway/transport/transport.h"

namespace ringway::transport {

void Transport::flush(Stream& stream) {
  if (stream.sending || stream.closing()) return;
  if (stream.tls) {
    flush_tls(stream);
    return;
  }
  if (stream.output_sent_bytes >= stream.output_bytes) {
    if (stream.output_bytes > 0 || stream.finishing()) output_drained(stream);
    return;
  }
  send(stream, stream.output + stream.output_sent_bytes,
       stream.output_bytes - stream.output_sent_bytes);
}

void Transport::send(Stream& stream, const char* data, std::uint32_t bytes) {
  bool first_attempt = (stream.tls ? stream.wire_sent_bytes : stream.output_sent_bytes) == 0;
  ring_->prep_send(operation(io::OperationKind::send, stream), stream.fd, data, bytes);
  stream.sending = true;
  // Only a first attempt at a keepalive response is expected to finish during
  // the submit; anything whose completion we act on must wake us (Worker::run).
  if (first_attempt && !stream.finishing() && !stream.paused() && stream.held_buffers == 0 &&
      !codec_.send_paces_peer(stream)) {
    ++counted_sends_;
    stream.send_counted_turn = turn_;
  }
}

void Transport::expect_send_completion(Stream& stream) {
  if (stream.send_counted_turn != turn_) return;
  stream.send_counted_turn = 0;
  --counted_sends_;
}

void Transport::on_send(Stream& stream, const io::Completion& completion) {
  stream.sending = false;
  if (stream.closing()) {
    release_if_done(stream);
    return;
  }
  if (completion.outcome() != io::Outcome::done || completion.value() == 0) {
    close(stream);  // the peer is gone (reset, broken pipe)
    return;
  }
  (stream.tls ? stream.wire_sent_bytes : stream.output_sent_bytes) += completion.value();
  stream.sent_bytes_total += completion.value();
  flush(stream);
}

void Transport::output_drained(Stream& stream) {
  stream.output_bytes = 0;
  stream.output_sent_bytes = 0;
  if (stream.output != nullptr) output_pool_.give_back(stream.output);
  stream.output = nullptr;
  if (codec_.on_output_drained(stream)) return;
  if (stream.finishing()) {
    finish(stream);
  } else if (stream.paused()) {
    resume_input(stream);
  } else if (stream.peer_closed && stream.held_buffers == 0) {
    close(stream);  // everything the peer sent before its end is answered
  }
}

// The last output is out: close, after a TLS close_notify and a linger.
void Transport::finish(Stream& stream) {
  if (stream.lingering()) return;
  if (stream.tls && send_close_notify(stream)) return;  // drained again after it
  if (stopping_ || stream.peer_closed) {
    close(stream);
    return;
  }
  // Shut our side and drain the peer briefly, so unread request bytes do not
  // make the kernel reset the connection before the response arrives.
  stream.start_lingering();
  // A direct call, not the ring: io_uring runs shutdown in a worker thread that
  // looks the descriptor up late, by when this stream may be closed and its
  // number given to a new one, whose write side it would then shut.
  ring_->shutdown_write(stream.fd);
  timers_.schedule(stream.timer, now_ms_ + settings_.linger_ms);
}

}  // namespace ringway::transport
