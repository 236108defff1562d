// The fake ring's byte transfer: receives (multishot into provided buffers,
// one buffer, or into the caller's memory), sends, and cancelling them.
#include <cerrno>
#include <cstring>

#include "fake_ring.h"

namespace ringway::fake {

void FakeRing::prep_receive_multishot(io::Operation operation, int fd) {
  arm_receive(operation, fd, Kind::receive_multishot, {});
}

void FakeRing::prep_receive_one_buffer(io::Operation operation, int fd) {
  arm_receive(operation, fd, Kind::receive_one, {});
}

void FakeRing::prep_receive_into(io::Operation operation, int fd, std::span<char> area) {
  arm_receive(operation, fd, Kind::receive_into, area);
}

void FakeRing::arm_receive(io::Operation operation, int fd, Kind kind, std::span<char> area) {
  submissions_.push_back([this, operation, fd, kind, area] {
    Pending pending;
    pending.operation = operation;
    LinkId id = link_of(fd, "receive");
    if (id == 0) {
      post(pending, -EBADF, false, 0);
      return;
    }
    if (links_[id].receive != 0) fail("two receives armed on one socket");
    if (kind == Kind::receive_into && area.empty()) fail("a receive into no memory");
    trace("arm receive %d on link %u slot %u", static_cast<int>(kind), id, operation.slot);
    pending.kind = kind;
    pending.link = id;
    pending.area = area.data();
    pending.bytes = static_cast<std::uint32_t>(area.size());
    std::uint64_t serial = next_serial_++;
    pending_.emplace(serial, pending);
    links_[id].receive = serial;
    after(latency(), [this, id] { pump_receive(id); });
  });
}

void FakeRing::end_receive(LinkId id, int result) {
  std::uint64_t serial = links_[id].receive;
  links_[id].receive = 0;
  finish(serial, result, receive_order(id));
}

// Hands what waits on the link to its armed receive: one completion per call,
// another call scheduled while a multishot receive has more to take.
void FakeRing::pump_receive(LinkId id) {
  Link& link = links_[id];
  if (link.receive == 0) return;
  Pending pending = pending_.at(link.receive);
  if (link.reset) {
    end_receive(id, -ECONNRESET);
    return;
  }
  if (link.inbound.empty()) {
    if (link.inbound_end) end_receive(id, 0);
    return;
  }
  std::size_t bytes = link.inbound.size();
  bytes = std::min<std::size_t>(bytes,
                                pending.kind == Kind::receive_into ? pending.bytes : buffer_bytes);
  if (bytes > 1 && chance(faults_.partial_receive)) bytes = uniform(1, bytes - 1);
  if (pending.kind == Kind::receive_into) {
    std::memcpy(pending.area, link.inbound.data(), bytes);
    link.inbound.consume(bytes);
    end_receive(id, static_cast<int>(bytes));
    return;
  }
  int buffer_id = take_buffer();
  if (buffer_id < 0) {
    end_receive(id, -ENOBUFS);  // ends a multishot receive too
    return;
  }
  std::memcpy(buffer_memory_.get() + std::size_t(buffer_id) * buffer_bytes, link.inbound.data(),
              bytes);
  link.inbound.consume(bytes);
  bool multishot = pending.kind == Kind::receive_multishot;
  if (!multishot) {
    pending_.erase(link.receive);
    link.receive = 0;
  }
  post(pending, static_cast<int>(bytes), multishot, receive_order(id), buffer_id);
  if (!multishot) {
    release_if_idle(id);
  } else if (!link.inbound.empty() || link.inbound_end) {
    after(0, [this, id] { pump_receive(id); });
  }
}

void FakeRing::prep_send(io::Operation operation, int fd, const char* data, std::uint32_t bytes) {
  submissions_.push_back([this, operation, fd, data, bytes] {
    Pending pending;
    pending.operation = operation;
    LinkId id = link_of(fd, "send");
    if (id == 0) {
      post(pending, -EBADF, false, 0);
      return;
    }
    trace("prep send on link %u slot %u: %u bytes", id, operation.slot, bytes);
    pending.kind = Kind::send;
    pending.link = id;
    pending.data = data;
    pending.bytes = bytes;
    std::uint64_t serial = next_serial_++;
    pending_.emplace(serial, pending);
    Link& link = links_[id];
    link.sends.push_back(serial);
    std::uint64_t at_ms = std::max(now_ms_ + latency(), link.sends_until_ms);
    link.sends_until_ms = at_ms;
    after(at_ms - now_ms_, [this, serial] { run_send(serial); });
  });
}

// The send runs now: its bytes are read from the worker's memory at this
// moment (not at submit), as the kernel may when the socket was full.
void FakeRing::run_send(std::uint64_t serial) {
  auto found = pending_.find(serial);
  if (found == pending_.end()) return;  // cancelled
  Pending pending = found->second;
  Link& link = links_[pending.link];
  std::erase(link.sends, serial);
  if (link.reset) {
    finish(serial, chance(0.5) ? -ECONNRESET : -EPIPE, send_order(pending.link));
    return;
  }
  std::uint32_t bytes = pending.bytes;
  if (bytes > 1 && chance(faults_.short_send))
    bytes = static_cast<std::uint32_t>(uniform(1, bytes - 1));
  std::string sent(pending.data, bytes);
  trace("send on link %u: %u of %u bytes", pending.link, bytes, pending.bytes);
  Peer* peer = link.peer;
  if (link.peer_closed) {
    // The peer is gone: this send is taken, and the reset it provokes ends the link.
    link.reset = true;
    peer = nullptr;
    after(latency(), [this, id = pending.link] { pump_receive(id); });
  }
  finish(serial, static_cast<int>(bytes), send_order(pending.link));
  if (peer != nullptr) peer->on_bytes(sent);
}

// Ends an operation in flight with -ECANCELED; false when it is none that can be cancelled.
bool FakeRing::cancel(std::uint64_t serial) {
  auto found = pending_.find(serial);
  if (found == pending_.end()) return false;
  LinkId id = found->second.link;
  switch (found->second.kind) {
    case Kind::receive_multishot:
    case Kind::receive_one:
    case Kind::receive_into:
      end_receive(id, -ECANCELED);
      return true;
    case Kind::send:
      std::erase(links_[id].sends, serial);
      finish(serial, -ECANCELED, send_order(id));
      return true;
    case Kind::connect:
      links_[id].connect = 0;
      finish(serial, -ECANCELED, 0);
      return true;
    case Kind::accept:
      links_[id].accept = 0;
      finish(serial, -ECANCELED, receive_order(id));
      return true;
    default:
      return false;
  }
}

void FakeRing::prep_cancel(io::Operation target) {
  submissions_.push_back([this, target] {
    trace("cancel kind %d slot %u", static_cast<int>(target.kind), target.slot);
    std::uint64_t found = 0;
    for (const auto& [serial, pending] : pending_) {
      if (pending.operation.pack() == target.pack() && pending.kind != Kind::wake) found = serial;
    }
    if (found == 0) {
      post(Pending{}, -ENOENT, false, 0);  // it completed before the cancel found it
      return;
    }
    const Pending& pending = pending_.at(found);
    bool one_shot = pending.kind == Kind::receive_one || pending.kind == Kind::receive_into;
    if (one_shot && !links_[pending.link].inbound.empty() && chance(faults_.cancel_miss)) {
      pump_receive(pending.link);  // the receive took its bytes first
      post(Pending{}, -ENOENT, false, 0);
      return;
    }
    post(Pending{}, cancel(found) ? 0 : -EALREADY, false, 0);
  });
}

}  // namespace ringway::fake
