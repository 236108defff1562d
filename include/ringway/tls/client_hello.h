#pragma once
// A sans-I/O look at a client's first TLS message before any TLS state exists:
// the name it asks for (SNI picks the certificate, so the session is created on
// the right context) and the versions and key exchange groups it offers (the
// TLS 1.2 group policy). A pure function over the bytes received so far, called
// again with the longer buffer when more arrive.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ringway::tls {

// A ClientHello longer than this is left to the TLS library as it is (real ones
// are under 3 KB, post-quantum key shares included).
constexpr std::size_t client_hello_bytes_max = 32768;

enum class ClientHelloStatus : std::uint8_t {
  complete,  // the whole ClientHello is in input; the fields below describe it
  partial,   // no error so far, the message has not ended yet: read more
  invalid,   // not a ClientHello in TLS handshake records, or over the limit
};

struct ClientHello {
  ClientHelloStatus status = ClientHelloStatus::partial;
  std::string_view server_name;  // the SNI host_name as sent; empty when none
  bool offers_tls13 = false;     // supported_versions lists TLS 1.3
  bool lists_groups = false;     // a supported_groups extension was sent
  bool offers_x25519 = false;    // ... and it lists X25519
  bool offers_p256 = false;      // ... and it lists secp256r1
};

// Reads the ClientHello at the start of input: TLS records as they came off the
// wire, possibly followed by more. server_name points into input, or into scratch
// when the message is split over several records (it is joined there). Only the
// fields above are checked: the TLS library still validates the whole message.
ClientHello peek_client_hello(std::string_view input, std::string& scratch);

}  // namespace ringway::tls
