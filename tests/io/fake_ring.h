#pragma once
// A deterministic stand-in for io::Ring (TigerBeetle's src/testing/io.zig is the
// model): every operation runs against a simulated network, file system and
// clock, all driven by one seeded generator, so one seed replays exactly.
//
// The network is made of links, one per simulated TCP connection: the worker
// holds one end through a descriptor, a Peer (a scripted client or upstream)
// the other. Faults are probabilities: partial receives, short sends and
// writes, provided buffers squeezed away (ENOBUFS), completions reordered
// across operations, cancelled operations completing after their close with
// their own result, and one-shot receives that finish before their cancel.
// Resets, refusals and timeouts come from the peers (tests/app/fake_client.h,
// tests/app/fake_upstream.h).
//
// Descriptors handed out are real but harmless (dups of /dev/null), because the
// worker may setsockopt or close them. A recycled receive buffer is poisoned
// (and, under ASan, made unaddressable) until it is lent again.

#include <sys/socket.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ringway/io/ring.h"

namespace ringway::fake {

struct Faults {
  double partial_receive = 0;  // a receive takes a random prefix of the bytes waiting
  double short_send = 0;       // a send or write takes a random prefix of its bytes
  double buffer_squeeze = 0;   // per turn: the free receive buffers vanish for 1-8 turns
  double reorder = 0;          // a completion overtakes those of other operations
  double late_completion = 0;  // cancel_and_close: the cancelled ones complete after the close
  double cancel_miss = 0;      // a one-shot receive with bytes waiting beats its cancel
  std::uint32_t latency_ms_max = 2;  // an operation runs 0..this many ms after its submit
};

using LinkId = std::uint32_t;

// Bytes in flight on a link: appended at the back, taken from the front
// without moving the rest each time.
class ByteQueue {
 public:
  void append(std::string_view bytes) { bytes_.append(bytes); }
  bool empty() const { return size() == 0; }
  std::size_t size() const { return bytes_.size() - taken_; }
  const char* data() const { return bytes_.data() + taken_; }
  void consume(std::size_t count) {
    taken_ += count;
    if (taken_ * 2 >= bytes_.size()) {
      bytes_.erase(0, taken_);
      taken_ = 0;
    }
  }
  void clear() {
    bytes_.clear();
    taken_ = 0;
  }

 private:
  std::string bytes_;
  std::size_t taken_ = 0;
};

// The remote end of a link.
class Peer {
 public:
  virtual ~Peer() = default;
  // The worker sent these bytes.
  virtual void on_bytes(std::string_view bytes) = 0;
  // The worker shut its write side (reset false) or the connection is gone:
  // reset, refused, or closed with bytes unread (reset true). May come twice.
  virtual void on_end(bool reset) = 0;
};

// Something listening at an upstream address.
class Listener {
 public:
  enum class Answer : std::uint8_t { accept, refuse, time_out, never };
  virtual ~Listener() = default;
  // How the connect attempt on link goes, decided when it is made.
  virtual Answer answer_connect(LinkId link) = 0;
  // The connect succeeded: the peer that serves link from now on.
  virtual Peer* accept(LinkId link) = 0;
};

class FakeRing final : public io::Ring {
 public:
  static constexpr std::uint32_t buffer_bytes = 4096;  // as the worker's real ring has

  FakeRing(std::uint64_t seed, const Faults& faults, std::uint32_t buffer_count = 1024);
  ~FakeRing() override;

  // The simulated world, for the test and its peers.
  std::uint64_t uniform(std::uint64_t low, std::uint64_t high);  // inclusive
  bool chance(double probability);
  // Runs action delay_ms from now, after everything scheduled earlier for that moment.
  void after(std::uint64_t delay_ms, std::function<void()> action);
  std::uint64_t clock_ms() const { return now_ms_; }
  std::uint64_t elapsed_ms() const { return now_ms_ - start_ms_; }
  // Called at the start of every submit_and_wait, e.g. to stop the worker once done.
  void on_turn(std::function<void()> hook) { on_turn_ = std::move(hook); }
  // Gives up (submit_and_wait fails) after this many turns or virtual milliseconds.
  void set_limits(std::uint64_t turns_max, std::uint64_t elapsed_ms_max);

