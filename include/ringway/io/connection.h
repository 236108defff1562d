#pragma once
// One slot of a worker's connection slab. Everything a connection owns is
// reachable from here; the slot is freed only when nothing is in flight for it.

#include <cstdint>
#include <string_view>

#include "ringway/io/timer_wheel.h"
#include "ringway/tls/session.h"

namespace ringway::io {

// What a challenge response needs once its file has been read. The views point
// into the connection's own input chunk, which stays put until the response is out.
struct PendingRequest {
  std::string_view method;
  std::string_view target;
  std::string_view host;
  std::string_view user_agent;
  std::string_view referer;
  std::uint8_t version_minor = 1;
  bool keep_alive = true;
  bool head_only = false;
  std::uint32_t head_bytes = 0;
  std::int64_t start_unix_ns = 0;
};

struct Connection {
  int fd = -1;
  std::uint32_t generation = 0;
  std::uint32_t next_free = 0;

  bool in_use = false;
  bool receiving = false;         // a multishot receive is armed
  bool receive_stopping = false;  // its cancel is on the way (the connection is paused)
  bool sending = false;
  bool closing = false;           // close submitted or about to be
  bool close_after_send = false;  // the last response is queued: no more requests
  bool peer_closed = false;       // the client half-closed: answer what came, then close
  bool lingering = false;         // write side shut, draining the client until EOF or timeout
  bool awaiting_file = false;     // a challenge is not answered until its file is read
  bool file_busy = false;         // a file operation (open, read, close) is in flight
  bool paused = false;            // input waits for a file read or for output space

  std::uint64_t send_counted_turn = 0;  // the loop turn whose wait does not expect this send
  std::uint32_t held_buffers = 0;       // receive buffers kept while paused (Worker::held_)
  std::uint64_t head_started_ms = 0;
  std::uint64_t sent_bytes_total = 0;  // progress, for the send timeout
  std::uint64_t sent_bytes_at_timer =
      ~std::uint64_t{0};  // when the first byte of an unfinished head arrived

  char* input = nullptr;  // unparsed bytes that outlived their receive buffer
  std::uint32_t input_bytes = 0;
  char* output = nullptr;  // queued response bytes
  std::uint32_t output_bytes = 0;
  std::uint32_t output_sent_bytes = 0;

  int file_fd = -1;
  PendingRequest pending;

  // HTTPS: output holds plaintext responses, wire the records made of them.
  bool tls = false;
  bool close_notify_sent = false;
  tls::ServerSession session;
  char* wire = nullptr;
  std::uint32_t wire_bytes = 0;
  std::uint32_t wire_sent_bytes = 0;

  TimerNode timer;
  char remote_ip[46] = {};

  std::string_view input_view() const { return {input, input_bytes}; }
};

}  // namespace ringway::io
