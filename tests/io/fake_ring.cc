// The fake ring's core: submissions run in order at submit_and_wait, each
// operation then runs as an event on the virtual clock, and its completion
// waits in a ready queue that next_completion may hand out of order.
#include "fake_ring.h"

#include <fcntl.h>
#include <sanitizer/asan_interface.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace ringway::fake {

namespace {

// A multiple of every timer tick, far from zero, the same in every run.
constexpr std::uint64_t clock_start_ms = 1'000'000'000;
constexpr std::int64_t unix_start_ns = 1'767'225'600'000'000'000;  // 2026-01-01
constexpr unsigned char poison_byte = 0xdb;
constexpr std::uint32_t spin_turns_per_ms = 32;

}  // namespace

FakeRing::FakeRing(std::uint64_t seed, const Faults& faults, std::uint32_t buffer_count)
    : random_(seed),
      faults_(faults),
      start_ms_(clock_start_ms),
      now_ms_(clock_start_ms),
      buffer_count_(buffer_count),
      buffer_memory_(new char[std::size_t{buffer_count} * buffer_bytes]),
      buffer_states_(buffer_count, BufferState::free) {
  tracing_ = std::getenv("RINGWAY_FAKE_TRACE") != nullptr;
  null_fd_ = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd_ < 0) fail("cannot open /dev/null");
  links_.emplace_back();  // link 0 is nobody
  // Handed out last in, first out: a recycled buffer is soon reused, so a view
  // the worker kept into it would see other bytes; and few pages are touched.
  for (std::uint32_t id = buffer_count; id-- > 0;) {
    free_buffers_.push_back(static_cast<std::uint16_t>(id));
  }
  // Not lent: unaddressable under ASan (and receive_buffer refuses it anyway).
  ASAN_POISON_MEMORY_REGION(buffer_memory_.get(), std::size_t{buffer_count} * buffer_bytes);
}

FakeRing::~FakeRing() {
  ASAN_UNPOISON_MEMORY_REGION(buffer_memory_.get(), std::size_t{buffer_count_} * buffer_bytes);
  // What the worker never closed it closed in its destructor, or leaked; only
  // the descriptors nobody else knows are closed here.
  for (auto& [fd, entry] : descriptors_) {
    if (entry.kind == FdKind::webroot || entry.kind == FdKind::access_log) close(fd);
  }
  if (null_fd_ >= 0) close(null_fd_);
}

std::uint64_t FakeRing::uniform(std::uint64_t low, std::uint64_t high) {
  if (high <= low) return low;
  return std::uniform_int_distribution<std::uint64_t>(low, high)(random_);
}

bool FakeRing::chance(double probability) {
  if (probability <= 0) return false;
  return std::uniform_real_distribution<double>(0, 1)(random_) < probability;
}

void FakeRing::after(std::uint64_t delay_ms, std::function<void()> action) {
  events_.push({now_ms_ + delay_ms, event_sequence_++, std::move(action)});
}

void FakeRing::set_limits(std::uint64_t turns_max, std::uint64_t elapsed_ms_max) {
  turns_max_ = turns_max;
  elapsed_ms_max_ = elapsed_ms_max;
}

void FakeRing::fail(std::string what) {
  if (failure_.empty()) failure_ = std::move(what);
}

void FakeRing::trace(const char* format, ...) {
  if (!tracing_) return;
  char line[512];
  int length = std::snprintf(line, sizeof line,
                             "fake +%llu ms: ", static_cast<unsigned long long>(elapsed_ms()));
  va_list arguments;
  va_start(arguments, format);
  std::vsnprintf(line + length, sizeof line - static_cast<std::size_t>(length), format, arguments);
  va_end(arguments);
  std::fprintf(stderr, "%s\n", line);
}

std::uint64_t FakeRing::latency() {
  return uniform(0, faults_.latency_ms_max);
}

std::uint64_t FakeRing::submit(Pending pending, std::function<void(std::uint64_t)> run) {
  std::uint64_t serial = next_serial_++;
  pending_.emplace(serial, pending);
  after(latency(), [this, serial, run = std::move(run)] {
    if (pending_.count(serial) != 0) run(serial);
  });
  return serial;
}

