#pragma once
// At most one line per interval for an error that repeats per request (an
// upstream that refuses during a deploy): the first is written at once, the
// rest are counted and the count rides on the next line that is written.

#include <cstdint>

namespace ringway::log {

class RateLimit {
 public:
  explicit RateLimit(std::uint64_t interval_ms = 1000) : interval_ms_(interval_ms) {}

  // Whether a line may be written now; when not, it is counted as suppressed.
  bool allow(std::uint64_t now_ms) {
    if (written_ && now_ms < last_ms_ + interval_ms_) {
      ++suppressed_;
      return false;
    }
    written_ = true;
    last_ms_ = now_ms;
    return true;
  }

  // Lines suppressed since the last one written; resets the count.
  std::uint64_t take_suppressed() {
    std::uint64_t count = suppressed_;
    suppressed_ = 0;
    return count;
  }

 private:
  std::uint64_t interval_ms_;
  std::uint64_t last_ms_ = 0;
  std::uint64_t suppressed_ = 0;
  bool written_ = false;
};

}  // namespace ringway::log
