#pragma once
// Private to src/control/: keeps the control ring's polls in step with the
// sockets c-ares wants watched.

#include <cstdint>
#include <unordered_map>

#include "ringway/dns/resolver.h"
#include "ringway/io/ring.h"

namespace ringway::control {

class ResolverPolls {
 public:
  ResolverPolls(io::Ring& ring, dns::Resolver& resolver) : ring_(ring), resolver_(resolver) {}

  // Applies the resolver's watch changes: old polls removed, new ones armed.
  void apply_changes();
  // A dns_poll completion: hands readiness to c-ares and re-arms while wanted.
  void on_completion(const io::Completion& completion, std::uint64_t now_ms);

 private:
  void arm(int fd, bool readable, bool writable);

  io::Ring& ring_;
  dns::Resolver& resolver_;
  struct Watch {
    std::uint32_t generation = 0;
    bool armed = false;
  };
  std::unordered_map<int, Watch> watches_;
};

}  // namespace ringway::control
