#pragma once
// One io_uring per worker thread. The only module that includes liburing.

#include <liburing.h>

#include <cstdint>
#include <string>

#include "ringway/io/operation.h"

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
  ~Ring();

  // Sets up the ring on the calling thread (with SINGLE_ISSUER only that thread
  // may submit). Returns an empty string on success, else a message for people.
  std::string open(unsigned entries);

  // A submission slot; flushes the queue to the kernel first if it is full.
  io_uring_sqe* next_submission(Operation operation);

  // Submits everything queued and waits for at least wait_count completions or
  // the timeout: exactly one io_uring_enter. Returns a negative errno on failure.
  int submit_and_wait(unsigned wait_count, std::uint64_t timeout_ms);

  // True once after next_submission had to submit early because the queue was full.
  bool take_early_submit() {
    bool early = early_submit_;
    early_submit_ = false;
    return early;
  }

  io_uring* raw() { return &ring_; }
  const RingFeatures& features() const { return features_; }

 private:
  io_uring ring_{};
  bool open_ = false;
  bool early_submit_ = false;
  RingFeatures features_;
};

// Checks that this kernel has every io_uring operation ringway uses. Returns an
// empty string when it does, else one line naming what is missing.
std::string probe_kernel_support();

}  // namespace ringway::io
