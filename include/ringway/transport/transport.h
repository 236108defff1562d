#pragma once
// The transport of a worker's connections (Envoy's transport socket): plain or
// TLS streams over the ring, below the codec. It arms receives, holds the
// receive buffers of paused streams, opens TLS records into plaintext input,
// seals output into records, sends, lingers and closes. One path for both
// sides: what differs is only what the peer's end and a TLS event mean.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ringway/base/chunk_pool.h"
#include "ringway/base/object_pool.h"
#include "ringway/io/completion.h"
#include "ringway/io/ring.h"
#include "ringway/io/timer_wheel.h"
#include "ringway/tls/certificate_store.h"
#include "ringway/tls/client_context.h"
#include "ringway/tls/ticket_keys.h"
#include "ringway/transport/stream.h"

namespace ringway::transport {

// What the layer above a stream does with its events. Every stream of a
// transport has the same codec; it tells the streams' roles apart itself.
class Codec {
 public:
  virtual ~Codec() = default;
  // Plain bytes that arrived: in a receive buffer that is recycled once this returns.
  virtual void on_bytes(Stream& stream, std::string_view data) = 0;
  // TLS: plaintext was appended to stream.input.
  virtual void on_input(Stream& stream) = 0;
  // Where a plain stream's next receive lands when it skips the buffer ring
  // (empty: it does not).
  virtual std::span<char> direct_receive_area(Stream& stream) = 0;
  virtual void on_direct_receive(Stream& stream, std::uint32_t bytes) = 0;
  // A bulk sender takes one receive buffer per receive, so pausing it is exact.
  virtual bool receives_bulk(const Stream& stream) const = 0;
  // Whether a send's completion matters to another stream (see Transport::send).
  virtual bool send_paces_peer(const Stream& stream) const = 0;
  // The output is out. True: the codec took it from here; false: the transport
  // goes on (finish, resume paused input, or close after the peer's end).
  virtual bool on_output_drained(Stream& stream) = 0;
  // A paused stream resumes: the codec takes the input it kept.
  virtual void on_resume(Stream& stream) = 0;
  // A connected stream's peer is done sending (its FIN or close_notify).
  virtual void on_end_of_stream(Stream& stream) = 0;
  // A connected stream's TLS handshake completed, or failed.
  virtual void on_handshake_done(Stream& stream) = 0;
  virtual void on_tls_failed(Stream& stream, std::string_view reason) = 0;
  // The stream starts closing (its peer, if any, must let go), and later its slot is free.
  virtual void on_closing(Stream& stream) = 0;
  virtual void on_released(Stream& stream) = 0;
};

struct TransportSettings {
  std::size_t input_chunk_bytes = 0;
  std::size_t output_chunk_bytes = 0;
  // Receive buffers paused streams may hold, all together and each: a stream
  // far ahead of us is closed rather than allowed to take the ring from the rest.
  std::size_t held_buffers_max = 0;
  std::uint32_t held_buffers_per_stream_max = 0;
  std::uint64_t linger_ms = 0;  // how long a finished stream drains the peer's unread bytes
};

class Transport {
 public:
  Transport(Codec& codec, io::TimerWheel& timers, const TransportSettings& settings);
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  void attach(io::Ring& ring) { ring_ = &ring; }  // once the worker's ring is open
  void set_now(std::uint64_t now_ms) { now_ms_ = now_ms; }
  // Stopping: a finished stream closes at once instead of lingering.
  void begin_stop() { stopping_ = true; }

  base::ChunkPool& input_pool() { return input_pool_; }
  base::ChunkPool& output_pool() { return output_pool_; }
  // The stream's output chunk (taken on first use) as an area to append to.
  base::OutputArea output_area(Stream& stream);

  // TLS (tls_stream.cc). A session from the pool, kept until the slot is released.
  tls::Session& session_of(Stream& stream);
  // An accepted stream's server side; false when no site has a certificate yet.
  bool open_server_tls(Stream& stream, const std::shared_ptr<const tls::CertificateStore>& store,
                       std::size_t context_index,
                       const std::shared_ptr<const tls::TicketKeys>& ticket_keys);
  // A connected stream's client side: sends its first flight. False: not opened.
  bool open_client_tls(Stream& stream, const std::shared_ptr<const tls::ClientContext>& context,
                       const std::string& host);

  // Receiving (stream_receive.cc).
  void arm_receive(Stream& stream);
  void on_receive(Stream& stream, const io::Completion& completion);
  void pause_receiving(Stream& stream);
  void resume_receiving(Stream& stream);
  // A paused stream goes on: the codec's kept input, then records the TLS
  // session kept, then held receive buffers, in arrival order.
  void resume_input(Stream& stream);

  // Sending (stream_send.cc).
  void flush(Stream& stream);
  void on_send(Stream& stream, const io::Completion& completion);
  // A send counted as completing during this turn's submit now has work behind
  // it: the loop must wait for its completion.
  void expect_send_completion(Stream& stream);
  // Sends expected to complete during this turn's submit (see Worker::run).
  unsigned counted_sends() const { return counted_sends_; }
  void next_turn() {
    counted_sends_ = 0;
    ++turn_;
  }

  // Closing (transport.cc).
  void close(Stream& stream);
  void abort(Stream& stream);  // closes with a reset (SO_LINGER 0)
  void on_socket_close(Stream& stream);
  // Frees the slot's memory and lets the codec free the slot once nothing is in flight.
  void release_if_done(Stream& stream);

 private:
  void take_bytes(Stream& stream, std::string_view data);
  void on_received_buffer(Stream& stream, std::uint16_t buffer_id, std::uint32_t length);
  void on_peer_end(Stream& stream);
  void hold_buffer(Stream& stream, std::uint16_t buffer_id, std::size_t length);
  void release_held(Stream& stream);
  void receive_tls(Stream& stream, std::string_view ciphertext);
  void tls_failed(Stream& stream, std::string_view reason);
  base::OutputArea wire_area(Stream& stream);
  void flush_tls(Stream& stream);
  bool send_close_notify(Stream& stream);
  void send(Stream& stream, const char* data, std::uint32_t bytes);
  void output_drained(Stream& stream);
  void finish(Stream& stream);
  io::Operation operation(io::OperationKind kind, const Stream& stream) const {
    return {kind, stream.slot, stream.generation};
  }

  Codec& codec_;
  io::TimerWheel& timers_;
  TransportSettings settings_;
  io::Ring* ring_ = nullptr;
  std::uint64_t now_ms_ = 0;
  bool stopping_ = false;
  base::ChunkPool input_pool_;
  base::ChunkPool output_pool_;
  base::ObjectPool<tls::Session> sessions_;
  // Receive buffers of paused streams, in arrival order, taken on resume.
  struct HeldBuffer {
    std::uint32_t slot;
    std::uint16_t buffer_id;
    std::uint32_t length;
  };
  std::vector<HeldBuffer> held_;
  unsigned counted_sends_ = 0;  // keepalive sends queued this turn (see Worker::run)
  std::uint64_t turn_ = 1;      // loop turns, to tell which sends were counted in this one
};

}  // namespace ringway::transport
