#include "resolver_polls.h"

#include <poll.h>

namespace ringway::control {

namespace {

io::Operation poll_operation(int fd, std::uint32_t generation) {
  return {io::OperationKind::dns_poll, static_cast<std::uint32_t>(fd), generation};
}

}  // namespace

void ResolverPolls::arm(int fd, bool readable, bool writable) {
  Watch& watch = watches_[fd];
  unsigned events = (readable ? POLLIN : 0) | (writable ? POLLOUT : 0);
  ring_.prep_poll(poll_operation(fd, watch.generation), fd, events, false);
  watch.armed = true;
}

void ResolverPolls::apply_changes() {
  for (const dns::PollRequest& change : resolver_.take_poll_changes()) {
    Watch& watch = watches_[change.fd];
    if (watch.armed) {
      // c-ares may close a socket and get the same number back: the old poll's
      // completion carries the old generation and is dropped.
      ring_.prep_poll_remove(poll_operation(change.fd, watch.generation));
      watch.armed = false;
    }
    ++watch.generation;
    if (change.readable || change.writable) {
      arm(change.fd, change.readable, change.writable);
    } else {
      watches_.erase(change.fd);
    }
  }
}

void ResolverPolls::on_completion(const io::Completion& completion, std::uint64_t now_ms) {
  io::Operation operation = completion.operation;
  int fd = static_cast<int>(operation.slot);
  auto found = watches_.find(fd);
  if (found == watches_.end() || found->second.generation != operation.generation) return;
  found->second.armed = false;
  if (completion.outcome() != io::Outcome::done) return;  // cancelled: a newer watch replaced it
  unsigned events = completion.value();
  if (events & (POLLIN | POLLERR | POLLHUP)) resolver_.on_readable(fd, now_ms);
  if (events & POLLOUT) resolver_.on_writable(fd, now_ms);
  apply_changes();
  // One-shot polls: re-arm while c-ares still wants the socket (level-triggered).
  found = watches_.find(fd);
  if (found == watches_.end() || found->second.armed) return;
  if (std::optional<dns::PollRequest> wanted = resolver_.wanted(fd)) {
    if (wanted->readable || wanted->writable) arm(fd, wanted->readable, wanted->writable);
  }
}

}  // namespace ringway::control
