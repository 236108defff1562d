#pragma once
// A connection's byte stream: its socket, the receive armed on it, its input
// and output chunks and, for HTTPS, the TLS session between the socket and the
// codec above. The codec (the HTTP server or the relay) reads plaintext from
// `input` and writes plaintext to `output`; it never asks whether the stream is
// encrypted.

#include <cstdint>
#include <string_view>

#include "ringway/io/timer_wheel.h"
#include "ringway/tls/session.h"

namespace ringway::transport {

// Which end of the connection we are: it decides what the peer's end of the
// stream and a TLS event mean.
enum class Side : std::uint8_t {
  accepted,   // a client connected to us: we answer what it sends
  connected,  // we connected (an upstream): we relay what it sends
};

struct Stream {
  int fd = -1;
  std::uint32_t slot = 0;        // its place in the worker's slab, for operation tags
  std::uint32_t generation = 0;  // which tenant of the slot, for operation tags
  Side side = Side::accepted;

  // Where the stream is in its life. Only forward: open -> finishing ->
  // lingering -> closing, and closing from anywhere.
  enum class Lifecycle : std::uint8_t {
    open,       // input is read and answered
    finishing,  // the last output is queued: no more input, close once it is out
    lingering,  // our side is shut; the peer's unread bytes drain until EOF or a timeout
    closing,    // close submitted or about to be; the slot is freed once nothing is in flight
  };
  // The receive armed on the socket, if any.
  enum class Receive : std::uint8_t {
    idle,             // none: the stream is paused, closing, or the peer closed
    buffers,          // a receive into the provided buffer ring
    direct,           // a receive straight into the input chunk (a relayed response body)
    stopping,         // the buffer-ring receive's cancel is on its way (paused)
    stopping_direct,  // the same for a direct receive
  };
  // What new input waits for before it is read on.
  enum class InputWait : std::uint8_t {
    none,
    output_room,  // earlier output must drain first (or the peer's, for a request body)
    file,         // a challenge is not answered until its file is read
  };

  Lifecycle lifecycle = Lifecycle::open;
  Receive receive = Receive::idle;
  InputWait input_wait = InputWait::none;
  bool in_use = false;
  // Independent of the state above: what is in flight, and what the peer did.
  bool sending = false;
  bool file_busy = false;    // a file operation (open, read, close) is in flight
  bool connecting = false;   // a connect is in flight
  bool peer_closed = false;  // the peer half-closed: answer what came, then close

  bool closing() const { return lifecycle == Lifecycle::closing; }
  // No more input is read: the last output is queued, or it is later than that.
  bool finishing() const { return lifecycle >= Lifecycle::finishing; }
  bool lingering() const { return lifecycle == Lifecycle::lingering; }
  void finish_after_send() {
    if (lifecycle < Lifecycle::finishing) lifecycle = Lifecycle::finishing;
  }
  void start_lingering() { lifecycle = Lifecycle::lingering; }  // from finishing only
  void start_closing() { lifecycle = Lifecycle::closing; }

  bool paused() const { return input_wait != InputWait::none; }
  bool awaiting_file() const { return input_wait == InputWait::file; }
  // Input waits; a challenge that waits for its file goes on waiting for it.
  void pause() {
    if (input_wait == InputWait::none) input_wait = InputWait::output_room;
  }
  void resume() { input_wait = InputWait::none; }
  void await_file() { input_wait = InputWait::file; }
  // Resumed once the answer is queued.
  void file_answered() { input_wait = InputWait::output_room; }

  bool receiving() const { return receive != Receive::idle; }
  bool receiving_direct() const {
    return receive == Receive::direct || receive == Receive::stopping_direct;
  }
  bool receive_stopping() const {
    return receive == Receive::stopping || receive == Receive::stopping_direct;
  }

  std::uint64_t send_counted_turn = 0;  // the loop turn whose wait does not expect this send
  std::uint32_t held_buffers = 0;       // receive buffers kept while paused (Transport)
  std::uint64_t sent_bytes_total = 0;   // progress, for the send timeout
  std::uint64_t sent_bytes_at_timer = ~std::uint64_t{0};

  char* input = nullptr;  // unparsed plaintext that outlived its receive buffer
  std::uint32_t input_bytes = 0;
  char* output = nullptr;  // queued plaintext
  std::uint32_t output_bytes = 0;
  std::uint32_t output_sent_bytes = 0;  // sent, or (TLS) sealed into wire

  // HTTPS: the session seals output into wire, and opens records into input.
  bool tls = false;
  bool close_notify_sent = false;
  tls::Session* session = nullptr;  // server side (accepted) or client side (connected)
  char* wire = nullptr;
  std::uint32_t wire_bytes = 0;
  std::uint32_t wire_sent_bytes = 0;

  io::TimerNode timer;
  char remote_ip[46] = {};

  std::string_view input_view() const { return {input, input_bytes}; }
};

}  // namespace ringway::transport
