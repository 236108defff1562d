// TLS streams: ciphertext from the ring goes through the stream's session into
// its plaintext input, and output is sealed into records just before it is
// sent. One path for the server side (accepted) and the client side (connected).
#include <string>

#include "ringway/log/error_log.h"
#include "ringway/transport/transport.h"

namespace ringway::transport {

tls::Session& Transport::session_of(Stream& stream) {
  if (stream.session == nullptr) stream.session = sessions_.take();
  return *stream.session;
}

bool Transport::open_server_tls(Stream& stream,
                                const std::shared_ptr<const tls::CertificateStore>& store,
                                std::size_t context_index,
                                const std::shared_ptr<const tls::TicketKeys>& ticket_keys) {
  stream.tls = true;
  return store && !store->empty() && ticket_keys &&
         session_of(stream).open_server(store, context_index, ticket_keys);
}

bool Transport::open_client_tls(Stream& stream,
                                const std::shared_ptr<const tls::ClientContext>& context,
                                const std::string& host) {
  stream.tls = true;
  if (!session_of(stream).open_client(context, host)) return false;
  receive_tls(stream, {});  // queues the ClientHello
  return true;
}

base::OutputArea Transport::wire_area(Stream& stream) {
  if (stream.wire == nullptr) stream.wire = output_pool_.take();
  return {stream.wire, stream.wire_bytes, output_pool_.chunk_bytes()};
}

// Ciphertext in, plaintext into the stream's input for its codec, handshake
// and alert records out. The sides differ only in what an event means.
void Transport::receive_tls(Stream& stream, std::string_view ciphertext) {
  bool connected = stream.side == Side::connected;
  if (connected && !stream.session->is_open()) return;
  for (;;) {
    if (stream.input == nullptr) stream.input = input_pool_.take();
    // Plaintext lands after what is still unparsed; on the server side the
    // parser's head limit keeps that well below the chunk size.
    std::span<char> plaintext{stream.input + stream.input_bytes,
                              input_pool_.chunk_bytes() - stream.input_bytes};
    if (plaintext.empty()) {  // an unfinished response head as large as the chunk
      close(stream);
      return;
    }
    base::OutputArea wire = wire_area(stream);
    tls::SessionResult result = stream.session->receive(ciphertext, plaintext, wire);
    ciphertext = {};  // the session kept whatever it did not use
    stream.wire_bytes = static_cast<std::uint32_t>(wire.size);
    stream.input_bytes += static_cast<std::uint32_t>(result.plaintext_bytes);
    if (result.handshake_completed && connected) codec_.on_handshake_done(stream);
    switch (result.status) {
      case tls::SessionStatus::failed:
        tls_failed(stream, stream.session->failure_reason());
        return;
      case tls::SessionStatus::need_output_room:
        if (connected) {
          // Handshake messages far larger than a chunk: not TLS as we know it.
          tls_failed(stream, "handshake records larger than the output chunk");
          return;
        }
        stream.pause();  // resume_input goes on once the records are out
        pause_receiving(stream);
        flush(stream);
        return;
      case tls::SessionStatus::closed:
        if (!connected) {  // a client's close_notify: nothing more to answer
          stream.finish_after_send();
          flush(stream);
          return;
        }
        break;  // an upstream's: what came before it is still relayed
      default:
        break;
    }
    if (stream.input_bytes > 0) {
      codec_.on_input(stream);
    } else {
      // Handshake or ticket records only: a stream that is done with its
      // handshake and sends nothing yet holds no input chunk.
      input_pool_.give_back(stream.input);
      stream.input = nullptr;
      if (!connected) flush(stream);
    }
    if (stream.closing()) return;
    if (connected) {
      flush(stream);  // handshake records, or the request once established
      if (result.status == tls::SessionStatus::closed) {
        codec_.on_end_of_stream(stream);  // close_notify: the same as its FIN
        return;
      }
    }
    bool more = result.status == tls::SessionStatus::plaintext_full;
    if (!more || stream.paused() || stream.finishing()) return;
  }
}

void Transport::tls_failed(Stream& stream, std::string_view reason) {
  if (stream.side == Side::connected) {
    codec_.on_tls_failed(stream, reason);
    return;
  }
  log::write_line(log::Level::info, "https %s: %.*s", stream.remote_ip,
                  static_cast<int>(reason.size()), reason.data());
  stream.finish_after_send();  // the alert, if any, goes out first
  flush(stream);
}

void Transport::flush_tls(Stream& stream) {
  if (stream.wire_sent_bytes < stream.wire_bytes) {
    send(stream, stream.wire + stream.wire_sent_bytes, stream.wire_bytes - stream.wire_sent_bytes);
    return;
  }
  stream.wire_bytes = 0;
  stream.wire_sent_bytes = 0;
  std::uint32_t unsealed = stream.output_bytes - stream.output_sent_bytes;
  if (unsealed > 0 && stream.session->established()) {
    base::OutputArea wire = wire_area(stream);
    tls::SessionResult result =
        stream.session->send({stream.output + stream.output_sent_bytes, unsealed}, wire);
    if (result.status == tls::SessionStatus::failed) {
      close(stream);
      return;
    }
    stream.output_sent_bytes += static_cast<std::uint32_t>(result.plaintext_bytes);
    stream.wire_bytes = static_cast<std::uint32_t>(wire.size);
    if (stream.wire_bytes > 0) {
      send(stream, stream.wire, stream.wire_bytes);
      return;
    }
  }
  if (stream.wire != nullptr) output_pool_.give_back(stream.wire);
  stream.wire = nullptr;
  if (stream.output_sent_bytes >= stream.output_bytes &&
      (stream.output_bytes > 0 || stream.finishing() || stream.paused())) {
    output_drained(stream);
  }
}

bool Transport::send_close_notify(Stream& stream) {
  if (stream.close_notify_sent || !stream.session->established()) return false;
  stream.close_notify_sent = true;
  base::OutputArea wire = wire_area(stream);
  stream.session->close(wire);
  stream.wire_bytes = static_cast<std::uint32_t>(wire.size);
  if (stream.wire_bytes == 0) return false;
  send(stream, stream.wire, stream.wire_bytes);
  return true;
}

}  // namespace ringway::transport
