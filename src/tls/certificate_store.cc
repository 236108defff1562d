// Building a store site by site, and finding a site's context by SNI name.
#include "ringway/tls/certificate_store.h"

#include <algorithm>
#include <cctype>

#include "credential.h"

namespace ringway::tls {

namespace {

// A host name as SNI compares it: ASCII lower case, no trailing dot.
std::string normalized(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::string result(name);
  for (char& character : result) {
    character = static_cast<char>(std::tolower(static_cast<unsigned char>(character)));
  }
  return result;
}

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
      CredentialFiles files = read_credential_files(directory);
      std::shared_ptr<const Credential> credential;
      std::string error;
      std::string warning;
      if (!files.error.empty()) {
        error = files.error;
      } else if ((credential = unchanged(old, directory, files)) != nullptr) {
        warning = expiry_warning(*credential, settings);
        if (credential->not_after_unix_s <= settings_now_unix_s(settings)) {
          error = directory + ": certificate expired on " + credential->not_after_text;
          credential = nullptr;
        }
      } else {
        credential = load_credential(directory, files, settings, error, warning);
      }
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
    std::size_t index = store->sites_.size();
    for (const std::string& host : site_settings.hosts) {
      std::string name = normalized(host);
      if (name.starts_with("*.")) {
        store->wildcard_.emplace(name.substr(2), index);
      } else {
        store->exact_.emplace(name, index);
      }
    }
    store->sites_.push_back(std::move(site));
  }

  if (!settings.default_host.empty() && !store->sites_.empty()) {
    std::string name = normalized(settings.default_host);
    const Site* found = store->site_for_name(name);
    if (found != nullptr) {
      store->default_site_ = static_cast<std::size_t>(found - store->sites_.data());
    } else {
      result.messages.push_back(
          {MessageLevel::warning, settings.default_host,
           "default host has no loaded site; using " + store->sites_.front().name});
    }
  }
  result.sites_loaded = store->sites_.size();
  result.store = std::move(store);
  return result;
}

const CertificateStore::Site* CertificateStore::site_for_name(std::string_view server_name) const {
  if (server_name.empty()) return nullptr;
  // Exact names win over wildcards; a wildcard covers exactly one label.
  std::string name = normalized(server_name);
  if (auto exact = exact_.find(name); exact != exact_.end()) return &sites_[exact->second];
  std::size_t dot = name.find('.');
  if (dot == std::string::npos || dot == 0) return nullptr;
  if (auto wildcard = wildcard_.find(name.substr(dot + 1)); wildcard != wildcard_.end()) {
    return &sites_[wildcard->second];
  }
  return nullptr;
}

WOLFSSL_CTX* CertificateStore::find(std::string_view server_name, std::size_t set) const {
  if (sites_.empty()) return nullptr;
  const Site* site = site_for_name(server_name);
  if (site == nullptr) site = &sites_[default_site_];
  // wolfSSL 5.5 holds one key per context and exposes no hook that shows the
  // client's signature algorithms at SNI time, so ECDSA wins when both exist:
  // every TLS 1.3 client supports it (RFC 8446 9.1), and so does any TLS 1.2
  // client of the last decade.
  const std::shared_ptr<const Credential>& credential =
      site->ecdsa != nullptr ? site->ecdsa : site->rsa;
  return credential->contexts[set % context_sets_];
}

WOLFSSL_CTX* CertificateStore::default_context(std::size_t set) const {
  return find({}, set);
}

std::string_view CertificateStore::site_for(std::string_view server_name) const {
  if (sites_.empty()) return {};
  const Site* site = site_for_name(server_name);
  return site != nullptr ? site->name : sites_[default_site_].name;
}

}  // namespace ringway::tls
