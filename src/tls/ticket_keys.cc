#include "ringway/tls/ticket_keys.h"

#include <sys/random.h>

#include <cstring>

namespace ringway::tls {

namespace {

bool random_key(TicketKeys::Key& key) {
  auto fill = [](std::uint8_t* data, std::size_t size) {
    // getrandom only blocks before the kernel's pool is seeded, long before a server runs.
    return getrandom(data, size, 0) == static_cast<ssize_t>(size);
  };
  return fill(key.name.data(), key.name.size()) && fill(key.secret.data(), key.secret.size());
}

}  // namespace

TicketKeys::TicketKeys(const Key& current, const Key* previous) : current_(current) {
  if (previous != nullptr) {
    previous_ = *previous;
    has_previous_ = true;
  }
}

std::shared_ptr<const TicketKeys> TicketKeys::generate() {
  Key key;
  if (!random_key(key)) return nullptr;
  return std::make_shared<const TicketKeys>(key, nullptr);
}

std::shared_ptr<const TicketKeys> TicketKeys::rotated() const {
  Key key;
  if (!random_key(key)) return nullptr;
  return std::make_shared<const TicketKeys>(key, &current_);
}

const TicketKeys::Key* TicketKeys::find(const std::uint8_t* name, bool& is_current) const {
  is_current = std::memcmp(name, current_.name.data(), name_bytes) == 0;
  if (is_current) return &current_;
  if (has_previous_ && std::memcmp(name, previous_.name.data(), name_bytes) == 0) {
    return &previous_;
  }
  return nullptr;
}

}  // namespace ringway::tls
