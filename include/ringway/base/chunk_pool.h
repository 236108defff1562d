#pragma once
// Fixed-size byte chunks recycled through a free list, so the steady state
// allocates nothing and an idle connection holds no chunk at all.

#include <cstddef>
#include <memory>
#include <vector>

namespace ringway::base {

class ChunkPool {
 public:
  explicit ChunkPool(std::size_t chunk_bytes) : chunk_bytes_(chunk_bytes) {}
  ChunkPool(const ChunkPool&) = delete;
  ChunkPool& operator=(const ChunkPool&) = delete;

  std::size_t chunk_bytes() const { return chunk_bytes_; }

  char* take() {
    if (free_.empty()) {
      // Not zero-filled: a chunk is written before it is read, and zeroing would make
      // every page of it resident at once.
      owned_.push_back(std::make_unique_for_overwrite<char[]>(chunk_bytes_));
      return owned_.back().get();
    }
    char* chunk = free_.back();
    free_.pop_back();
    return chunk;
  }
  void give_back(char* chunk) { free_.push_back(chunk); }

 private:
  std::size_t chunk_bytes_;
  std::vector<std::unique_ptr<char[]>> owned_;
  std::vector<char*> free_;
};

}  // namespace ringway::base
