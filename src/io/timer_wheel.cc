#include "ringway/io/timer_wheel.h"

#include <algorithm>
#include <cassert>

namespace ringway::io {

TimerWheel::TimerWheel(std::uint64_t now_ms, std::uint32_t tick_ms, std::size_t slot_count)
    : tick_ms_(tick_ms), current_tick_(now_ms / tick_ms), slots_(slot_count) {
  assert(tick_ms > 0 && slot_count > 1);
  for (TimerNode& head : slots_) {
    head.previous = &head;
    head.next = &head;
  }
}

void TimerWheel::schedule(TimerNode& node, std::uint64_t deadline_ms) {
  cancel(node);
  node.deadline_ms = deadline_ms;
  // A deadline beyond one turn of the wheel lands in the farthest slot and is
  // rescheduled by its owner when that slot fires.
  std::uint64_t tick = std::max(deadline_ms / tick_ms_, current_tick_);
  tick = std::min<std::uint64_t>(tick, current_tick_ + slots_.size() - 1);
  TimerNode& head = slots_[tick % slots_.size()];
  node.previous = head.previous;
  node.next = &head;
  head.previous->next = &node;
  head.previous = &node;
}

void TimerWheel::cancel(TimerNode& node) {
  if (!node.linked()) return;
  node.previous->next = node.next;
  node.next->previous = node.previous;
  node.previous = nullptr;
  node.next = nullptr;
}

std::uint64_t TimerWheel::milliseconds_to_next_tick(std::uint64_t now_ms) const {
  std::uint64_t next_ms = (current_tick_ + 1) * tick_ms_;
  return next_ms > now_ms ? next_ms - now_ms : 0;
}

}  // namespace ringway::io
