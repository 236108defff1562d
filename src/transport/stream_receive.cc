// Receiving: receives armed into the provided-buffer ring (or straight into a
// relayed body's input chunk), paused streams holding their buffers in arrival
// order, and the peer's end of the stream.
#include <algorithm>

#include "ringway/transport/transport.h"

namespace ringway::transport {

void Transport::arm_receive(Stream& stream) {
  io::Operation receive = operation(io::OperationKind::receive, stream);
  // Ciphertext must go through the session: only a plain stream receives in place.
  std::span<char> direct = stream.tls ? std::span<char>() : codec_.direct_receive_area(stream);
  if (!direct.empty()) {
    ring_->prep_receive_into(receive, stream.fd, direct);
    stream.receive = Stream::Receive::direct;
    return;
  }
  // Multishot receive (6.0) into the provided-buffer ring: armed once per
  // stream, and the kernel only picks a buffer when bytes arrive. A bulk
  // sender (an upstream, a client sending a body) would fill the whole ring in
  // one go, though: those take one buffer per receive, so pausing them is exact.
  if (codec_.receives_bulk(stream)) {
    ring_->prep_receive_one_buffer(receive, stream.fd);
  } else {
    ring_->prep_receive_multishot(receive, stream.fd);
  }
  stream.receive = Stream::Receive::buffers;
}

void Transport::on_receive(Stream& stream, const io::Completion& completion) {
  bool direct = stream.receiving_direct();
  if (!completion.more) stream.receive = Stream::Receive::idle;
  io::Outcome outcome = completion.outcome();
  if (direct && (outcome == io::Outcome::done || outcome == io::Outcome::canceled)) {
    codec_.on_direct_receive(stream, outcome == io::Outcome::done ? completion.value() : 0);
  } else if (outcome == io::Outcome::done) {
    on_received_buffer(stream, completion.buffer_id, completion.value());
  } else if (outcome == io::Outcome::no_buffers || outcome == io::Outcome::canceled) {
    // ENOBUFS: every receive buffer is taken; ECANCELED: we paused this
    // stream. Either way the bytes wait in the socket until we re-arm.
  } else if (outcome == io::Outcome::end_of_stream && !stream.closing()) {
    on_peer_end(stream);
  } else if (!stream.closing()) {
    close(stream);  // a socket error
  }
  if (stream.closing()) {
    release_if_done(stream);
  } else {
    resume_receiving(stream);
  }
}

void Transport::on_peer_end(Stream& stream) {
  if (stream.side == Side::connected) {
    codec_.on_end_of_stream(stream);
    return;
  }
  // A half-close: what the client sent before it is still answered.
  stream.peer_closed = true;
  bool answering =
      stream.paused() || stream.sending || stream.held_buffers > 0 || stream.output_bytes > 0;
  if (!answering || stream.lingering()) close(stream);
}

void Transport::on_received_buffer(Stream& stream, std::uint16_t buffer_id, std::uint32_t length) {
  std::string_view data = ring_->receive_buffer(buffer_id, length);
  if (stream.closing() || stream.lingering() || stream.finishing()) {
    ring_->recycle_buffer(buffer_id);
  } else if (stream.paused() || stream.held_buffers > 0) {
    hold_buffer(stream, buffer_id, data.size());  // in order, behind what waits already
  } else {
    take_bytes(stream, data);
    ring_->recycle_buffer(buffer_id);
  }
}

void Transport::take_bytes(Stream& stream, std::string_view data) {
  if (stream.tls) {
    receive_tls(stream, data);
  } else {
    codec_.on_bytes(stream, data);
  }
}

void Transport::resume_receiving(Stream& stream) {
  if (!stream.receiving() && !stream.paused() && !stream.closing() && !stream.peer_closed &&
      stream.held_buffers == 0) {
    arm_receive(stream);
  }
}

void Transport::pause_receiving(Stream& stream) {
  if (!stream.receiving() || stream.receive_stopping()) return;
  // A paused stream stops reading, so a peer far ahead of us is held back by
  // TCP instead of by our memory. Bytes already received still fit the input chunk.
  stream.receive = stream.receive == Stream::Receive::direct ? Stream::Receive::stopping_direct
                                                             : Stream::Receive::stopping;
  ring_->prep_cancel(operation(io::OperationKind::receive, stream));
}

void Transport::hold_buffer(Stream& stream, std::uint16_t buffer_id, std::size_t length) {
  if (held_.size() >= settings_.held_buffers_max ||
      stream.held_buffers >= settings_.held_buffers_per_stream_max) {
    ring_->recycle_buffer(buffer_id);
    close(stream);  // one peer must not take the whole buffer ring
    return;
  }
  held_.push_back({stream.slot, buffer_id, static_cast<std::uint32_t>(length)});
  ++stream.held_buffers;
  // A client waiting for its proxied response keeps its receive armed (a cancel
  // and a re-arm per request cost more than the rare early bytes): stop it now.
  pause_receiving(stream);
}

void Transport::release_held(Stream& stream) {
  std::erase_if(held_, [&](const HeldBuffer& held) {
    if (held.slot != stream.slot) return false;
    ring_->recycle_buffer(held.buffer_id);
    return true;
  });
  stream.held_buffers = 0;
}

void Transport::resume_input(Stream& stream) {
  stream.resume();
  codec_.on_resume(stream);
  // Records the session kept while we were paused come before any held buffer.
  if (stream.tls && !stream.paused() && !stream.closing()) receive_tls(stream, {});
  for (std::size_t index = 0; index < held_.size() && stream.held_buffers > 0;) {
    if (stream.paused() || stream.closing() || stream.finishing()) break;
    if (held_[index].slot != stream.slot) {
      ++index;
      continue;
    }
    HeldBuffer held = held_[index];
    held_.erase(held_.begin() + static_cast<std::ptrdiff_t>(index));
    --stream.held_buffers;
    take_bytes(stream, ring_->receive_buffer(held.buffer_id, held.length));
    ring_->recycle_buffer(held.buffer_id);
  }
  if (stream.closing() || stream.finishing()) release_held(stream);
  // A peer that ended its stream is done once its input is taken: a connected
  // one at once, an accepted one once nothing it sent waits for an answer (the
  // rule its end of stream met in on_peer_end, had it not been answered then).
  bool input_taken = stream.peer_closed && !stream.paused() && stream.held_buffers == 0;
  bool answered = stream.side == Side::connected || (!stream.sending && stream.output_bytes == 0);
  if (input_taken && answered) close(stream);
  if (!stream.closing()) resume_receiving(stream);
}

}  // namespace ringway::transport
