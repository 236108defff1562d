// HTTPS connections of a worker: the transport opens the server side of TLS
// (and refuses while no site has a certificate); requests go to their site.

#include "ringway/app/worker.h"
#include "ringway/log/error_log.h"

namespace ringway::app {

namespace {

constexpr std::uint64_t refusal_log_interval_ms = 10000;

}  // namespace

bool Worker::open_tls(Connection& connection) {
  const std::shared_ptr<const tls::CertificateStore>& store = certificates_.get();
  const std::shared_ptr<const tls::TicketKeys>& keys = ticket_keys_.get();
  if (transport_.open_server_tls(connection, store, settings_.index, keys)) return true;
  // No site has a certificate yet (a first install before certbot ran): the
  // HTTPS listener stays up and refuses until the certificates appear.
  if (now_ms_ >= tls_refused_logged_ms_ + refusal_log_interval_ms) {
    tls_refused_logged_ms_ = now_ms_;
    log::write_line(log::Level::warning, "https: refusing connections: no site has a certificate");
  }
  return false;
}

bool Worker::answer_site(Connection& connection, const http::RequestHead& head,
                         std::string_view request) {
  bool keep_alive = head.keep_alive && !head.has_body() && !stopping_;
  PendingRequest logged = pending_request(head, keep_alive, request.size(), now_unix_ns_);
  const proxy::SiteRouter& sites = connection.snapshot->sites;
  std::size_t site_index = sites.route(head);
  if (sites.site(site_index).proxied) {
    return proxy_.start(connection, head, request, static_cast<std::uint32_t>(site_index));
  }
  const proxy::SiteAnswer& site = sites.site(site_index).answer;
  LocalResponse response;
  response.status = site.status;
  response.keep_alive = keep_alive;
  response.extra_headers = site.extra_headers;
  return respond(connection, logged, response, WhenFull::wait);
}

}  // namespace ringway::app
