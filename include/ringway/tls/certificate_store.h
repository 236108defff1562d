#pragma once
// The certificates ringway serves, loaded from certbot's live/<name>/ directories
// and validated up front, with the TLS policy baked into one wolfSSL context per
// certificate and worker. A store is an immutable snapshot: the control thread
// builds a new one off the hot path (build() again, handing it the old one) and
// publishes it; workers give the current one to each new session.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ringway/http/host_table.h"

struct WOLFSSL_CTX;  // wolfSSL's, kept opaque so only src/tls/ includes wolfSSL

namespace ringway::tls {

struct SiteSettings {
  std::string name;                // for messages: the site's first host name
  std::vector<std::string> hosts;  // names it answers: exact, or one wildcard label "*.example.org"
  // certbot live/<name>/ directories, each with fullchain.pem (leaf first) and privkey.pem.
  // An ECDSA and an RSA certificate may both be given; see CertificateStore::find.
  std::vector<std::string> certificate_directories;
};

struct StoreSettings {
  std::vector<SiteSettings> sites;
  // The host whose site answers clients without SNI or with an unknown name;
  // empty: the first site that loaded.
  std::string default_host;
  // One wolfSSL context per certificate for each of these (one per worker), so
  // workers never share a context (wolfSSL counts its users under a mutex).
  std::size_t context_sets = 1;
  bool session_tickets = true;  // TLS 1.3 tickets; false: every handshake is a full one
  std::int64_t now_unix_s = 0;  // 0: the clock; tests set a time to check expiry against
  std::int64_t expiry_warning_s = std::int64_t{14} * 24 * 3600;
};

enum class MessageLevel { warning, error };

// One line about one site, e.g. "site a.test: /etc/.../fullchain.pem: expired on 2026-01-02".
struct StoreMessage {
  MessageLevel level = MessageLevel::error;
  std::string site;
  std::string text;
};

enum class KeyType : std::uint8_t { ecdsa, rsa };

// One validated certificate chain and key, with its wolfSSL contexts. Shared
// between stores while its files do not change.
struct Credential;

class CertificateStore;

struct BuildResult {
  std::shared_ptr<const CertificateStore> store;  // never null; may serve no site at all
  std::vector<StoreMessage> messages;             // warnings and per-site errors, in site order
  std::size_t sites_loaded = 0;
};

class CertificateStore {
 public:
  // Loads and validates every site; never throws. A site that fails is left out
  // (or, when previous served it, keeps previous's certificates) and reported;
  // the others load regardless. Files unchanged since previous are not parsed again.
  static BuildResult build(const StoreSettings& settings,
                           const std::shared_ptr<const CertificateStore>& previous = nullptr);

  CertificateStore(const CertificateStore&) = delete;
  CertificateStore& operator=(const CertificateStore&) = delete;
  ~CertificateStore();

  bool empty() const { return sites_.empty(); }
  std::size_t context_sets() const { return context_sets_; }

  // The context for server_name (found by http::HostTable: exact, then wildcard,
  // then the default site), in context set `set`. Prefers ECDSA when the site has
  // both. nullptr when the store serves nothing. server_name may be empty (no SNI).
  WOLFSSL_CTX* find(std::string_view server_name, std::size_t set) const;
  // The default site's context: what a session starts with before SNI is known.
  WOLFSSL_CTX* default_context(std::size_t set) const;
  // The site name find() resolves to, for logs and tests; empty when none.
  std::string_view site_for(std::string_view server_name) const;

 private:
  struct Site {
    std::string name;
    std::shared_ptr<const Credential> ecdsa;
    std::shared_ptr<const Credential> rsa;
  };
  CertificateStore() = default;
  const Site& site_for_name(std::string_view server_name) const;  // requires !empty()

  std::vector<Site> sites_;
  http::HostTable hosts_;  // entry i is sites_[i]; its default is the default site
  std::size_t context_sets_ = 1;
  bool session_tickets_ = true;  // what the contexts were built with
};

}  // namespace ringway::tls
