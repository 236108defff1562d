#include "ringway/io/buffer_ring.h"

#include <sys/mman.h>

#include <cstring>

namespace ringway::io {

void BufferRing::close() {
  if (buffers_ == nullptr) return;
  io_uring_unregister_buf_ring(ring_, group_id_);
  munmap(buffers_, ring_bytes_);
  munmap(memory_, static_cast<std::size_t>(buffer_count_) * buffer_bytes_);
  buffers_ = nullptr;
}

std::string BufferRing::open(io_uring* ring, std::uint16_t group_id, std::uint32_t buffer_count,
                             std::uint32_t buffer_bytes) {
  ring_ = ring;
  group_id_ = group_id;
  buffer_count_ = buffer_count;
  buffer_bytes_ = buffer_bytes;
  ring_bytes_ = buffer_count * sizeof(io_uring_buf);
  void* ring_memory =
      mmap(nullptr, ring_bytes_, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  void* buffer_memory = mmap(nullptr, static_cast<std::size_t>(buffer_count) * buffer_bytes,
                             PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (ring_memory == MAP_FAILED || buffer_memory == MAP_FAILED) {
    return std::string("cannot map receive buffers: ") + std::strerror(errno);
  }
  buffers_ = static_cast<io_uring_buf_ring*>(ring_memory);
  memory_ = static_cast<char*>(buffer_memory);
  io_uring_buf_reg registration{};
  registration.ring_addr = reinterpret_cast<std::uint64_t>(buffers_);
  registration.ring_entries = buffer_count;
  registration.bgid = group_id;
  int result = io_uring_register_buf_ring(ring, &registration, 0);
  if (result < 0) {
    munmap(buffers_, ring_bytes_);
    munmap(memory_, static_cast<std::size_t>(buffer_count) * buffer_bytes);
    buffers_ = nullptr;
    return std::string("cannot register a provided-buffer ring (needs Linux 5.19+): ") +
           std::strerror(-result);
  }
  io_uring_buf_ring_init(buffers_);
  for (std::uint32_t id = 0; id < buffer_count; ++id) recycle(static_cast<std::uint16_t>(id));
  publish();
  return {};
}

void BufferRing::recycle(std::uint16_t buffer_id) {
  io_uring_buf_ring_add(buffers_, memory_ + static_cast<std::size_t>(buffer_id) * buffer_bytes_,
                        buffer_bytes_, buffer_id, io_uring_buf_ring_mask(buffer_count_),
                        pending_++);
}

void BufferRing::publish() {
  if (pending_ == 0) return;
  io_uring_buf_ring_advance(buffers_, pending_);
  pending_ = 0;
}

}  // namespace ringway::io
