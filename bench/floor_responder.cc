// The floor of the kernel's cost per request: a single-threaded io_uring keepalive responder
// that parses nothing and answers every receive that carries data with one fixed response,
// byte-for-byte the size of ringway's redirect. Its requests per CPU-second are the most an
// io_uring HTTP server can reach on this kernel; bench/harness.py measures ringway against it.
//
// The default mode uses every ring feature that takes work off the per-request path. --simple
// is the plain approach (regular fds, one recv per request, no buffer ring, no registered ring
// fd, no deferred task work) so both floors can be reported. Both modes run the same loop:
// one io_uring_submit_and_wait per turn, then reap the whole batch of completions.
//
// Kernel: the default mode needs Linux 6.1 (DEFER_TASKRUN), --simple needs 5.6.

#include <arpa/inet.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cassert>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::string_view location_prefix = "https://localhost/";
// nginx's 301 page with server_tokens off is 162 bytes; ringway answers with the same size.
constexpr size_t response_body_bytes = 162;
constexpr int listen_backlog = 4096;
constexpr unsigned submission_entries = 256;
// Multishot operations post many completions per submission: give the CQ room to spare.
constexpr unsigned completion_entries = 4096;
// Fixed-file slots in the default mode, file descriptors with a receive buffer in --simple.
constexpr unsigned connections_max = 4096;
// A power of two (the kernel requires it); far more than 64 connections keep in flight.
constexpr unsigned receive_buffer_count = 1024;
constexpr unsigned receive_buffer_bytes = 2048;
constexpr uint16_t receive_buffer_group = 0;

struct Options {
  std::string address = "127.0.0.1";
  uint16_t port = 8080;
  size_t location_bytes = location_prefix.size();
  bool simple = false;
};

// user_data: the operation in the top byte, the fixed-file index (or fd) in the low 32 bits.
enum class Operation : uint64_t { accept = 1, recv = 2, send = 3, close = 4 };

uint64_t encode_user_data(Operation operation, uint32_t id) {
  return (static_cast<uint64_t>(operation) << 56) | id;
}
Operation operation_of(const io_uring_cqe& cqe) {
  return static_cast<Operation>(cqe.user_data >> 56);
}
uint32_t id_of(const io_uring_cqe& cqe) {
  return static_cast<uint32_t>(cqe.user_data);
}

[[noreturn]] void fail(const char* what, int error_number, const char* hint = nullptr) {
  std::fprintf(stderr, "floor_responder: %s: %s%s%s\n", what, std::strerror(error_number),
               hint != nullptr ? "; " : "", hint != nullptr ? hint : "");
  std::exit(1);
}

std::string build_response(size_t location_bytes) {
  std::string location(location_prefix);
  location.append(location_bytes - location_prefix.size(), 'x');
  std::string response =
      "HTTP/1.1 301 Moved Permanently\r\n"
      "Server: ringway\r\n"
      "Date: Wed, 25 Nov 2026 22:51:55 GMT\r\n"
      "Content-Type: text/html\r\n"
      "Content-Length: 162\r\n"
      "Connection: keep-alive\r\n"
      "Location: ";
  response += location;
  response += "\r\n\r\n";
  response.append(response_body_bytes, 'x');
  return response;
}

int open_listener(const Options& options) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(options.port);
  if (inet_pton(AF_INET, options.address.c_str(), &address.sin_addr) != 1) {
    fail("--address must be an IPv4 address", EINVAL);
  }
  const int listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd < 0) fail("socket", errno);
  const int enable = 1;
  setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &enable, sizeof(enable));
  // Accepted sockets inherit TCP_NODELAY; direct-accepted ones have no fd to set it on.
  setsockopt(listen_fd, IPPROTO_TCP, TCP_NODELAY, &enable, sizeof(enable));
  if (bind(listen_fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    fail("bind", errno);
  }
  if (listen(listen_fd, listen_backlog) != 0) fail("listen", errno);
  return listen_fd;
}

// One submit per turn, then every completion that is there, released to the kernel at once.
template <typename Responder>
[[noreturn]] void run_event_loop(io_uring& ring, Responder& responder) {
  for (;;) {
    responder.before_submit();
    const int result = io_uring_submit_and_wait(&ring, 1);
    if (result < 0 && result != -EINTR) fail("io_uring_submit_and_wait", -result);
    unsigned head = 0;
    unsigned reaped = 0;
    io_uring_cqe* cqe = nullptr;
    io_uring_for_each_cqe(&ring, head, cqe) {
      responder.on_completion(*cqe);
      ++reaped;
    }
    io_uring_cq_advance(&ring, reaped);
  }
}