void FakeRing::post(const Pending& pending, int result, bool more, std::uint64_t order,
                    int buffer_id) {
  Ready ready;
  ready.completion.operation = pending.operation;
  ready.completion.result = result;
  ready.completion.more = more;
  ready.completion.has_buffer = buffer_id >= 0;
  ready.completion.buffer_id = static_cast<std::uint16_t>(buffer_id < 0 ? 0 : buffer_id);
  ready.order = order;
  ready_.push_back(ready);
  trace("completion kind %d slot %u generation %u result %d%s%s",
        static_cast<int>(pending.operation.kind), pending.operation.slot,
        pending.operation.generation, result, more ? " more" : "",
        buffer_id >= 0 ? (" buffer " + std::to_string(buffer_id)).c_str() : "");
}

// The last completion of an operation: it is no longer in flight.
void FakeRing::finish(std::uint64_t serial, int result, std::uint64_t order) {
  auto found = pending_.find(serial);
  if (found == pending_.end()) return;
  Pending pending = found->second;
  pending_.erase(found);
  post(pending, result, false, order);
  if (pending.link != 0) release_if_idle(pending.link);
}

int FakeRing::submit_and_wait(unsigned wait_count, std::uint64_t timeout_ms) {
  if (++turns_ > turns_max_ || elapsed_ms() > elapsed_ms_max_) {
    fail("the worker is stuck: " + std::to_string(turns_) + " turns, " +
         std::to_string(elapsed_ms()) + " virtual ms");
    return -EIO;
  }
  if (!failure_.empty()) return -EIO;  // stop at the first broken rule, with the state intact
  publish_buffers();
  std::vector<std::function<void()>> submissions;
  submissions.swap(submissions_);
  for (auto& submission : submissions) submission();
  if (on_turn_) on_turn_();
  // A worker that spins (re-arming after ENOBUFS, say) still lets time pass.
  if (now_ms_ != spin_ms_) {
    spin_ms_ = now_ms_;
    spin_turns_ = 0;
  } else if (++spin_turns_ >= spin_turns_per_ms) {
    spin_turns_ = 0;
    spin_ms_ = ++now_ms_;
  }
  std::uint64_t deadline_ms = now_ms_ + timeout_ms;
  for (;;) {
    run_due_events();
    if (ready_.size() >= wait_count) break;
    if (events_.empty() || events_.top().at_ms > deadline_ms) {
      now_ms_ = std::max(now_ms_, deadline_ms);
      break;
    }
    now_ms_ = events_.top().at_ms;  // nothing to do until then: time jumps
  }
  return 0;
}

void FakeRing::run_due_events() {
  while (!events_.empty() && events_.top().at_ms <= now_ms_) {
    std::function<void()> action = std::move(const_cast<Event&>(events_.top()).action);
    events_.pop();
    action();
  }
}

bool FakeRing::next_completion(io::Completion& completion) {
  if (ready_.empty()) return false;
  std::size_t index = 0;
  if (ready_.size() > 1 && chance(faults_.reorder)) {
    std::size_t candidate = uniform(1, ready_.size() - 1);
    std::uint64_t order = ready_[candidate].order;
    bool overtakes_own = false;
    for (std::size_t earlier = 0; earlier < candidate && order != 0; ++earlier) {
      overtakes_own = overtakes_own || ready_[earlier].order == order;
    }
    if (!overtakes_own) index = candidate;
  }
  completion = ready_[index].completion;
  trace("deliver kind %d slot %u result %d%s", static_cast<int>(completion.operation.kind),
        completion.operation.slot, completion.result, index > 0 ? " (reordered)" : "");
  ready_.erase(ready_.begin() + static_cast<std::ptrdiff_t>(index));
  return true;
}

// Buffers recycled since the last submit become free, as a real buffer ring's
// do once published; a squeeze takes every free one away for a few turns.
void FakeRing::publish_buffers() {
  for (std::uint16_t id : recycled_buffers_) {
    buffer_states_[id] = BufferState::free;
    free_buffers_.push_back(id);
  }
  recycled_buffers_.clear();
  if (squeeze_turns_ > 0 && --squeeze_turns_ == 0) {
    for (std::uint16_t id : squeezed_buffers_) {
      buffer_states_[id] = BufferState::free;
      free_buffers_.push_back(id);
    }
    squeezed_buffers_.clear();
  } else if (squeeze_turns_ == 0 && chance(faults_.buffer_squeeze)) {
    squeeze_turns_ = static_cast<std::uint32_t>(uniform(1, 8));
    for (std::uint16_t id : free_buffers_) buffer_states_[id] = BufferState::squeezed;
    squeezed_buffers_.insert(squeezed_buffers_.end(), free_buffers_.begin(), free_buffers_.end());
    free_buffers_.clear();
  }
}

