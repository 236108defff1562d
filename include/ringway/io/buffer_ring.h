#pragma once
// A provided-buffer ring: the kernel picks a buffer when data arrives, so an
// idle connection pins no receive memory. liburing 2.3 has no
// io_uring_setup_buf_ring, so the ring memory is mapped here.

#include <liburing.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ringway::io {

class BufferRing {
 public:
  BufferRing() = default;
  BufferRing(const BufferRing&) = delete;
  BufferRing& operator=(const BufferRing&) = delete;
  ~BufferRing() { close(); }

  // Registers buffer_count buffers (a power of two) of buffer_bytes each with
  // the ring under group_id. Returns an empty string or a message for people.
  std::string open(io_uring* ring, std::uint16_t group_id, std::uint32_t buffer_count,
                   std::uint32_t buffer_bytes);

  std::uint16_t group_id() const { return group_id_; }
  std::string_view data(std::uint16_t buffer_id, std::size_t length) const {
    return {memory_ + static_cast<std::size_t>(buffer_id) * buffer_bytes_, length};
  }
  // Hands a buffer back to the kernel; visible to it after the next publish().
  void recycle(std::uint16_t buffer_id);
  void publish();
  // Unregisters and unmaps; the ring must still be open.
  void close();

 private:
  io_uring* ring_ = nullptr;
  io_uring_buf_ring* buffers_ = nullptr;
  char* memory_ = nullptr;
  std::size_t ring_bytes_ = 0;
  std::uint32_t buffer_count_ = 0;
  std::uint32_t buffer_bytes_ = 0;
  std::uint16_t group_id_ = 0;
  int pending_ = 0;
};

}  // namespace ringway::io
