#pragma once
// What ringway asks of the TLS servers it connects to (an https fallback): TLS
// 1.2 or 1.3 and a certificate that chains to a CA of the given bundle. Sessions
// opened on it check the name too (Session::open_client). Made at startup; each
// worker gets its own, so no wolfSSL context is shared between threads.

#include <memory>
#include <string>

struct WOLFSSL_CTX;  // wolfSSL's, kept opaque so only src/tls/ includes wolfSSL

namespace ringway::tls {

class ClientContext {
 public:
  // Loads the PEM bundle at ca_file (e.g. /etc/ssl/certs/ca-certificates.crt).
  // nullptr with error set to one line when the file cannot be read or holds no
  // usable certificate.
  static std::shared_ptr<const ClientContext> create(const std::string& ca_file,
                                                     std::string& error);
  ClientContext(const ClientContext&) = delete;
  ClientContext& operator=(const ClientContext&) = delete;
  ~ClientContext();

 private:
  friend class Session;
  explicit ClientContext(WOLFSSL_CTX* context) : context_(context) {}
  WOLFSSL_CTX* context_;
};

}  // namespace ringway::tls
