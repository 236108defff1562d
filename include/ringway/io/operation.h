#pragma once
// What a completion is for, packed into the 64-bit user_data of its submission:
// the kind of operation, the connection slot it belongs to, and that slot's
// generation, so a late completion for a slot that was reused is recognised.

#include <cstdint>

namespace ringway::io {

enum class OperationKind : std::uint8_t {
  ignored = 0,  // completions nobody waits for (cancels, log writes that failed)
  accept,
  receive,
  send,
  file_open,
  file_read,
  file_close,
  socket_close,
  wake,
  log_write,
  connect,
  dns_poll,  // control loop: slot is the fd, generation counts the fd's watch changes
};

struct Operation {
  OperationKind kind = OperationKind::ignored;
  std::uint32_t slot = 0;  // 24 bits used
  std::uint32_t generation = 0;

  constexpr std::uint64_t pack() const {
    return (static_cast<std::uint64_t>(kind) << 56) |
           (static_cast<std::uint64_t>(slot & 0xFFFFFFu) << 32) | generation;
  }
  static constexpr Operation unpack(std::uint64_t user_data) {
    return Operation{static_cast<OperationKind>(user_data >> 56),
                     static_cast<std::uint32_t>((user_data >> 32) & 0xFFFFFFu),
                     static_cast<std::uint32_t>(user_data)};
  }
};

}  // namespace ringway::io
