// The transport alone over the fake ring: plain streams whose codec echoes what
// arrives and pauses after every piece, so each receive after the first waits
// in a held buffer until the echo is out. Partial receives, short sends,
// squeezed buffers and reordered completions come from the seed; every byte must
// come back once, in order, and every slot must be freed.
#include "ringway/transport/transport.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "../io/fake_ring.h"

namespace ringway::transport {
namespace {

constexpr std::size_t slot_count = 16;
constexpr std::size_t client_count = 6;
constexpr std::uint32_t ring_buffers = 64;

// A client that sends its message in random pieces and ends its side once it is
// echoed, or at once after its last piece.
class EchoClient final : public fake::Peer {
 public:
  EchoClient(fake::FakeRing& ring, int listener_fd, std::string message)
      : ring_(ring), message_(std::move(message)) {
    connected_ = ring_.connect_client(listener_fd, *this, link_);
    if (!connected_) return;
    std::uint64_t at_ms = 0;
    for (std::size_t offset = 0; offset < message_.size();) {
      std::size_t piece = ring_.uniform(1, 3000);
      at_ms += ring_.uniform(0, 3);
      ring_.after(at_ms, [this, offset, piece] {
        if (!ended_) ring_.send_to_worker(link_, std::string_view(message_).substr(offset, piece));
      });
      offset += piece;
    }
    // Half the clients half-close as soon as all is sent, while echoes are still
    // on their way: what they sent is answered, then the stream closes.
    if (ring_.chance(0.5)) {
      shut_ = true;
      ring_.after(at_ms, [this] {
        if (!ended_) ring_.shutdown_to_worker(link_);
      });
    }
  }
  void on_bytes(std::string_view bytes) override {
    echoed_.append(bytes);
    if (echoed_.size() >= message_.size() && !shut_) {
      shut_ = true;
      ring_.shutdown_to_worker(link_);
    }
  }
  void on_end(bool reset) override {
    ended_ = true;
    reset_ = reset_ || reset;
  }

  bool connected() const { return connected_; }
  bool done() const { return ended_; }
  std::string check() const {
    if (!connected_) return "not connected";
    if (reset_) return "reset";
    if (echoed_ != message_) {
      return "echoed " + std::to_string(echoed_.size()) + " of " + std::to_string(message_.size()) +
             " bytes" + (echoed_ == message_.substr(0, echoed_.size()) ? "" : ", out of order");
    }
    return {};
  }

 private:
  fake::FakeRing& ring_;
  std::string message_;
  std::string echoed_;
  fake::LinkId link_ = 0;
  bool connected_ = false;
  bool shut_ = false;
  bool ended_ = false;
  bool reset_ = false;
};

// The codec: echoes every piece into the stream's output and pauses until it is out.
class PausingEcho final : public Codec {
 public:
  Transport* transport = nullptr;
  std::size_t released = 0;

  void on_bytes(Stream& stream, std::string_view data) override {
    base::OutputArea out = transport->output_area(stream);
    if (out.capacity - out.size < data.size()) {
      failure = "an echo did not fit the output chunk";
      transport->close(stream);
      return;
    }
    data.copy(out.data + out.size, data.size());
    stream.output_bytes += static_cast<std::uint32_t>(data.size());
    stream.pause();  // the next bytes wait for this echo to be out
    transport->pause_receiving(stream);
    transport->flush(stream);
  }
  void on_input(Stream&) override { failure = "plaintext input on a plain stream"; }
  std::span<char> direct_receive_area(Stream&) override { return {}; }
  void on_direct_receive(Stream&, std::uint32_t) override { failure = "a direct receive"; }
  bool receives_bulk(const Stream&) const override { return false; }
  bool send_paces_peer(const Stream&) const override { return false; }
  bool on_output_drained(Stream&) override { return false; }
  void on_resume(Stream&) override {}
  void on_end_of_stream(Stream&) override { failure = "a connected stream's end"; }
  void on_handshake_done(Stream&) override { failure = "a handshake"; }
  void on_tls_failed(Stream&, std::string_view) override { failure = "a TLS failure"; }
  void on_closing(Stream&) override {}
  void on_released(Stream& stream) override {
    stream.in_use = false;
    ++stream.generation;
    ++released;
  }

