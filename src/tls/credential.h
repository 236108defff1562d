#pragma once
// Private to src/tls/: one certificate chain with its key, validated, and the
// wolfSSL contexts that serve it (one per context set, that is per worker).

#include <wolfssl/options.h>
// wolfSSL's options must come first: they decide the layout of its structs.
#include <wolfssl/ssl.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ringway/tls/certificate_store.h"
#include "ringway/tls/client_hello.h"

namespace ringway::tls {

struct Credential {
  Credential() = default;
  Credential(const Credential&) = delete;
  Credential& operator=(const Credential&) = delete;
  ~Credential();

  std::string directory;
  KeyType key_type = KeyType::ecdsa;
  std::int64_t not_after_unix_s = 0;
  std::string not_after_text;  // "2026-01-02 03:04:05 UTC", for messages
  // SHA-256 of both files as read, to tell whether a reload changed anything
  // without keeping a second copy of the private key around.
  std::array<std::uint8_t, 32> files_digest{};
  std::vector<WOLFSSL_CTX*> contexts;  // one per context set
};

struct CredentialFiles {
  std::string chain_pem;
  std::string key_pem;
  std::array<std::uint8_t, 32> digest{};
  std::string error;  // empty when both files were read
};

// Reads <directory>/fullchain.pem and privkey.pem (following certbot's symlinks).
CredentialFiles read_credential_files(const std::string& directory);

// Validates the files (key matches, chain order, expiry) and builds the contexts.
// On failure returns nullptr with error set to one line; warning is set for a
// certificate that expires within settings.expiry_warning_s.
std::shared_ptr<const Credential> load_credential(const std::string& directory,
                                                  const CredentialFiles& files,
                                                  const StoreSettings& settings, std::string& error,
                                                  std::string& warning);

// Appends the expiry warning for a credential loaded earlier, if it is now due.
std::string expiry_warning(const Credential& credential, const StoreSettings& settings);
std::int64_t settings_now_unix_s(const StoreSettings& settings);

// A server context with ringway's TLS policy and callbacks, no certificate yet;
// with session_tickets false it issues no TLS 1.3 tickets.
WOLFSSL_CTX* new_server_context(bool session_tickets, std::string& error);
// The per-session part of the policy, decided on the client's ClientHello (ALPN,
// TLS 1.2 groups). False when wolfSSL could not allocate.
bool prepare_server_session(WOLFSSL* ssl, const ClientHello& hello);

}  // namespace ringway::tls
