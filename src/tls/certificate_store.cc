// Building a store site by site, and finding a site's context by SNI name.
#include "ringway/tls/certificate_store.h"

#include <algorithm>
#include <optional>

#include "credential.h"

namespace ringway::tls {

namespace {

// The credential previous loaded from directory, if the files are still the same bytes.
std::shared_ptr<const Credential> unchanged(
    const std::vector<std::shared_ptr<const Credential>>& old, const std::string& directory,
    const CredentialFiles& files) {
  for (const std::shared_ptr<const Credential>& credential : old) {
    if (credential->directory == directory && credential->files_digest == files.digest) {
      return credential;
    }
  }
  return nullptr;
}

// One certificate directory's credential: the one loaded before when its files
// are unchanged (and it has not expired meanwhile), else the files parsed anew.
// Null with error set when it cannot be served.
std::shared_ptr<const Credential> credential_for(
    const std::string& directory, const std::vector<std::shared_ptr<const Credential>>& old,
    const StoreSettings& settings, std::string& error, std::string& warning) {
  CredentialFiles files = read_credential_files(directory);
  if (!files.error.empty()) {
    error = files.error;
    return nullptr;
  }
  std::shared_ptr<const Credential> credential = unchanged(old, directory, files);
  if (credential == nullptr) return load_credential(directory, files, settings, error, warning);
  warning = expiry_warning(*credential, settings);
  if (credential->not_after_unix_s <= settings_now_unix_s(settings)) {
    error = directory + ": certificate expired on " + credential->not_after_text;
    return nullptr;
  }
  return credential;
}

// The table of the loaded sites' hosts; its default is the site default_host
// itself finds, as for any SNI name, else the first.
http::HostTable host_table(const std::vector<std::vector<std::string>>& site_hosts,
                           const StoreSettings& settings, const std::string& first_site,
                           std::vector<StoreMessage>& messages) {
  std::optional<std::size_t> default_site;
  if (!settings.default_host.empty()) {
    default_site = http::HostTable(site_hosts).match(settings.default_host);
    if (!default_site) {
      messages.push_back({MessageLevel::warning, settings.default_host,
                          "default host has no loaded site; using " + first_site});
    }
  }
  return http::HostTable(site_hosts, default_site.value_or(0));
}

}  // namespace

CertificateStore::~CertificateStore() = default;

BuildResult CertificateStore::build(const StoreSettings& settings,
                                    const std::shared_ptr<const CertificateStore>& previous) {
  BuildResult result;
  std::shared_ptr<CertificateStore> store(new CertificateStore());
  store->context_sets_ = std::max<std::size_t>(1, settings.context_sets);
  store->session_tickets_ = settings.session_tickets;
  bool reuse = previous != nullptr && previous->context_sets_ == store->context_sets_ &&
               previous->session_tickets_ == store->session_tickets_;
  auto report = [&](MessageLevel level, const SiteSettings& site, std::string text) {
    result.messages.push_back({level, site.name, std::move(text)});
  };

  std::vector<std::vector<std::string>> site_hosts;  // of each loaded site, for hosts_
  for (const SiteSettings& site_settings : settings.sites) {
    Site site;
    site.name = site_settings.name;
    const Site* old_site = nullptr;
    std::vector<std::shared_ptr<const Credential>> old;
    if (reuse) {
      for (const Site& candidate : previous->sites_) {
        if (candidate.name == site_settings.name) old_site = &candidate;
      }
      if (old_site != nullptr) {
        for (const auto& credential : {old_site->ecdsa, old_site->rsa}) {
          if (credential != nullptr) old.push_back(credential);
        }
      }
    }
    bool failed = false;
    for (const std::string& directory : site_settings.certificate_directories) {
      std::string error;
      std::string warning;
      std::shared_ptr<const Credential> credential =
          credential_for(directory, old, settings, error, warning);
      if (!warning.empty() && credential != nullptr) {
        report(MessageLevel::warning, site_settings, warning);
      }
      if (credential == nullptr) {
        report(MessageLevel::error, site_settings, error);
        failed = true;
        continue;
      }
      auto& slot = credential->key_type == KeyType::ecdsa ? site.ecdsa : site.rsa;
      if (slot != nullptr) {
        report(MessageLevel::error, site_settings,
               directory + ": a second certificate of the same key type; the first one is kept");
        continue;
      }
      slot = std::move(credential);
    }
    // A reload never makes a site worse: when its new files fail, it keeps what it served.
    if (failed && old_site != nullptr) {
      report(MessageLevel::warning, site_settings, "keeping the certificates loaded before");
      site.ecdsa = old_site->ecdsa;
      site.rsa = old_site->rsa;
    }
    if (site.ecdsa == nullptr && site.rsa == nullptr) {
      if (!failed) report(MessageLevel::error, site_settings, "no certificate directory given");
      report(MessageLevel::error, site_settings, "site disabled: HTTPS does not serve it");
      continue;
    }
    site_hosts.push_back(site_settings.hosts);
    store->sites_.push_back(std::move(site));
  }

  if (!store->sites_.empty()) {
    store->hosts_ = host_table(site_hosts, settings, store->sites_.front().name, result.messages);
  }
  result.sites_loaded = store->sites_.size();
  result.store = std::move(store);
  return result;
}

const CertificateStore::Site& CertificateStore::site_for_name(std::string_view server_name) const {
  return sites_[*hosts_.find(server_name)];  // the table has a default whenever sites_ has a site
}

WOLFSSL_CTX* CertificateStore::find(std::string_view server_name, std::size_t set) const {
  if (sites_.empty()) return nullptr;
  const Site& site = site_for_name(server_name);
  // wolfSSL 5.5 holds one key per context and exposes no hook that shows the
  // client's signature algorithms at SNI time, so ECDSA wins when both exist:
  // every TLS 1.3 client supports it (RFC 8446 9.1), and so does any TLS 1.2
  // client of the last decade.
  const std::shared_ptr<const Credential>& credential =
      site.ecdsa != nullptr ? site.ecdsa : site.rsa;
  return credential->contexts[set % context_sets_];
}

WOLFSSL_CTX* CertificateStore::default_context(std::size_t set) const {
  return find({}, set);
}

std::string_view CertificateStore::site_for(std::string_view server_name) const {
  if (sites_.empty()) return {};
  return site_for_name(server_name).name;
}

}  // namespace ringway::tls