  std::string failure;
};

std::string run_seed(std::uint64_t seed) {
  fake::Faults faults;
  faults.partial_receive = 0.3;
  faults.short_send = 0.3;
  faults.buffer_squeeze = 0.02;
  faults.reorder = 0.2;
  fake::FakeRing ring(seed, faults, ring_buffers);
  ring.set_limits(200000, 600000);
  io::TimerWheel timers(ring.now_ms(), 100, 64);
  PausingEcho codec;
  TransportSettings settings;
  settings.input_chunk_bytes = 16384;
  settings.output_chunk_bytes = 65536;
  settings.held_buffers_max = ring_buffers / 4 * 3;
  settings.held_buffers_per_stream_max = ring_buffers / 4;
  settings.linger_ms = 2000;
  Transport transport(codec, timers, settings);
  codec.transport = &transport;
  transport.attach(ring);
  std::vector<Stream> slots(slot_count);
  std::size_t accepted = 0;

  int listener = ring.add_listener();
  ring.prep_accept_multishot({io::OperationKind::accept, 0, 0}, listener);
  std::vector<std::unique_ptr<EchoClient>> clients;
  for (std::size_t index = 0; index < client_count; ++index) {
    std::string message(ring.uniform(1, 12000), '\0');
    for (char& byte : message) byte = static_cast<char>('a' + ring.uniform(0, 25));
    clients.push_back(std::make_unique<EchoClient>(ring, listener, std::move(message)));
  }
  auto all_done = [&] {
    for (const auto& client : clients) {
      if (!client->done()) return false;
    }
    return codec.released == accepted;
  };
  while (!all_done() && ring.failure().empty() && codec.failure.empty()) {
    if (ring.submit_and_wait(1, 100) < 0) break;
    transport.next_turn();
    ring.for_each_completion([&](const io::Completion& completion) {
      io::Operation operation = completion.operation;
      if (operation.kind == io::OperationKind::ignored) return;  // a cancel's own
      if (operation.kind == io::OperationKind::accept) {
        if (completion.outcome() != io::Outcome::done) return;
        Stream* free = nullptr;
        for (std::uint32_t index = 0; index < slots.size() && free == nullptr; ++index) {
          if (!slots[index].in_use) free = &slots[index];
        }
        if (free == nullptr) {
          codec.failure = "the slab is full";
          return;
        }
        std::uint32_t slot = static_cast<std::uint32_t>(free - slots.data());
        std::uint32_t generation = free->generation;
        *free = Stream{};
        free->fd = completion.result;
        free->slot = slot;
        free->generation = generation;
        free->timer.owner = slot;
        free->in_use = true;
        ++accepted;
        transport.arm_receive(*free);
        return;
      }
      Stream& stream = slots[operation.slot];
      if (!stream.in_use || stream.generation != operation.generation) {
        codec.failure = "a completion for a freed slot (kind " +
                        std::to_string(static_cast<int>(operation.kind)) + ")";
        return;
      }
      if (operation.kind == io::OperationKind::receive) transport.on_receive(stream, completion);
      if (operation.kind == io::OperationKind::send) transport.on_send(stream, completion);
      if (operation.kind == io::OperationKind::socket_close) transport.on_socket_close(stream);
    });
    transport.set_now(ring.now_ms());
    timers.advance(ring.now_ms(), [&](io::TimerNode& node) { transport.close(slots[node.owner]); });
  }
  if (!ring.failure().empty()) return ring.failure();
  if (!codec.failure.empty()) return codec.failure;
  for (std::size_t index = 0; index < clients.size(); ++index) {
    std::string problem = clients[index]->check();
    if (!problem.empty()) return "client " + std::to_string(index) + ": " + problem;
  }
  if (codec.released != accepted) {
    return std::to_string(accepted - codec.released) + " slots not freed";
  }
  return {};
}

TEST(Transport, PausedStreamsGetEveryByteOnceInOrderAndFreeTheirSlots) {
  int failures = 0;
  for (std::uint64_t seed = 1; seed <= 500 && failures < 3; ++seed) {
    std::string failure = run_seed(seed);
    if (!failure.empty()) {
      ++failures;
      ADD_FAILURE() << "seed " << seed << ": " << failure;
    }
  }
}

}  // namespace
}  // namespace ringway::transport
