#pragma once
// A TLS session with no I/O of its own, server side (a client of ours) or
// client side (an https upstream): ciphertext goes in as borrowed views and
// comes out into a caller-owned output area; plaintext goes out into caller
// memory. wolfSSL only ever sees memory, never a socket.
//
// How a worker drives it (after every call, send out's bytes if it holds any):
//  - client side only, once connected: receive({}, plaintext_area, out) queues the
//    ClientHello in out (want_input); go on as below until handshake_completed.
//  - receive completion: receive(buffer_view, plaintext_area, out); the buffer can be
//    recycled right after: what wolfSSL did not take is copied into the session.
//    Hand result.plaintext_bytes to the HTTP parser. Then by result.status:
//    want_input: arm the next receive; plaintext_full: call receive({}, ...) again
//    once the plaintext is consumed; need_output_room: flush out, then receive({}, ...);
//    closed: the peer sent close_notify: close(out), flush, close the socket;
//    failed: flush out (it may hold an alert), log failure_reason(), close.
//  - plaintext to send: send(plaintext, out); advance plaintext by result.plaintext_bytes;
//    on need_output_room flush out and call send() again with the rest.
//  - handshake timeout: established() is false when the timer fires.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "ringway/base/output_area.h"
#include "ringway/tls/certificate_store.h"
#include "ringway/tls/client_context.h"
#include "ringway/tls/ticket_keys.h"

struct WOLFSSL;  // wolfSSL's, kept opaque so only src/tls/ includes wolfSSL

namespace ringway::tls {

// Where ciphertext goes: the same shape as the HTTP response writer's area.
using OutputArea = base::OutputArea;

enum class SessionStatus : std::uint8_t {
  want_input,        // everything given was used; call again when more ciphertext arrives
  plaintext_full,    // the plaintext area is full; consume it, then receive({}) again
  need_output_room,  // out is full; send it, then call the same function again
  done,              // send() or close(): all plaintext taken, all records are in out
  closed,            // the peer sent close_notify: nothing more will come
  failed,            // fatal (bad record, refused version or cipher): see failure_reason()
};

struct SessionResult {
  SessionStatus status = SessionStatus::want_input;
  std::size_t plaintext_bytes = 0;   // receive: written to the area; send: taken from the input
  bool handshake_completed = false;  // the handshake finished during this call (once)
};

class Session {
 public:
  Session() = default;
  Session(Session&& other) noexcept;
  Session& operator=(Session&& other) noexcept;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session();

  // Starts a server handshake on context set `set` (the worker's index) of store.
  // The session keeps store and keys alive until reset(). False when the store
  // serves no site. wolfSSL's session is made when the ClientHello is in, on the
  // context of the site its SNI names.
  bool open_server(std::shared_ptr<const CertificateStore> store, std::size_t set,
                   std::shared_ptr<const TicketKeys> keys);
  // Starts a client handshake to `host`: a DNS name is sent as SNI and must be
  // among the certificate's names; an IP literal (no brackets) is not sent and
  // must be among its addresses. The session keeps context alive until reset().
  // False when wolfSSL cannot allocate a session.
  bool open_client(std::shared_ptr<const ClientContext> context, const std::string& host);
  // Frees everything; the object can be opened again (connection slots are reused).
  void reset();
  bool is_open() const { return ssl_ != nullptr || store_ != nullptr; }

  // Ciphertext in, plaintext out; handshake records go to out. ciphertext is
  // borrowed for this call only. With an empty ciphertext, it goes on with what
  // the session kept. plaintext must not be empty.
  SessionResult receive(std::string_view ciphertext, std::span<char> plaintext, OutputArea& out);
  // Encrypts plaintext into records in out; see SessionStatus for partial progress.
  // Only after the handshake completed.
  SessionResult send(std::string_view plaintext, OutputArea& out);
  // Queues close_notify in out: done or need_output_room (then call again).
  SessionResult close(OutputArea& out);

  bool established() const { return established_; }
  // Ciphertext kept between calls (a partial record or records not yet read).
  std::size_t buffered_input_bytes() const { return pending_bytes_ - pending_offset_; }

  // For logs; empty until known.
  std::string_view server_name() const { return server_name_; }  // server side: SNI as sent
  std::string_view alpn() const;              // negotiated protocol, e.g. "http/1.1"
  std::string_view protocol_version() const;  // "TLSv1.3", "TLSv1.2"
  std::string_view cipher() const;            // e.g. "TLS13-AES128-GCM-SHA256"
  bool resumed() const;                       // resumed from a session ticket
  // Why the session failed, one line (static text); empty unless failed.
  std::string_view failure_reason() const { return failure_reason_; }

 private:
  friend struct SessionAccess;  // the wolfSSL callbacks (session.cc)

  // Server side: creates the WOLFSSL once the whole ClientHello is in, on the
  // context of the site its SNI names; false while it is incomplete or when that failed.
  bool start_server_handshake();
  SessionResult advance(std::span<char> plaintext);
  SessionResult fail(int wolfssl_result);
  void bind(std::string_view ciphertext, OutputArea* out);
  void keep_unconsumed();
  std::size_t take_input(char* buffer, std::size_t size);

  WOLFSSL* ssl_ = nullptr;
  std::shared_ptr<const CertificateStore> store_;
  std::shared_ptr<const TicketKeys> ticket_keys_;
  std::size_t set_ = 0;
  std::string server_name_;                              // server side: SNI from the ClientHello
  std::shared_ptr<const ClientContext> client_context_;  // set on the client side only

  // Set only during a call: the borrowed ciphertext and the caller's output.
  std::string_view borrowed_;
  OutputArea* out_ = nullptr;

  // Ciphertext that outlived its call; allocated only while it holds bytes.
  std::unique_ptr<char[]> pending_;
  std::uint32_t pending_bytes_ = 0;
  std::uint32_t pending_offset_ = 0;
  std::uint32_t pending_capacity_ = 0;

  bool client_ = false;
  bool established_ = false;
  bool failed_ = false;
  std::string_view failure_reason_;
};

}  // namespace ringway::tls
