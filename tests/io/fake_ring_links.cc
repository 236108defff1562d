// The fake ring's sockets: listeners and accepts, upstream connects, closing,
// and the peer's side of every link.
#include <netinet/in.h>

#include <cerrno>
#include <cstring>

#include "fake_ring.h"

namespace ringway::fake {

namespace {

bool same_address(const sockaddr_storage& left, const sockaddr* right, socklen_t length) {
  if (left.ss_family != right->sa_family) return false;
  if (left.ss_family == AF_INET && length >= sizeof(sockaddr_in)) {
    const auto& a = reinterpret_cast<const sockaddr_in&>(left);
    const auto* b = reinterpret_cast<const sockaddr_in*>(right);
    return a.sin_port == b->sin_port && a.sin_addr.s_addr == b->sin_addr.s_addr;
  }
  if (left.ss_family == AF_INET6 && length >= sizeof(sockaddr_in6)) {
    const auto& a = reinterpret_cast<const sockaddr_in6&>(left);
    const auto* b = reinterpret_cast<const sockaddr_in6*>(right);
    return a.sin6_port == b->sin6_port &&
           std::memcmp(&a.sin6_addr, &b->sin6_addr, sizeof a.sin6_addr) == 0;
  }
  return false;
}

}  // namespace

LinkId FakeRing::link_of(int fd, const char* what) {
  Descriptor* entry = descriptor(fd);
  if (entry == nullptr || entry->kind != FdKind::link) {
    fail(std::string(what) + " on descriptor " + std::to_string(fd) + ", which is no socket");
    return 0;
  }
  return entry->link;
}

int FakeRing::add_listener() {
  LinkId id = static_cast<LinkId>(links_.size());
  links_.emplace_back();
  links_[id].listener = true;
  links_[id].fd = new_descriptor({FdKind::link, id, {}});
  return links_[id].fd;
}

bool FakeRing::connect_client(int listener_fd, Peer& peer, LinkId& link) {
  Descriptor* entry = descriptor(listener_fd);
  if (entry == nullptr || entry->kind != FdKind::link || !links_[entry->link].listener)
    return false;
  LinkId listener = entry->link;
  link = static_cast<LinkId>(links_.size());
  links_.emplace_back();
  links_[link].peer = &peer;
  links_[listener].backlog.push_back(link);
  after(latency(), [this, listener] { pump_accept(listener); });
  return true;
}

void FakeRing::add_upstream(const sockaddr_storage& address, Listener& listener) {
  upstreams_.emplace_back(address, &listener);
}

void FakeRing::prep_accept_multishot(io::Operation operation, int listen_fd) {
  submissions_.push_back([this, operation, listen_fd] {
    LinkId id = link_of(listen_fd, "accept");
    if (id == 0) return;
    if (!links_[id].listener) fail("accept on a descriptor that does not listen");
    if (links_[id].accept != 0) fail("two accepts armed on one listener");
    Pending pending;
    pending.operation = operation;
    pending.kind = Kind::accept;
    pending.link = id;
    std::uint64_t serial = next_serial_++;
    pending_.emplace(serial, pending);
    links_[id].accept = serial;
    after(latency(), [this, id] { pump_accept(id); });
  });
}

void FakeRing::pump_accept(LinkId id) {
  Link& listener = links_[id];
  while (listener.accept != 0 && !listener.backlog.empty()) {
    LinkId client = listener.backlog.front();
    listener.backlog.pop_front();
    int fd = new_descriptor({FdKind::link, client, {}});
    links_[client].fd = fd;
    post(pending_.at(listener.accept), fd, true, receive_order(id));
  }
}

int FakeRing::open_stream_socket(int family) {
  if (family != AF_INET && family != AF_INET6) return -EAFNOSUPPORT;
  LinkId id = static_cast<LinkId>(links_.size());
  links_.emplace_back();
  links_[id].fd = new_descriptor({FdKind::link, id, {}});
  return links_[id].fd;
}

void FakeRing::prep_connect(io::Operation operation, int fd, const sockaddr* address,
                            socklen_t length) {
  submissions_.push_back([this, operation, fd, address, length] {
    LinkId id = link_of(fd, "connect");
    if (id == 0) return;
    Listener* listener = nullptr;
    for (auto& [where, upstream] : upstreams_) {
      if (same_address(where, address, length)) listener = upstream;
    }
    Pending pending;
    pending.operation = operation;
    pending.kind = Kind::connect;
    pending.link = id;
    std::uint64_t serial = next_serial_++;
    pending_.emplace(serial, pending);
    links_[id].connect = serial;
    Listener::Answer answer =
        listener != nullptr ? listener->answer_connect(id) : Listener::Answer::refuse;
    trace("connect link %u slot %u: answer %d", id, operation.slot, static_cast<int>(answer));
    if (answer == Listener::Answer::never) return;  // until the worker gives up and cancels
    // A SYN that nobody answers gives up late; the worker's own timeout is often first.
    std::uint64_t delay_ms = answer == Listener::Answer::time_out ? uniform(1, 1500) : latency();
    after(delay_ms, [this, serial, answer, listener] { run_connect(serial, answer, listener); });
  });
}

void FakeRing::run_connect(std::uint64_t serial, Listener::Answer answer, Listener* listener) {
  auto found = pending_.find(serial);
  if (found == pending_.end()) return;  // cancelled
  LinkId id = found->second.link;
  links_[id].connect = 0;
  if (answer == Listener::Answer::accept) {
    links_[id].peer = listener->accept(id);
    finish(serial, 0, 0);
  } else {
    finish(serial, answer == Listener::Answer::refuse ? -ECONNREFUSED : -ETIMEDOUT, 0);
  }
}

void FakeRing::prep_close(io::Operation operation, int fd) {
  submissions_.push_back([this, operation, fd] {
    Pending pending;
    pending.operation = operation;
    Descriptor* entry = descriptor(fd);
    if (entry == nullptr || entry->kind == FdKind::webroot || entry->kind == FdKind::access_log) {
      fail("close of descriptor " + std::to_string(fd) + ", which is not the worker's");
      post(pending, -EBADF, false, 0);
      return;
    }
    post(pending, 0, false, 0);
    if (entry->kind == FdKind::file) {
      close_descriptor(fd);
    } else {
      close_link(entry->link);  // operations in flight keep the socket open, as in the kernel
    }
  });
}

void FakeRing::prep_cancel_and_close(io::Operation operation, int fd) {
  submissions_.push_back([this, operation, fd] {
    Pending pending;
    pending.operation = operation;
    LinkId id = link_of(fd, "cancel_and_close");
    if (id == 0) {
      post(pending, -EBADF, false, 0);
      return;
    }
    Link& link = links_[id];
    std::vector<std::uint64_t> serials(link.sends.begin(), link.sends.end());
    for (std::uint64_t serial : {link.receive, link.connect, link.accept}) {
      if (serial != 0) serials.push_back(serial);
    }
    post(Pending{}, static_cast<int>(serials.size()), false, 0);  // the cancel's own completion
    // Late: the close completes first, and a send that was under way finishes
    // with its own result after it.
    bool late = chance(faults_.late_completion);
    if (late) {
      post(pending, 0, false, 0);
      close_link(id);
    }
    for (std::uint64_t serial : serials) {
      if (late && pending_.count(serial) != 0 && pending_.at(serial).kind == Kind::send) {
        run_send(serial);
      } else {
        cancel(serial);
      }
    }
    if (!late) {
      post(pending, 0, false, 0);
      close_link(id);
    }
  });
}

void FakeRing::close_link(LinkId id) {
  Link& link = links_[id];
  trace("close link %u%s", id, link_busy(link) ? " (operations in flight)" : "");
  if (link.fd >= 0) close_descriptor(link.fd);
  link.fd = -1;
  release_if_idle(id);
}

bool FakeRing::link_busy(const Link& link) const {
  return link.receive != 0 || link.connect != 0 || link.accept != 0 || !link.sends.empty();
}

// A closed socket goes once nothing is in flight on it; its peer learns then.
void FakeRing::release_if_idle(LinkId id) {
  Link& link = links_[id];
  if (link.fd >= 0 || link.released || link_busy(link)) return;
  link.released = true;
  if (link.listener) {
    for (LinkId refused : link.backlog) tell_peer_end(links_[refused], true);
    link.backlog.clear();
    return;
  }
  // Closing with unread bytes makes the kernel reset the connection.
  if (!link.reset) tell_peer_end(link, link.reset_on_close || !link.inbound.empty());
}

void FakeRing::tell_peer_end(Link& link, bool reset) {
  if (link.peer == nullptr) return;
  Peer* peer = link.peer;
  trace("peer of a link told: %s", reset ? "reset" : "end");
  after(latency(), [peer, reset] { peer->on_end(reset); });
}

void FakeRing::shutdown_write(int fd) {
  LinkId id = link_of(fd, "shutdown_write");
  trace("shutdown_write link %u", id);
  if (id != 0 && !links_[id].reset) tell_peer_end(links_[id], false);
}

void FakeRing::close_now(int fd) {
  LinkId id = link_of(fd, "close_now");
  if (id == 0) return;
  if (link_busy(links_[id])) fail("close_now on a socket with operations in flight");
  close_link(id);
}

void FakeRing::reset_on_close(int fd) {
  LinkId id = link_of(fd, "reset_on_close");
  trace("reset_on_close link %u", id);
  if (id != 0) links_[id].reset_on_close = true;
}

void FakeRing::peer_address(int fd, std::span<char> text) {
  if (text.empty()) return;
  text[0] = '\0';
  if (link_of(fd, "peer_address") != 0) std::strncpy(text.data(), "127.0.0.1", text.size() - 1);
}

void FakeRing::send_to_worker(LinkId id, std::string_view bytes) {
  Link& link = links_[id];
  if (link.reset || link.released) {
    if (link.released && !link.reset) {
      link.reset = true;  // bytes for a closed socket: it answers with a reset
      tell_peer_end(link, true);
    }
    return;
  }
  if (link.inbound_end) {
    fail("a peer sent bytes after its FIN");
    return;
  }
  link.inbound.append(bytes);
  trace("peer sends %zu bytes on link %u", bytes.size(), id);
  pump_receive(id);
}

void FakeRing::shutdown_to_worker(LinkId id) {
  trace("peer shuts link %u", id);
  links_[id].inbound_end = true;
  pump_receive(id);
}

void FakeRing::reset_to_worker(LinkId id) {
  Link& link = links_[id];
  if (link.reset) return;
  trace("peer resets link %u", id);
  link.reset = true;
  link.inbound.clear();
  pump_receive(id);
}

void FakeRing::close_to_worker(LinkId id) {
  links_[id].peer_closed = true;
  shutdown_to_worker(id);
}

}  // namespace ringway::fake
