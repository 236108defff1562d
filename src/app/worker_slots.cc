// The worker's slab: taking a slot for a new connection with the serving
// snapshot it keeps to its end, its exchange state, and freeing the slot.
#include "ringway/app/worker.h"

namespace ringway::app {

Connection& Worker::take_slot(int fd) {
  std::uint32_t slot = free_head_;
  Connection& connection = connections_[slot];
  free_head_ = connection.next_free;
  std::uint32_t generation = connection.generation;
  connection = Connection{};
  connection.generation = generation;
  connection.slot = slot;
  connection.timer.owner = slot;
  connection.fd = fd;
  connection.in_use = true;
  connection.snapshot = take_snapshot();
  ++active_connections_;
  return connection;
}

const ServingSnapshot* Worker::take_snapshot() {
  const std::shared_ptr<const ServingSnapshot>& current = serving_.get();
  if (held_snapshots_.empty() || held_snapshots_.back().snapshot != current) {
    held_snapshots_.push_back({current, 0});
  }
  ++held_snapshots_.back().connections;
  return current.get();
}

// The last connection of an older snapshot lets it go; the current one stays.
void Worker::release_snapshot(const ServingSnapshot* snapshot) {
  for (std::size_t index = 0; index < held_snapshots_.size(); ++index) {
    HeldSnapshot& held = held_snapshots_[index];
    if (held.snapshot.get() != snapshot) continue;
    --held.connections;
    bool current = index + 1 == held_snapshots_.size();
    if (held.connections == 0 && !current) {
      held_snapshots_.erase(held_snapshots_.begin() + static_cast<std::ptrdiff_t>(index));
    }
    return;
  }
}

Exchange& Worker::start_exchange(proxy::RelayStream& connection) {
  if (connection.exchange == nullptr) {
    connection.exchange = exchanges_.take();
    *connection.exchange = Exchange{};
    return *connection.exchange;
  }
  acme::ChallengeFile challenge = connection.exchange->challenge;
  *connection.exchange = Exchange{};
  connection.exchange->challenge = challenge;
  return *connection.exchange;
}

// Everything else the slot's tenant borrowed goes back, and the slot is free.
void Worker::on_released(transport::Stream& stream) {
  Connection& connection = connection_of(stream);
  if (connection.exchange != nullptr) {
    proxy_.release_request_copy(connection);
    exchanges_.give_back(connection.exchange);
    connection.exchange = nullptr;
  }
  release_snapshot(connection.snapshot);
  connection.snapshot = nullptr;
  connection.in_use = false;
  ++connection.generation;
  connection.next_free = free_head_;
  free_head_ = connection.slot;
  --active_connections_;
}

}  // namespace ringway::app
