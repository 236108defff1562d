#pragma once
// The ring a worker or the control loop drives: typed prep_* calls queue
// operations, submit_and_wait is the one system call per loop turn, and
// completions come back as Completion values with their result classified.
// This is an interface so that a deterministic fake (tests/io/fake_ring.h) can
// drive the whole data plane without sockets; uring_ring.h is the real one,
// and the only place that includes liburing.

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "ringway/io/completion.h"
#include "ringway/io/operation.h"

struct open_how;

namespace ringway::io {

struct RingFeatures {
  bool single_issuer_defer_taskrun = false;  // 6.1: completions run only when we wait
  bool registered_ring_fd = false;           // 5.18: io_uring_enter skips the fd lookup
};

class Ring {
 public:
  Ring() = default;
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;
  virtual ~Ring() = default;

  // Multishot accept (5.19): one submission keeps producing connections until
  // a completion without `more`.
  virtual void prep_accept_multishot(Operation operation, int listen_fd) = 0;
  // Multishot receive (6.0) into the ring's provided receive buffers: the
  // kernel picks a buffer only when bytes arrive, so an idle connection pins none.
  virtual void prep_receive_multishot(Operation operation, int fd) = 0;
  // One receive into one provided buffer: for bulk senders, so pausing them is exact.
  virtual void prep_receive_one_buffer(Operation operation, int fd) = 0;
  // One receive straight into memory the caller keeps valid until it completes.
  virtual void prep_receive_into(Operation operation, int fd, std::span<char> area) = 0;
  virtual void prep_send(Operation operation, int fd, const char* data, std::uint32_t bytes) = 0;
  virtual void prep_connect(Operation operation, int fd, const sockaddr* address,
                            socklen_t length) = 0;
  // openat2 (5.6) relative to directory_fd; path and how stay valid until it completes.
  virtual void prep_open_beneath(Operation operation, int directory_fd, const char* path,
                                 const open_how* how) = 0;
  virtual void prep_read(Operation operation, int fd, char* data, std::uint32_t bytes,
                         std::uint64_t offset) = 0;
  // Offset -1 writes at the file position, so O_APPEND files and pipes both work (5.6).
  virtual void prep_write(Operation operation, int fd, const char* data, std::uint32_t bytes,
                          std::uint64_t offset) = 0;
  virtual void prep_close(Operation operation, int fd) = 0;
  // Cancels every operation on fd, then closes it (a hard link, so the close
  // runs whatever the cancel found): a multishot receive holds the socket open.
  virtual void prep_cancel_and_close(Operation operation, int fd) = 0;
  // Cancels the operation tagged `target` (its completion says -ECANCELED).
  virtual void prep_cancel(Operation target) = 0;
  virtual void prep_poll(Operation operation, int fd, unsigned events, bool multishot) = 0;
  virtual void prep_poll_remove(Operation target) = 0;
  // A completion tagged `operation` once wake() is called, from any thread.
  virtual void prep_wake_wait(Operation operation) = 0;
  virtual void wake() = 0;

  // Submits everything queued and waits for at least wait_count completions or
  // the timeout: exactly one io_uring_enter. Returns 0 or a negative errno.
  virtual int submit_and_wait(unsigned wait_count, std::uint64_t timeout_ms) = 0;
  // Hands each completion that is ready to on_completion, in order, then
  // releases them. Returns how many there were.
  template <typename OnCompletion>
  unsigned for_each_completion(OnCompletion&& on_completion) {
    unsigned count = 0;
    Completion completion;
    while (next_completion(completion)) {
      on_completion(completion);
      ++count;
    }
    return count;
  }
  // True once after a prep_* had to submit early because the queue was full.
  virtual bool take_early_submit() = 0;

  // The provided receive buffers a receive completion names.
  virtual std::string_view receive_buffer(std::uint16_t buffer_id, std::size_t length) const = 0;
  // Hands a buffer back; the kernel sees it after the next submit_and_wait.
  virtual void recycle_buffer(std::uint16_t buffer_id) = 0;
  virtual std::uint32_t receive_buffer_count() const = 0;

  // Direct calls that are no ring operation, here so that the fake can stand in.
  // A new non-blocking TCP socket, or a negative errno.
  virtual int open_stream_socket(int family) = 0;
  // shutdown(SHUT_WR) at once: through the ring it would run in a kernel worker
  // that looks the descriptor up late, when it may belong to a new connection.
  virtual void shutdown_write(int fd) = 0;
  // close(2) at once, for a descriptor no operation uses (a refused accept).
  virtual void close_now(int fd) = 0;
  // The socket's last close sends a reset, not a FIN (SO_LINGER of zero): how a
  // peer learns that a response whose end is the close was cut.
  virtual void reset_on_close(int fd) = 0;
  // "127.0.0.1" or "::1" for a connected socket's peer, into text; empty when unknown.
  virtual void peer_address(int fd, std::span<char> text) = 0;

  virtual std::uint64_t now_ms() = 0;      // monotonic
  virtual std::int64_t now_unix_ns() = 0;  // wall clock, for logs and Date

  const RingFeatures& features() const { return features_; }

 protected:
  virtual bool next_completion(Completion& completion) = 0;
  RingFeatures features_;
};

// Checks that this kernel has every io_uring operation ringway uses. Returns an
// empty string when it does, else one line naming what is missing.
std::string probe_kernel_support();

}  // namespace ringway::io