// Returns a free submission entry. The queue is sized so it does not fill with 64 connections;
// if it does, submitting early is the only way on (the one exception to one submit per turn).
template <typename Responder>
io_uring_sqe* next_sqe(io_uring& ring, Responder& responder) {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring);
  if (sqe != nullptr) return sqe;
  responder.before_submit();
  io_uring_submit(&ring);
  sqe = io_uring_get_sqe(&ring);
  assert(sqe != nullptr);
  return sqe;
}

// Everything io_uring offers to make a request cheap.
class FastResponder {
 public:
  FastResponder(int listen_fd, std::string_view response)
      : listen_fd_(listen_fd), response_(response) {
    setup_ring();
    setup_buffer_ring();
  }
  FastResponder(const FastResponder&) = delete;
  FastResponder& operator=(const FastResponder&) = delete;
  ~FastResponder() {
    io_uring_queue_exit(&ring_);
    munmap(buffer_ring_, buffer_ring_bytes());
    munmap(buffer_memory_, receive_buffer_count * receive_buffer_bytes);
  }

  [[noreturn]] void run() {
    prep_accept();
    run_event_loop(ring_, *this);
  }

  // Buffers handed back during the turn become visible to the kernel in one store, before
  // the submit that may re-arm receives waiting for them.
  void before_submit() {
    if (buffers_returned_ == 0) return;
    io_uring_buf_ring_advance(buffer_ring_, static_cast<int>(buffers_returned_));
    buffers_returned_ = 0;
  }

  void on_completion(const io_uring_cqe& cqe) {
    switch (operation_of(cqe)) {
      case Operation::accept:
        on_accept(cqe);
        break;
      case Operation::recv:
        on_recv(cqe);
        break;
      // Sends and closes post a completion only on failure (CQE_SKIP_SUCCESS). A failed send
      // means the connection is going away, which its receive reports; nothing to do here.
      case Operation::send:
        break;
      case Operation::close:
        break;
    }
  }

 private:
  void setup_ring() {
    io_uring_params params{};
    // SUBMIT_ALL (5.18): one failing entry does not stop the rest of the batch from being
    // submitted. COOP_TASKRUN (5.19): no interrupt when completions arrive; we enter the
    // kernel every turn anyway. SINGLE_ISSUER (6.0): only this thread submits, so the kernel
    // skips submission-side locking. DEFER_TASKRUN (6.1): completion work runs in a batch
    // inside our wait, not at arbitrary syscall returns. CQSIZE (5.5): see completion_entries.
    params.flags = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN |
                   IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE;
    params.cq_entries = completion_entries;
    int result = io_uring_queue_init_params(submission_entries, &ring_, &params);
    if (result < 0) fail("io_uring_queue_init_params", -result, "needs Linux 6.1; try --simple");
    // Registered ring fd (5.18): io_uring_enter skips looking up and pinning the ring's file.
    result = io_uring_register_ring_fd(&ring_);
    if (result < 0) fail("io_uring_register_ring_fd", -result, "needs Linux 5.18; try --simple");
    // A sparse fixed-file table (5.19) for direct accept: the kernel then skips the fd table
    // and per-operation file reference counting on every recv and send.
    result = io_uring_register_files_sparse(&ring_, connections_max);
    if (result < 0) fail("io_uring_register_files_sparse", -result, "needs Linux 5.19");
  }

  // liburing 2.3 has no io_uring_setup_buf_ring: map the ring ourselves and register it.
  void setup_buffer_ring() {
    void* ring_memory = mmap(nullptr, buffer_ring_bytes(), PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ring_memory == MAP_FAILED) fail("mmap buffer ring", errno);
    buffer_ring_ = static_cast<io_uring_buf_ring*>(ring_memory);
    void* buffer_memory = mmap(nullptr, receive_buffer_count * receive_buffer_bytes,
                               PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buffer_memory == MAP_FAILED) fail("mmap receive buffers", errno);
    buffer_memory_ = static_cast<char*>(buffer_memory);

    // Provided buffer ring (5.19): the kernel picks a buffer only when data arrives, so idle
    // connections hold none and no buffer is named per receive.
    io_uring_buf_reg registration{};
    registration.ring_addr = reinterpret_cast<uint64_t>(buffer_ring_);
    registration.ring_entries = receive_buffer_count;
    registration.bgid = receive_buffer_group;
    const int result = io_uring_register_buf_ring(&ring_, &registration, 0);
    if (result < 0) fail("io_uring_register_buf_ring", -result, "needs Linux 5.19");
    io_uring_buf_ring_init(buffer_ring_);
    for (unsigned buffer_id = 0; buffer_id < receive_buffer_count; ++buffer_id) {
      return_buffer(static_cast<uint16_t>(buffer_id));
    }
    before_submit();
  }

