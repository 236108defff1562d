#pragma once
// The monotonic clock in milliseconds, for timers and deadlines.

#include <time.h>

#include <cstdint>

namespace ringway::base {

inline std::uint64_t monotonic_ms() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::uint64_t>(now.tv_sec) * 1000 +
         static_cast<std::uint64_t>(now.tv_nsec) / 1000000;
}

}  // namespace ringway::base
