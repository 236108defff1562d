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
  if (store && !store->empty() && keys &&
      connection.session.open_server(store, settings_.index, keys)) {
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
  if (connection.relay.role == Relay::Role::upstream) {
    if (connection.tls) {
      upstream_tls_receive(connection, data);
    } else {
      upstream_receive(connection, data, false);
    }
  } else if (connection.tls) {
    tls_receive(connection, data);
  } else {
    consume_input(connection, data, false);
  }
}

http::OutputArea Worker::wire_area(Connection& connection) {
  if (connection.wire == nullptr) connection.wire = output_pool_.take();
  return {connection.wire, connection.wire_bytes, output_pool_.chunk_bytes()};
}

void Worker::tls_receive(Connection& connection, std::string_view ciphertext) {
  if (connection.relay.role == Relay::Role::upstream) {
    upstream_tls_receive(connection, ciphertext);  // ringway is the client there
    return;
  }
  for (;;) {
    if (connection.input == nullptr) connection.input = input_pool_.take();
    // Plaintext lands after what is still unparsed; the parser's head limit
    // keeps that well below the chunk size.
    std::span<char> plaintext{connection.input + connection.input_bytes,
                              input_pool_.chunk_bytes() - connection.input_bytes};
    http::OutputArea wire = wire_area(connection);
    tls::SessionResult result = connection.session.receive(ciphertext, plaintext, wire);
    ciphertext = {};  // the session kept whatever it did not use
    connection.wire_bytes = static_cast<std::uint32_t>(wire.size);
    connection.input_bytes += static_cast<std::uint32_t>(result.plaintext_bytes);
    switch (result.status) {
      case tls::SessionStatus::failed:
        log::write_line(log::Level::info, "https %s: %.*s", connection.remote_ip,
                        static_cast<int>(connection.session.failure_reason().size()),
                        connection.session.failure_reason().data());
        connection.close_after_send = true;  // the alert, if any, goes out first
        flush_output(connection);
        return;
      case tls::SessionStatus::closed:
        connection.close_after_send = true;
        flush_output(connection);
        return;
      case tls::SessionStatus::need_output_room:
        connection.paused = true;  // resume_input goes on once the records are out
        pause_receiving(connection);
        flush_output(connection);
        return;
      default:
        break;
    }
    if (connection.input_bytes == 0) {
      // Handshake records only: a connection that is done with its handshake
      // and sends nothing yet holds no input chunk.
      input_pool_.give_back(connection.input);
      connection.input = nullptr;
      flush_output(connection);
      return;
    }
    consume_input(connection, connection.input_view(), true);
    bool more = result.status == tls::SessionStatus::plaintext_full;
    if (!more || connection.paused || connection.closing || connection.close_after_send) return;
  }
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
  if (unsealed > 0 && connection.session.established()) {
    http::OutputArea wire = wire_area(connection);
    tls::SessionResult result =
        connection.session.send({connection.output + connection.output_sent_bytes, unsealed}, wire);
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
      (connection.output_bytes > 0 || connection.close_after_send || connection.paused)) {
    after_output_drained(connection);
  }
}

bool Worker::send_close_notify(Connection& connection) {
  if (connection.close_notify_sent || !connection.session.established()) return false;
  connection.close_notify_sent = true;
  http::OutputArea wire = wire_area(connection);
  connection.session.close(wire);
  connection.wire_bytes = static_cast<std::uint32_t>(wire.size);
  if (connection.wire_bytes == 0) return false;
  prep_send(connection, connection.wire, connection.wire_bytes);
  return true;
}

bool Worker::answer_site(Connection& connection, const http::RequestHead& head,
                         std::string_view request) {
  bool keep_alive = head.keep_alive && !head.has_body() && !stopping_;
  PendingRequest logged = pending_request(head, keep_alive, request.size(), now_unix_ns_);
  std::size_t site_index = settings_.sites->route(head);
  if (settings_.sites->site(site_index).proxied) {
    return start_proxy(connection, head, request, static_cast<std::uint32_t>(site_index));
  }
  const proxy::SiteAnswer& site = settings_.sites->site(site_index).answer;
  http::OutputArea out = output_area(connection);
  http::ResponseOptions options{
      {date_, sizeof date_}, keep_alive, logged.head_only, site.extra_headers};
  if (!http::write_status(out, options, site.status)) {
    connection.paused = connection.output_bytes > 0;  // wait for room, then answer again
    if (!connection.paused) close_connection(connection);
    return false;
  }
  connection.output_bytes = static_cast<std::uint32_t>(out.size);
  if (connection.sending) need_send_completion(connection);
  log_access(connection, logged, site.status,
             logged.head_only ? 0 : http::status_body_bytes(site.status));
  if (!keep_alive) connection.close_after_send = true;
  return true;
}

}  // namespace ringway::app