  static size_t buffer_ring_bytes() { return receive_buffer_count * sizeof(io_uring_buf); }

  void return_buffer(uint16_t buffer_id) {
    io_uring_buf_ring_add(buffer_ring_, buffer_memory_ + buffer_id * receive_buffer_bytes,
                          receive_buffer_bytes, buffer_id,
                          io_uring_buf_ring_mask(receive_buffer_count),
                          static_cast<int>(buffers_returned_));
    ++buffers_returned_;
  }

  // Multishot accept (5.19) straight into a free fixed-file slot: one submission serves
  // every connection, and no regular fd is ever created.
  void prep_accept() {
    io_uring_sqe* sqe = next_sqe(ring_, *this);
    io_uring_prep_multishot_accept_direct(sqe, listen_fd_, nullptr, nullptr, 0);
    io_uring_sqe_set_data64(sqe, encode_user_data(Operation::accept, 0));
  }

  // Multishot receive (6.0) from the buffer ring: one submission serves every request.
  void prep_recv(uint32_t file_index) {
    io_uring_sqe* sqe = next_sqe(ring_, *this);
    io_uring_prep_recv_multishot(sqe, static_cast<int>(file_index), nullptr, 0, 0);
    sqe->flags |= IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT;
    sqe->buf_group = receive_buffer_group;
    io_uring_sqe_set_data64(sqe, encode_user_data(Operation::recv, file_index));
  }

  // CQE_SKIP_SUCCESS (5.17): a send that worked posts nothing. A response is a few hundred
  // bytes and a connection has one in flight, so the socket buffer always takes it whole and
  // a short send, which would also be skipped, does not happen here.
  void prep_send(uint32_t file_index) {
    io_uring_sqe* sqe = next_sqe(ring_, *this);
    io_uring_prep_send(sqe, static_cast<int>(file_index), response_.data(), response_.size(),
                       MSG_NOSIGNAL);
    sqe->flags |= IOSQE_FIXED_FILE | IOSQE_CQE_SKIP_SUCCESS;
    io_uring_sqe_set_data64(sqe, encode_user_data(Operation::send, file_index));
  }

  // close_direct (5.15) frees the fixed-file slot for the next accept.
  void prep_close(uint32_t file_index) {
    io_uring_sqe* sqe = next_sqe(ring_, *this);
    io_uring_prep_close_direct(sqe, file_index);
    sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
    io_uring_sqe_set_data64(sqe, encode_user_data(Operation::close, file_index));
  }

  void on_accept(const io_uring_cqe& cqe) {
    if (cqe.res == -EINVAL) fail("multishot accept", EINVAL, "needs Linux 5.19; try --simple");
    if (cqe.res >= 0) prep_recv(static_cast<uint32_t>(cqe.res));
    // Errors (a full fixed-file table: -ENFILE) and overflow end the multishot: re-arm.
    if ((cqe.flags & IORING_CQE_F_MORE) == 0) prep_accept();
  }

  void on_recv(const io_uring_cqe& cqe) {
    const uint32_t file_index = id_of(cqe);
    if (cqe.res > 0) {
      assert((cqe.flags & IORING_CQE_F_BUFFER) != 0);
      return_buffer(static_cast<uint16_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT));
      prep_send(file_index);
      if ((cqe.flags & IORING_CQE_F_MORE) == 0) prep_recv(file_index);
      return;
    }
    // The ring ran dry: the data is still in the socket. Buffers go back before the submit
    // that carries this re-arm (before_submit).
    if (cqe.res == -ENOBUFS) return prep_recv(file_index);
    if (cqe.res == -EINVAL) fail("multishot recv", EINVAL, "needs Linux 6.0; try --simple");
    prep_close(file_index);  // 0: the peer closed; any other error ends the connection too.
  }

  io_uring ring_{};
  io_uring_buf_ring* buffer_ring_ = nullptr;
  char* buffer_memory_ = nullptr;
  unsigned buffers_returned_ = 0;
  int listen_fd_;
  std::string_view response_;
};

// The plain approach: regular fds, one accept and one recv submitted per event, every
// operation posts a completion, the ring is set up with no flags.
class SimpleResponder {
 public:
  SimpleResponder(int listen_fd, std::string_view response)
      : receive_buffers_(connections_max), listen_fd_(listen_fd), response_(response) {
    const int result = io_uring_queue_init(submission_entries, &ring_, 0);
    if (result < 0) fail("io_uring_queue_init", -result);
  }
  SimpleResponder(const SimpleResponder&) = delete;
  SimpleResponder& operator=(const SimpleResponder&) = delete;
  ~SimpleResponder() { io_uring_queue_exit(&ring_); }

