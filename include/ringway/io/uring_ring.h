#pragma once
// The real ring: one io_uring per thread with its provided receive buffers and
// a wake-up eventfd. The only header that includes liburing.

#include <liburing.h>

#include <cstdint>
#include <string>

#include "ringway/io/buffer_ring.h"
#include "ringway/io/ring.h"

namespace ringway::io {

struct UringRingSettings {
  unsigned entries = 4096;
  std::uint32_t receive_buffer_count = 0;  // a power of two; 0: no provided buffers
  std::uint32_t receive_buffer_bytes = 4096;
};

class UringRing final : public Ring {
 public:
  UringRing() = default;
  ~UringRing() override;

  // Sets up the ring on the calling thread (with SINGLE_ISSUER only that thread
  // may submit). Returns an empty string on success, else a message for people.
  std::string open(const UringRingSettings& settings);

  void prep_accept_multishot(Operation operation, int listen_fd) override;
  void prep_receive_multishot(Operation operation, int fd) override;
  void prep_receive_one_buffer(Operation operation, int fd) override;
  void prep_receive_into(Operation operation, int fd, std::span<char> area) override;
  void prep_send(Operation operation, int fd, const char* data, std::uint32_t bytes) override;
  void prep_connect(Operation operation, int fd, const sockaddr* address,
                    socklen_t length) override;
  void prep_open_beneath(Operation operation, int directory_fd, const char* path,
                         const open_how* how) override;
  void prep_read(Operation operation, int fd, char* data, std::uint32_t bytes,
                 std::uint64_t offset) override;
  void prep_write(Operation operation, int fd, const char* data, std::uint32_t bytes,
                  std::uint64_t offset) override;
  void prep_close(Operation operation, int fd) override;
  void prep_cancel_and_close(Operation operation, int fd) override;
  void prep_cancel(Operation target) override;
  void prep_poll(Operation operation, int fd, unsigned events, bool multishot) override;
  void prep_poll_remove(Operation target) override;
  void prep_wake_wait(Operation operation) override;
  void wake() override;

  int submit_and_wait(unsigned wait_count, std::uint64_t timeout_ms) override;
  bool take_early_submit() override {
    bool early = early_submit_;
    early_submit_ = false;
    return early;
  }

  std::string_view receive_buffer(std::uint16_t buffer_id, std::size_t length) const override {
    return receive_buffers_.data(buffer_id, length);
  }
  void recycle_buffer(std::uint16_t buffer_id) override { receive_buffers_.recycle(buffer_id); }
  std::uint32_t receive_buffer_count() const override { return receive_buffer_count_; }

  int open_stream_socket(int family) override;
  void shutdown_write(int fd) override;
  void close_now(int fd) override;
  void reset_on_close(int fd) override;
  void peer_address(int fd, std::span<char> text) override;

  std::uint64_t now_ms() override;
  std::int64_t now_unix_ns() override;

 private:
  bool next_completion(Completion& completion) override;
  // A submission slot; flushes the queue to the kernel first if it is full.
  io_uring_sqe* next_submission(Operation operation);

  io_uring ring_{};
  bool open_ = false;
  bool early_submit_ = false;
  BufferRing receive_buffers_;
  std::uint32_t receive_buffer_count_ = 0;
  int wake_fd_ = -1;
  std::uint64_t wake_value_ = 0;
};

}  // namespace ringway::io
