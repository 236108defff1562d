#include "ringway/io/ring.h"

#include <cassert>
#include <cstring>
#include <string>

namespace ringway::io {

Ring::~Ring() {
  if (open_) io_uring_queue_exit(&ring_);
}

std::string Ring::open(unsigned entries) {
  io_uring_params params{};
  // SINGLE_ISSUER (6.0) and DEFER_TASKRUN (6.1): only this thread touches the
  // ring, and completion work runs when we wait instead of interrupting us.
  // COOP_TASKRUN (5.19) avoids IPIs; SUBMIT_ALL (5.18) keeps going past a bad SQE.
  params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
                 IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL;
  params.cq_entries = entries * 4;
  params.flags |= IORING_SETUP_CQSIZE;
  int result = io_uring_queue_init_params(entries, &ring_, &params);
  if (result == -EINVAL) {
    params = io_uring_params{};
    params.flags = IORING_SETUP_CQSIZE;
    params.cq_entries = entries * 4;
    result = io_uring_queue_init_params(entries, &ring_, &params);
  } else {
    features_.single_issuer_defer_taskrun = true;
  }
  if (result < 0) {
    return std::string("io_uring_setup failed: ") + std::strerror(-result) +
           (result == -EPERM ? " (is kernel.io_uring_disabled set?)" : "");
  }
  open_ = true;
  // 5.18: a registered ring fd saves an fget/fput on every io_uring_enter.
  features_.registered_ring_fd = io_uring_register_ring_fd(&ring_) == 1;
  return {};
}

io_uring_sqe* Ring::next_submission(Operation operation) {
  io_uring_sqe* submission = io_uring_get_sqe(&ring_);
  if (submission == nullptr) {
    io_uring_submit(&ring_);
    early_submit_ = true;
    submission = io_uring_get_sqe(&ring_);
    // Only a completion queue that overflowed refuses submissions; it is sized
    // four times the submission queue so that this does not happen.
    assert(submission != nullptr && "io_uring submission queue stuck full");
  }
  io_uring_sqe_set_data64(submission, operation.pack());
  return submission;
}

int Ring::submit_and_wait(unsigned wait_count, std::uint64_t timeout_ms) {
  __kernel_timespec timeout{};
  timeout.tv_sec = static_cast<long long>(timeout_ms / 1000);
  timeout.tv_nsec = static_cast<long long>((timeout_ms % 1000) * 1000000);
  io_uring_cqe* completion = nullptr;
  int result = io_uring_submit_and_wait_timeout(&ring_, &completion, wait_count, &timeout, nullptr);
  if (result == -ETIME || result == -EINTR) return 0;
  return result < 0 ? result : 0;
}

std::string probe_kernel_support() {
  io_uring_probe* probe = io_uring_get_probe();
  if (probe == nullptr) return "io_uring is not available (kernel too old or io_uring_disabled)";
  struct Needed {
    int opcode;
    const char* name;
  };
  static constexpr Needed needed[] = {
      {IORING_OP_ACCEPT, "accept"},
      {IORING_OP_RECV, "recv"},
      {IORING_OP_SEND, "send"},
      {IORING_OP_OPENAT2, "openat2"},
      {IORING_OP_READ, "read"},
      {IORING_OP_CLOSE, "close"},
      {IORING_OP_WRITE, "write"},
      {IORING_OP_ASYNC_CANCEL, "async_cancel"},
      {IORING_OP_PROVIDE_BUFFERS, "provided buffers"},
  };
  std::string missing;
  for (const Needed& item : needed) {
    if (!io_uring_opcode_supported(probe, item.opcode)) {
      missing += missing.empty() ? "" : ", ";
      missing += item.name;
    }
  }
  io_uring_free_probe(probe);
  if (!missing.empty()) return "this kernel's io_uring lacks: " + missing + " (need Linux 6.0+)";
  return {};
}

}  // namespace ringway::io