  int add_listener();  // a listening descriptor for the worker
  // A client connects through listener_fd; false (and nothing else) when it is
  // not listening any more.
  bool connect_client(int listener_fd, Peer& peer, LinkId& link);
  void add_upstream(const sockaddr_storage& address, Listener& listener);
  int add_webroot();     // the directory prep_open_beneath opens files relative to
  int add_access_log();  // a descriptor whose writes are kept in access_log()
  void add_file(std::string path, std::string content);
  const std::string& access_log() const { return access_log_; }

  // The peer's side of a link.
  void send_to_worker(LinkId link, std::string_view bytes);
  void shutdown_to_worker(LinkId link);  // FIN after what was sent
  void reset_to_worker(LinkId link);     // RST: what was not received is lost
  void close_to_worker(LinkId link);     // FIN, and bytes sent to it later reset the link

  // The first broken rule (a buffer used after release, an unknown descriptor,
  // the worker stuck, ...), or empty.
  const std::string& failure() const { return failure_; }
  void fail(std::string what);
  // After the worker's run(): empty, or what it left behind (operations in
  // flight, buffers lent, descriptors open).
  std::string leftovers() const;
  std::uint64_t turns() const { return turns_; }
  // With RINGWAY_FAKE_TRACE set, every operation, completion and peer action
  // is printed on standard error, with the virtual time.
  void trace(const char* format, ...) __attribute__((format(printf, 2, 3)));

  // io::Ring
  void prep_accept_multishot(io::Operation operation, int listen_fd) override;
  void prep_receive_multishot(io::Operation operation, int fd) override;
  void prep_receive_one_buffer(io::Operation operation, int fd) override;
  void prep_receive_into(io::Operation operation, int fd, std::span<char> area) override;
  void prep_send(io::Operation operation, int fd, const char* data, std::uint32_t bytes) override;
  void prep_connect(io::Operation operation, int fd, const sockaddr* address,
                    socklen_t length) override;
  void prep_open_beneath(io::Operation operation, int directory_fd, const char* path,
                         const open_how* how) override;
  void prep_read(io::Operation operation, int fd, char* data, std::uint32_t bytes,
                 std::uint64_t offset) override;
  void prep_write(io::Operation operation, int fd, const char* data, std::uint32_t bytes,
                  std::uint64_t offset) override;
  void prep_close(io::Operation operation, int fd) override;
  void prep_cancel_and_close(io::Operation operation, int fd) override;
  void prep_cancel(io::Operation target) override;
  void prep_poll(io::Operation operation, int fd, unsigned events, bool multishot) override;
  void prep_poll_remove(io::Operation target) override;
  void prep_wake_wait(io::Operation operation) override;
  void wake() override;
  int submit_and_wait(unsigned wait_count, std::uint64_t timeout_ms) override;
  bool take_early_submit() override { return false; }
  std::string_view receive_buffer(std::uint16_t buffer_id, std::size_t length) const override;
  void recycle_buffer(std::uint16_t buffer_id) override;
  std::uint32_t receive_buffer_count() const override { return buffer_count_; }
  int open_stream_socket(int family) override;
  void shutdown_write(int fd) override;
  void close_now(int fd) override;
  void reset_on_close(int fd) override;
  void peer_address(int fd, std::span<char> text) override;
  std::uint64_t now_ms() override { return now_ms_; }
  std::int64_t now_unix_ns() override;

 private:
  enum class Kind : std::uint8_t {
    accept,
    receive_multishot,
    receive_one,
    receive_into,
    send,
    connect,
    open,
    read,
    write,
    close,
    wake,
  };
  // An operation in flight.
  struct Pending {
    io::Operation operation;
    Kind kind = Kind::close;
    LinkId link = 0;
    int fd = -1;
    char* area = nullptr;        // receive_into, read
    const char* data = nullptr;  // send, write; open: the path
    std::uint32_t bytes = 0;
    std::uint64_t offset = 0;
  };
  struct Link {
    int fd = -1;  // the worker's descriptor; -1 once it closed it
    bool listener = false;
    Peer* peer = nullptr;
    ByteQueue inbound;            // sent by the peer, not yet received
    bool inbound_end = false;     // the peer's FIN follows inbound
    bool reset = false;           // the peer reset it, or the worker closed it with bytes unread
    bool peer_closed = false;     // bytes sent to the peer from now on reset the link
    bool released = false;        // closed and nothing in flight: the peer was told
    bool reset_on_close = false;  // the worker asked for an abortive close
    std::uint64_t receive = 0;    // serials of what is in flight
    std::uint64_t connect = 0;
    std::uint64_t accept = 0;
    std::deque<std::uint64_t> sends;
    std::uint64_t sends_until_ms = 0;  // sends run in order: none before this
    std::deque<LinkId> backlog;        // listener: accepted, not yet handed over
  };
  enum class FdKind : std::uint8_t { link, file, webroot, access_log };
  struct Descriptor {
    FdKind kind = FdKind::link;
    LinkId link = 0;
    std::string content;  // file
  };
  enum class BufferState : std::uint8_t { free, lent, recycled, squeezed };
  struct Ready {
    io::Completion completion;
    std::uint64_t order = 0;  // completions with the same nonzero order keep theirs
  };
  struct Event {
    std::uint64_t at_ms;
    std::uint64_t sequence;
    std::function<void()> action;
    bool operator>(const Event& other) const {
      return at_ms != other.at_ms ? at_ms > other.at_ms : sequence > other.sequence;
    }
  };

