// libFuzzer target for peek_client_hello. libFuzzer hands over a heap copy of
// exactly size bytes, so ASan catches over-reads; these checks catch what a
// sanitizer cannot: a name outside the bytes it came from, flags that contradict
// each other, a verdict that changes when more bytes follow a complete message.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ringway/tls/client_hello.h"

namespace {

using ringway::tls::ClientHello;
using ringway::tls::ClientHelloStatus;

void check(bool condition) {
  if (!condition) std::abort();
}

bool lies_inside(std::string_view view, std::string_view area) {
  if (view.empty()) return true;
  return view.data() >= area.data() && view.data() + view.size() <= area.data() + area.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string scratch;
  const ClientHello hello = ringway::tls::peek_client_hello(input, scratch);
  check(lies_inside(hello.server_name, input) || lies_inside(hello.server_name, scratch));
  check(scratch.size() <= size);
  if (hello.status != ClientHelloStatus::complete) {
    check(hello.server_name.empty() && !hello.lists_groups && !hello.offers_tls13);
    return 0;
  }
  check(hello.lists_groups || (!hello.offers_x25519 && !hello.offers_p256));
  const std::string name(hello.server_name);
  // Bytes after a complete ClientHello (the client's next records) change nothing.
  const std::string longer = std::string(input) + "\x17\x03\x03";
  std::string longer_scratch;
  const ClientHello again = ringway::tls::peek_client_hello(longer, longer_scratch);
  check(again.status == ClientHelloStatus::complete && again.server_name == name);
  check(again.offers_tls13 == hello.offers_tls13 && again.offers_x25519 == hello.offers_x25519);
  return 0;
}
