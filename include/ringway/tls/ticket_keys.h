#pragma once
// Session ticket keys shared by every worker, so a client resumes on whichever
// worker (and connection) it lands. A set is immutable; rotating makes a new set.
//
// Rotation: the control thread calls rotated() on a timer and publishes the new
// set the way it publishes certificate stores (an atomic shared_ptr swap). A
// worker passes its current set to each new Session, which keeps it for
// its lifetime; sessions already running keep the set they started with. The new
// set still decrypts tickets made with the previous key, so a rotation never
// turns a resumption into a full handshake; tickets older than two rotations are
// refused quietly (a full handshake, never an error).

#include <array>
#include <cstdint>
#include <memory>

namespace ringway::tls {

class TicketKeys {
 public:
  static constexpr std::size_t name_bytes = 16;
  static constexpr std::size_t key_bytes = 32;

  struct Key {
    std::array<std::uint8_t, name_bytes> name{};   // sent in the ticket to find the key again
    std::array<std::uint8_t, key_bytes> secret{};  // ChaCha20-Poly1305 key
  };

  // A set with one fresh random key. Empty pointer when the system has no randomness.
  static std::shared_ptr<const TicketKeys> generate();
  // A new set whose current key is fresh and whose previous key is this set's current key.
  std::shared_ptr<const TicketKeys> rotated() const;
  // Fixed keys, for tests and for sharing keys between hosts later.
  TicketKeys(const Key& current, const Key* previous);

  const Key& current() const { return current_; }
  // The key whose name matches, and whether it is the current one; nullptr if unknown.
  const Key* find(const std::uint8_t* name, bool& is_current) const;

 private:
  Key current_;
  Key previous_;
  bool has_previous_ = false;
};

}  // namespace ringway::tls
