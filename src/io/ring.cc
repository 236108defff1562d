#include "ringway/io/ring.h"

#include <liburing.h>

#include <string>

namespace ringway::io {

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