  [[noreturn]] void run() {
    prep_accept();
    run_event_loop(ring_, *this);
  }

  void before_submit() {}

  void on_completion(const io_uring_cqe& cqe) {
    switch (operation_of(cqe)) {
      case Operation::accept:
        on_accept(cqe);
        break;
      case Operation::recv:
        on_recv(cqe);
        break;
      // A failed or short send means the peer is going away; its receive reports that.
      case Operation::send:
        break;
      case Operation::close:
        break;
    }
  }

 private:
  using ReceiveBuffer = std::array<char, receive_buffer_bytes>;

  void prep_accept() {
    io_uring_sqe* sqe = next_sqe(ring_, *this);
    io_uring_prep_accept(sqe, listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    io_uring_sqe_set_data64(sqe, encode_user_data(Operation::accept, 0));
  }

  void prep_recv(int fd) {
    io_uring_sqe* sqe = next_sqe(ring_, *this);
    ReceiveBuffer& buffer = receive_buffers_[static_cast<size_t>(fd)];
    io_uring_prep_recv(sqe, fd, buffer.data(), buffer.size(), 0);
    io_uring_sqe_set_data64(sqe, encode_user_data(Operation::recv, static_cast<uint32_t>(fd)));
  }

  void prep_send(int fd) {
    io_uring_sqe* sqe = next_sqe(ring_, *this);
    io_uring_prep_send(sqe, fd, response_.data(), response_.size(), MSG_NOSIGNAL);
    io_uring_sqe_set_data64(sqe, encode_user_data(Operation::send, static_cast<uint32_t>(fd)));
  }

  void prep_close(int fd) {
    io_uring_sqe* sqe = next_sqe(ring_, *this);
    io_uring_prep_close(sqe, fd);
    io_uring_sqe_set_data64(sqe, encode_user_data(Operation::close, static_cast<uint32_t>(fd)));
  }

  void on_accept(const io_uring_cqe& cqe) {
    prep_accept();
    if (cqe.res < 0) return;
    // The buffers are allocated once: growing them would move memory that receives in
    // flight are writing into.
    if (static_cast<size_t>(cqe.res) >= receive_buffers_.size()) return prep_close(cqe.res);
    prep_recv(cqe.res);
  }

  void on_recv(const io_uring_cqe& cqe) {
    const auto fd = static_cast<int>(id_of(cqe));
    if (cqe.res <= 0) return prep_close(fd);
    prep_send(fd);
    prep_recv(fd);
  }

  io_uring ring_{};
  std::vector<ReceiveBuffer> receive_buffers_;
  int listen_fd_;
  std::string_view response_;
};

void print_usage() {
  std::fprintf(stderr,
               "usage: floor_responder [--port P] [--address IPV4] [--location-bytes N] "
               "[--simple]\n"
               "  --location-bytes N  length of the Location value (at least %zu)\n"
               "  --simple            regular fds, one recv per request, no ring flags\n",
               location_prefix.size());
}

unsigned long parse_number(const char* text, unsigned long maximum) {
  char* end = nullptr;
  errno = 0;
  const unsigned long value = std::strtoul(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value > maximum) {
    print_usage();
    std::exit(2);
  }
  return value;
}

Options parse_options(int argc, char** argv) {
  Options options;
  for (int index = 1; index < argc; ++index) {
    const std::string_view argument = argv[index];
    const bool has_value = index + 1 < argc;
    if (argument == "--simple") {
      options.simple = true;
    } else if (argument == "--port" && has_value) {
      options.port = static_cast<uint16_t>(parse_number(argv[++index], 65535));
    } else if (argument == "--address" && has_value) {
      options.address = argv[++index];
    } else if (argument == "--location-bytes" && has_value) {
      options.location_bytes = parse_number(argv[++index], 8192);
    } else {
      print_usage();
      std::exit(argument == "--help" ? 0 : 2);
    }
  }
  if (options.location_bytes < location_prefix.size()) {
    print_usage();
    std::exit(2);
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse_options(argc, argv);
  // Sends pass MSG_NOSIGNAL already; this covers anything that does not.
  std::signal(SIGPIPE, SIG_IGN);
  const std::string response = build_response(options.location_bytes);
  const int listen_fd = open_listener(options);
  std::fprintf(stderr, "floor_responder: %s mode on %s:%u, %zu-byte response\n",
               options.simple ? "simple" : "fast", options.address.c_str(), options.port,
               response.size());
  // SIGTERM ends the process; the kernel releases the ring, its files and the buffers.
  if (options.simple) {
    SimpleResponder responder(listen_fd, response);
    responder.run();
  }
  FastResponder responder(listen_fd, response);
  responder.run();
}
