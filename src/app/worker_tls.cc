// HTTPS connections of a worker: ciphertext from the ring goes through the
// connection's TLS session into the same HTTP path as plain connections, and
// responses are sealed into records just before they are sent.
#include <cstring>
#include <span>

#include "ringway/app/worker.h"
#include "ringway/log/error_log.h"

namespace ringway::app {

namespace {

constexpr std::uint64_t refusal_log_interval_ms = 10000;

}  // namespace

bool Worker::open_tls(Connection& connection) {
  const std::shared_ptr<const tls::CertificateStore>& store = certificates_.get();
  const std::shared_ptr<const tls::TicketKeys>& keys = ticket_keys_.get();
  if (connection.session == nullptr) connection.session = sessions_.take();
  if (store && !store->empty() && keys &&
      connection.session->open_server(store, settings_.index, keys)) {
    return true;
  }
  // No site has a certificate yet (a first install before certbot ran): the
  // HTTPS listener stays up and refuses until the certificates appear.
  if (now_ms_ >= tls_refused_logged_ms_ + refusal_log_interval_ms) {
    tls_refused_logged_ms_ = now_ms_;
    log::write_line(log::Level::warning, "https: refusing connections: no site has a certificate");
  }
  return false;
}

void Worker::take_bytes(Connection& connection, std::string_view data) {
  if (connection.tls) {
    tls_receive(connection, data);
  } else if (connection.relay.role == Relay::Role::upstream) {
    upstream_receive(connection, data, false);
  } else {
    consume_input(connection, data, false);
  }
}

http::OutputArea Worker::wire_area(Connection& connection) {
  if (connection.wire == nullptr) connection.wire = output_pool_.take();
  return {connection.wire, connection.wire_bytes, output_pool_.chunk_bytes()};
}

// One receive path for both sides of TLS: ciphertext in, plaintext into the
// connection's input for its codec (the HTTP server or the relay), handshake
// and alert records out. The sides differ only in what an event means.
void Worker::tls_receive(Connection& connection, std::string_view ciphertext) {
  bool upstream = connection.relay.role == Relay::Role::upstream;
  if (upstream && !connection.session->is_open()) return;
  for (;;) {
    if (connection.input == nullptr) connection.input = input_pool_.take();
    // Plaintext lands after what is still unparsed; on the server side the
    // parser's head limit keeps that well below the chunk size.
    std::span<char> plaintext{connection.input + connection.input_bytes,
                              input_pool_.chunk_bytes() - connection.input_bytes};
    if (plaintext.empty()) {  // an unfinished response head as large as the chunk
      close_connection(connection);
      return;
    }
    http::OutputArea wire = wire_area(connection);
    tls::SessionResult result = connection.session->receive(ciphertext, plaintext, wire);
    ciphertext = {};  // the session kept whatever it did not use
    connection.wire_bytes = static_cast<std::uint32_t>(wire.size);
    connection.input_bytes += static_cast<std::uint32_t>(result.plaintext_bytes);
    if (result.handshake_completed && upstream) upstream_tls_established(connection);
    switch (result.status) {
      case tls::SessionStatus::failed:
        tls_failed(connection, connection.session->failure_reason());
        return;
      case tls::SessionStatus::need_output_room:
        if (upstream) {
          // Handshake messages far larger than a chunk: not TLS as we know it.
          tls_failed(connection, "handshake records larger than the output chunk");
          return;
        }
        connection.pause();  // resume_input goes on once the records are out
        pause_receiving(connection);
        flush_output(connection);
        return;
      case tls::SessionStatus::closed:
        if (!upstream) {  // a client's close_notify: nothing more to answer
          connection.finish_after_send();
          flush_output(connection);
          return;
        }
        break;  // an upstream's: what came before it is still relayed
      default:
        break;
    }
    if (connection.input_bytes > 0) {
      tls_plaintext_ready(connection);
    } else {
      // Handshake or ticket records only: a connection that is done with its
      // handshake and sends nothing yet holds no input chunk.
      input_pool_.give_back(connection.input);
      connection.input = nullptr;
      if (!upstream) flush_output(connection);
    }
    if (connection.closing()) return;
    if (upstream) {
      flush_output(connection);  // handshake records, or the request once established
      if (result.status == tls::SessionStatus::closed) {
        upstream_end_of_stream(connection);  // close_notify: the same as its FIN
        return;
      }
    }
    bool more = result.status == tls::SessionStatus::plaintext_full;
    if (!more || connection.paused() || connection.finishing()) return;
  }
}

void Worker::tls_plaintext_ready(Connection& connection) {
  if (connection.relay.role == Relay::Role::upstream) {
    upstream_take_input(connection);
  } else {
    consume_input(connection, connection.input_view(), true);
  }
}

void Worker::tls_failed(Connection& connection, std::string_view reason) {
  if (connection.relay.role != Relay::Role::upstream) {
    log::write_line(log::Level::info, "https %s: %.*s", connection.remote_ip,
                    static_cast<int>(reason.size()), reason.data());
    connection.finish_after_send();  // the alert, if any, goes out first
    flush_output(connection);
    return;
  }
  if (connection.relay.stage == Relay::Stage::connecting) {
    connect_failed(connection, "TLS: " + std::string(reason));  // nothing of the request was sent
    return;
  }
  log::write_line(log::Level::error, "upstream %s: TLS: %.*s",
                  routes_[connection.relay.route].upstream->authority.c_str(),
                  static_cast<int>(reason.size()), reason.data());
  close_connection(connection);
}

void Worker::flush_tls(Connection& connection) {
  if (connection.wire_sent_bytes < connection.wire_bytes) {
    prep_send(connection, connection.wire + connection.wire_sent_bytes,
              connection.wire_bytes - connection.wire_sent_bytes);
    return;
  }
  connection.wire_bytes = 0;
  connection.wire_sent_bytes = 0;
  std::uint32_t unsealed = connection.output_bytes - connection.output_sent_bytes;
  if (unsealed > 0 && connection.session->established()) {
    http::OutputArea wire = wire_area(connection);
    tls::SessionResult result = connection.session->send(
        {connection.output + connection.output_sent_bytes, unsealed}, wire);
    if (result.status == tls::SessionStatus::failed) {
      close_connection(connection);
      return;
    }
    connection.output_sent_bytes += static_cast<std::uint32_t>(result.plaintext_bytes);
    connection.wire_bytes = static_cast<std::uint32_t>(wire.size);
    if (connection.wire_bytes > 0) {
      prep_send(connection, connection.wire, connection.wire_bytes);
      return;
    }
  }
  if (connection.wire != nullptr) output_pool_.give_back(connection.wire);
  connection.wire = nullptr;
  if (connection.output_sent_bytes >= connection.output_bytes &&
      (connection.output_bytes > 0 || connection.finishing() || connection.paused())) {
    after_output_drained(connection);
  }
}

bool Worker::send_close_notify(Connection& connection) {
  if (connection.close_notify_sent || !connection.session->established()) return false;
  connection.close_notify_sent = true;
  http::OutputArea wire = wire_area(connection);
  connection.session->close(wire);
  connection.wire_bytes = static_cast<std::uint32_t>(wire.size);
  if (connection.wire_bytes == 0) return false;
  prep_send(connection, connection.wire, connection.wire_bytes);
  return true;
}

bool Worker::answer_site(Connection& connection, const http::RequestHead& head,
                         std::string_view request) {
  bool keep_alive = head.keep_alive && !head.has_body() && !stopping_;
  PendingRequest logged = pending_request(head, keep_alive, request.size(), now_unix_ns_);
  const proxy::SiteRouter& sites = connection.snapshot->sites;
  std::size_t site_index = sites.route(head);
  if (sites.site(site_index).proxied) {
    return start_proxy(connection, head, request, static_cast<std::uint32_t>(site_index));
  }
  const proxy::SiteAnswer& site = sites.site(site_index).answer;
  LocalResponse response;
  response.status = site.status;
  response.keep_alive = keep_alive;
  response.extra_headers = site.extra_headers;
  return respond(connection, logged, response, WhenFull::wait);
}

}  // namespace ringway::app
