#pragma once
// A hashed timer wheel for connection timeouts. Nodes are intrusive, so
// scheduling allocates nothing. Expiry is coarse (one tick); a node whose
// deadline moved later is simply rescheduled by its owner when it fires.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ringway::io {

struct TimerNode {
  TimerNode* previous = nullptr;
  TimerNode* next = nullptr;
  std::uint64_t deadline_ms = 0;
  std::uint32_t owner = 0;  // the connection slot, for the expiry callback
  bool linked() const { return previous != nullptr; }
};

class TimerWheel {
 public:
  TimerWheel(std::uint64_t now_ms, std::uint32_t tick_ms, std::size_t slot_count);

  // Links node to fire at or after deadline_ms (relinking it if already linked).
  void schedule(TimerNode& node, std::uint64_t deadline_ms);
  static void cancel(TimerNode& node);

  // Unlinks and hands to on_expired every node whose tick has passed by now_ms.
  // The callback decides whether the deadline really passed and may reschedule.
  template <typename OnExpired>
  void advance(std::uint64_t now_ms, OnExpired&& on_expired) {
    while (current_tick_ * tick_ms_ + tick_ms_ <= now_ms) {
      TimerNode& head = slots_[current_tick_ % slots_.size()];
      while (head.next != &head) {
        TimerNode* node = head.next;
        cancel(*node);
        on_expired(*node);
      }
      ++current_tick_;
    }
  }

  // Milliseconds until the next tick boundary, for the ring's wait timeout.
  std::uint64_t milliseconds_to_next_tick(std::uint64_t now_ms) const;

 private:
  std::uint32_t tick_ms_;
  std::uint64_t current_tick_;
  std::vector<TimerNode> slots_;  // each a circular list head
};

}  // namespace ringway::io
