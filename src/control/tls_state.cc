#include "ringway/control/tls_state.h"

#include "ringway/log/error_log.h"

namespace ringway::control {

TlsState::TlsState(const config::Config& config, std::size_t worker_count) {
  for (const config::Site& site : config.sites) {
    tls::SiteSettings entry;
    entry.name = site.hosts.empty() ? std::string() : site.hosts.front();
    entry.hosts = site.hosts;
    entry.certificate_directories = site.certificates;
    settings_.sites.push_back(std::move(entry));
  }
  settings_.default_host = config.https.default_host;
  settings_.session_tickets = config.https.session_tickets;
  settings_.context_sets = worker_count;
  keys_ = tls::TicketKeys::generate();
  if (!keys_) log::write_line(log::Level::error, "tls: no randomness for session ticket keys");
  ticket_keys_.publish(keys_);
  build("start");
}

void TlsState::reload(std::string_view reason) {
  build(reason);
}

void TlsState::build(std::string_view reason) {
  tls::BuildResult result = tls::CertificateStore::build(settings_, store_);
  // One line per site, naming it, however many things the store says about it.
  for (std::size_t first = 0; first < result.messages.size();) {
    const tls::StoreMessage& message = result.messages[first];
    std::string text = message.text;
    log::Level level = log::Level::warning;
    std::size_t next = first;
    for (; next < result.messages.size() && result.messages[next].site == message.site; ++next) {
      if (next != first) text += "; " + result.messages[next].text;
      if (result.messages[next].level == tls::MessageLevel::error) level = log::Level::error;
    }
    log::write_line(level, "tls: site %s: %s", message.site.empty() ? "-" : message.site.c_str(),
                    text.c_str());
    first = next;
  }
  bool changed = result.store != store_;
  store_ = result.store;
  certificates_.publish(store_);
  if (changed || result.sites_loaded != sites_loaded_) {
    log::write_line(log::Level::info, "tls (%.*s): %zu of %zu sites have certificates",
                    static_cast<int>(reason.size()), reason.data(), result.sites_loaded,
                    settings_.sites.size());
  }
  sites_loaded_ = result.sites_loaded;
}

void TlsState::rotate_ticket_keys() {
  if (!keys_) return;
  std::shared_ptr<const tls::TicketKeys> rotated = keys_->rotated();
  if (!rotated) return;
  keys_ = rotated;
  ticket_keys_.publish(keys_);
}

std::vector<std::string> TlsState::watched_directories() const {
  std::vector<std::string> directories;
  for (const tls::SiteSettings& site : settings_.sites) {
    directories.insert(directories.end(), site.certificate_directories.begin(),
                       site.certificate_directories.end());
  }
  return directories;
}

}  // namespace ringway::control