  bool next_completion(io::Completion& completion) override;

  // fake_ring.cc: submissions, events, completions, buffers.
  std::uint64_t submit(Pending pending, std::function<void(std::uint64_t)> run);
  std::uint64_t latency();
  void post(const Pending& pending, int result, bool more, std::uint64_t order, int buffer_id = -1);
  void finish(std::uint64_t serial, int result, std::uint64_t order);
  void run_due_events();
  void publish_buffers();
  int take_buffer();
  int new_descriptor(Descriptor descriptor);
  Descriptor* descriptor(int fd);
  void close_descriptor(int fd);

  // fake_ring_links.cc: sockets.
  LinkId link_of(int fd, const char* what);  // 0 (and a failure) when fd is no socket
  void end_receive(LinkId link, int result);
  std::uint64_t receive_order(LinkId link) const { return std::uint64_t{link} * 4 + 1; }
  std::uint64_t send_order(LinkId link) const { return std::uint64_t{link} * 4 + 2; }
  void arm_receive(io::Operation operation, int fd, Kind kind, std::span<char> area);
  void pump_receive(LinkId link);
  void pump_accept(LinkId link);
  void run_send(std::uint64_t serial);
  void run_connect(std::uint64_t serial, Listener::Answer answer, Listener* listener);
  bool cancel(std::uint64_t serial);
  void close_link(LinkId link);
  void release_if_idle(LinkId link);
  bool link_busy(const Link& link) const;
  void tell_peer_end(Link& link, bool reset);

  // fake_ring_files.cc: the webroot and the access log.
  void run_open(std::uint64_t serial);
  void run_read(std::uint64_t serial);
  void run_write(std::uint64_t serial);

  std::mt19937_64 random_;
  Faults faults_;
  std::uint64_t start_ms_;
  std::uint64_t now_ms_;
  std::uint64_t turns_ = 0;
  std::uint64_t spin_ms_ = 0;  // turns in a row at the same virtual millisecond
  std::uint32_t spin_turns_ = 0;
  std::uint64_t turns_max_ = 2'000'000;
  std::uint64_t elapsed_ms_max_ = 3'600'000;
  std::function<void()> on_turn_;
  std::string failure_;
  bool tracing_ = false;

  std::vector<std::function<void()>> submissions_;  // run in order at the next submit
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events_;
  std::uint64_t event_sequence_ = 0;
  std::deque<Ready> ready_;
  std::map<std::uint64_t, Pending> pending_;  // by serial
  std::uint64_t next_serial_ = 1;
  std::uint64_t wake_ = 0;  // the armed wake wait
  bool woken_ = false;

  std::deque<Link> links_;  // by LinkId; a deque, so references stay put
  std::vector<std::pair<sockaddr_storage, Listener*>> upstreams_;
  std::unordered_map<int, Descriptor> descriptors_;
  std::map<std::string, std::string> files_;
  std::string access_log_;
  int null_fd_ = -1;

  std::uint32_t buffer_count_;
  std::unique_ptr<char[]> buffer_memory_;
  std::vector<BufferState> buffer_states_;
  std::vector<std::uint16_t> free_buffers_;
  std::vector<std::uint16_t> recycled_buffers_;
  std::vector<std::uint16_t> squeezed_buffers_;
  std::uint32_t squeeze_turns_ = 0;
};

}  // namespace ringway::fake
