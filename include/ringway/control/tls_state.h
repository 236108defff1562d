#pragma once
// The HTTPS state the control thread owns: the certificate store built from the
// [[site]] directories and the session ticket keys, each published for workers.
// Rebuilding happens here, off the hot path; a broken file keeps the old set.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ringway/base/published.h"
#include "ringway/config/config.h"
#include "ringway/tls/certificate_store.h"
#include "ringway/tls/ticket_keys.h"

namespace ringway::control {

class TlsState {
 public:
  // Builds and publishes the first store (logging every site's problems) and a
  // fresh ticket key. worker_count is the number of context sets to make.
  TlsState(const config::Config& config, std::size_t worker_count);

  // Builds a new store from the same sites, reusing unchanged certificates, and
  // publishes it; logs each site's problems and what changed. reason goes in the log.
  void reload(std::string_view reason);
  // A new ticket key; the previous one still decrypts, so resumption goes on.
  void rotate_ticket_keys();

  // The certbot directories to watch: each site's live/<name>/ (and through it archive/).
  std::vector<std::string> watched_directories() const;

  const base::Published<tls::CertificateStore>& certificates() const { return certificates_; }
  const base::Published<tls::TicketKeys>& ticket_keys() const { return ticket_keys_; }
  std::size_t sites_loaded() const { return sites_loaded_; }

 private:
  void build(std::string_view reason);

  tls::StoreSettings settings_;
  std::shared_ptr<const tls::CertificateStore> store_;
  std::shared_ptr<const tls::TicketKeys> keys_;
  std::size_t sites_loaded_ = 0;
  base::Published<tls::CertificateStore> certificates_;
  base::Published<tls::TicketKeys> ticket_keys_;
};

}  // namespace ringway::control
