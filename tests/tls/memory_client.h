#pragma once
// A wolfSSL client over two in-memory byte queues, and the pump that moves
// bytes between it and a Session: handshakes with no socket at all.

#include <wolfssl/options.h>
// wolfSSL's options must come first: they decide the layout of its structs.
#include <wolfssl/ssl.h>

#include <string>
#include <string_view>

#include "ringway/tls/session.h"

namespace ringway::tls::testing {

struct ClientOptions {
  enum class Version { any, tls13, tls12, tls11 } version = Version::any;
  std::string server_name;  // SNI; empty sends none
  std::string cipher_list;  // empty: wolfSSL's default
  std::string root_pem;     // verify the server against it when set
  bool alpn = true;         // offer http/1.1
  WOLFSSL_SESSION* resume = nullptr;
};

class MemoryClient {
 public:
  explicit MemoryClient(const ClientOptions& options);
  ~MemoryClient();
  MemoryClient(const MemoryClient&) = delete;
  MemoryClient& operator=(const MemoryClient&) = delete;

  // One handshake step: true once connected; failed() after an error.
  bool connect();
  bool failed() const { return failed_; }
  // Encrypts text into to_server.
  bool write(const std::string& text);
  // Reads whatever plaintext the queued ciphertext holds.
  std::string read();
  WOLFSSL* ssl() { return ssl_; }

  std::string to_server;         // ciphertext the client sent
  std::string from_server;       // ciphertext for the client to read
  std::string peer_common_name;  // the CN of the server's certificate, once it came

 private:
  WOLFSSL_CTX* context_ = nullptr;
  WOLFSSL* ssl_ = nullptr;
  bool failed_ = false;
};

// Feeds input to session `chunk_bytes` at a time (at least one call, also for an
// empty input) through an output area of out_capacity bytes: the plaintext it
// decrypts is appended to plaintext, the records it writes to output. Returns the
// last status.
SessionStatus feed(Session& session, std::string_view input, std::string& plaintext,
                   std::string& output, std::size_t chunk_bytes = 1 << 20,
                   std::size_t out_capacity = 65536);

// Encrypts text with session through an output area of out_capacity bytes and
// returns the records; empty when the session failed.
std::string seal(Session& session, std::string_view text, std::size_t out_capacity = 65536);

// Feeds the client's ciphertext to the server; its records go back to the client.
SessionStatus pump_to_server(MemoryClient& client, Session& server, std::string& plaintext,
                             std::size_t chunk_bytes = 1 << 20, std::size_t out_capacity = 65536);

// Drives a whole handshake; true when both sides completed it.
bool handshake(MemoryClient& client, Session& server, std::size_t chunk_bytes = 1 << 20,
               std::size_t out_capacity = 65536);

}  // namespace ringway::tls::testing
