#pragma once
// A caller-owned, fixed-capacity byte area that writers append to. Nothing
// is allocated; a writer that does not fit leaves size as it was.

#include <cstddef>

namespace ringway::base {

// Bytes [0, size) are queued; capacity is the end.
struct OutputArea {
  char* data = nullptr;
  std::size_t size = 0;
  std::size_t capacity = 0;
};

}  // namespace ringway::base