int FakeRing::take_buffer() {
  if (free_buffers_.empty()) return -1;
  std::uint16_t id = free_buffers_.back();
  free_buffers_.pop_back();
  buffer_states_[id] = BufferState::lent;
  ASAN_UNPOISON_MEMORY_REGION(buffer_memory_.get() + std::size_t{id} * buffer_bytes, buffer_bytes);
  return id;
}

std::string_view FakeRing::receive_buffer(std::uint16_t buffer_id, std::size_t length) const {
  if (buffer_id >= buffer_count_ || buffer_states_[buffer_id] != BufferState::lent ||
      length > buffer_bytes) {
    const_cast<FakeRing*>(this)->fail("receive buffer " + std::to_string(buffer_id) +
                                      " read while not lent to the worker");
  }
  return {buffer_memory_.get() + std::size_t{buffer_id} * buffer_bytes, length};
}

void FakeRing::recycle_buffer(std::uint16_t buffer_id) {
  if (buffer_id >= buffer_count_ || buffer_states_[buffer_id] != BufferState::lent) {
    fail("receive buffer " + std::to_string(buffer_id) + " recycled while not lent (twice?)");
    return;
  }
  char* memory = buffer_memory_.get() + std::size_t{buffer_id} * buffer_bytes;
  std::memset(memory, poison_byte, buffer_bytes);
  ASAN_POISON_MEMORY_REGION(memory, buffer_bytes);
  buffer_states_[buffer_id] = BufferState::recycled;
  trace("recycle buffer %u", buffer_id);
  recycled_buffers_.push_back(buffer_id);
}

int FakeRing::new_descriptor(Descriptor entry) {
  int fd = fcntl(null_fd_, F_DUPFD_CLOEXEC, 3);
  if (fd < 0) {
    fail(std::string("dup: ") + std::strerror(errno));
    return -EMFILE;
  }
  descriptors_[fd] = std::move(entry);
  return fd;
}

FakeRing::Descriptor* FakeRing::descriptor(int fd) {
  auto found = descriptors_.find(fd);
  return found == descriptors_.end() ? nullptr : &found->second;
}

void FakeRing::close_descriptor(int fd) {
  descriptors_.erase(fd);
  close(fd);
}

void FakeRing::prep_wake_wait(io::Operation operation) {
  submissions_.push_back([this, operation] {
    if (wake_ != 0) fail("two wake waits armed");
    Pending pending;
    pending.operation = operation;
    pending.kind = Kind::wake;
    std::uint64_t serial = next_serial_++;
    pending_.emplace(serial, pending);
    wake_ = serial;
    if (woken_) wake();
  });
}

void FakeRing::wake() {
  if (wake_ == 0) {
    woken_ = true;  // an eventfd keeps the count until it is read
    return;
  }
  woken_ = false;
  std::uint64_t serial = wake_;
  wake_ = 0;
  finish(serial, 8, 0);
}

void FakeRing::prep_poll(io::Operation operation, int fd, unsigned events, bool multishot) {
  (void)operation, (void)events, (void)multishot;
  fail("poll on fd " + std::to_string(fd) + ": a worker does not poll");
}

void FakeRing::prep_poll_remove(io::Operation target) {
  (void)target;
  fail("poll_remove: a worker does not poll");
}

std::int64_t FakeRing::now_unix_ns() {
  return unix_start_ns + static_cast<std::int64_t>(elapsed_ms()) * 1'000'000;
}

std::string FakeRing::leftovers() const {
  std::string text;
  for (const auto& [serial, pending] : pending_) {
    text += "operation " + std::to_string(static_cast<int>(pending.kind)) + " on slot " +
            std::to_string(pending.operation.slot) + " still in flight; ";
  }
  for (std::uint32_t id = 0; id < buffer_count_; ++id) {
    if (buffer_states_[id] == BufferState::lent) {
      text += "receive buffer " + std::to_string(id) + " never recycled; ";
    }
  }
  for (const auto& [fd, entry] : descriptors_) {
    if (entry.kind == FdKind::link || entry.kind == FdKind::file) {
      text += "descriptor " + std::to_string(fd) + " never closed; ";
    }
  }
  return text;
}

}  // namespace ringway::fake
