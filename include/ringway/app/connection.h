#pragma once
// One slot of a worker's connection slab. Everything a connection owns is
// reachable from here; the slot is freed only when nothing is in flight for it.

#include <sys/socket.h>

#include <cstdint>
#include <string_view>

#include "ringway/http/body_framing.h"
#include "ringway/http/request_head.h"
#include "ringway/io/timer_wheel.h"
#include "ringway/tls/session.h"

namespace ringway::app {

struct ServingSnapshot;

// What a challenge response needs once its file has been read. The views point
// into the connection's own input chunk, which stays put until the response is out.
struct PendingRequest {
  std::string_view method;
  std::string_view target;
  std::string_view host;
  std::string_view user_agent;
  std::string_view referer;
  std::uint8_t version_minor = 1;
  bool keep_alive = true;
  bool head_only = false;
  std::uint32_t head_bytes = 0;
  std::int64_t start_unix_ns = 0;
};

// What the access log needs of a request, taken from its parsed head.
inline PendingRequest pending_request(const http::RequestHead& head, bool keep_alive,
                                      std::size_t head_bytes, std::int64_t start_unix_ns) {
  return {head.method_text,
          head.target,
          head.host,
          head.user_agent,
          head.referer,
          head.version_minor,
          keep_alive,
          head.method == http::Method::head,
          static_cast<std::uint32_t>(head_bytes),
          start_unix_ns};
}

// Where a connection stands in a proxied exchange (see worker_proxy.cc). Kept in
// every slot because every path asks; the rest of an exchange is an Exchange.
struct Relay {
  enum class Role : std::uint8_t { client, upstream };
  enum class Stage : std::uint8_t {
    none,           // a client not proxying, or an upstream connection in its pool
    connecting,     // upstream: connect in flight
    request,        // the request (head and body) is on its way upstream
    response_head,  // upstream: waiting for the response head
    response_body,  // the response body streams to the client
  };
  Role role = Role::client;
  Stage stage = Stage::none;
  bool linked = false;  // peer_* name the other connection of this exchange
  std::uint32_t peer_slot = 0;
  std::uint32_t peer_generation = 0;
  // Worker::routes_: the upstream (and pool) of this exchange; a client's moves to
  // its site's fallback when the upstream cannot be reached.
  std::uint32_t route = 0;
};

// What only a connection that proxies (either side) or waits for a challenge
// file needs: taken from the worker's pool on first use, so an idle plain
// connection holds none.
struct Exchange {
  http::Method method = http::Method::get;  // of the request, for the response framing
  bool client_keep_alive = true;
  bool reused = false;   // upstream: taken from the pool (so it may have been closed under us)
  bool retried = false;  // client: sent again after an upstream closed without answering
  bool upstream_reusable = false;
  std::uint32_t attempt = 0;  // upstream: which of the site's addresses, from the first tried
  std::uint64_t address_generation = 0;  // upstream: the address set it was chosen from
  char* request_copy = nullptr;          // client: the request head, for the log and a retry
  std::uint32_t request_copy_bytes = 0;
  std::uint32_t request_head_bytes = 0;                // upstream: the head's share of its output
  http::BodyFraming body = http::BodyFraming::none();  // the body being relayed by this side
  PendingRequest logged;  // client: for the access log once the response ends
  int status = 0;
  std::uint64_t body_bytes = 0;         // response body bytes relayed, for the log
  sockaddr_storage upstream_address{};  // upstream: where it connects, kept for the connect op
  PendingRequest pending;  // a challenge: what its response needs once the file is read
};

// The request moved from base to new_base: move its views along.
inline void rebase(PendingRequest& request, const char* base, const char* new_base) {
  for (std::string_view* view :
       {&request.method, &request.target, &request.host, &request.user_agent, &request.referer}) {
    if (view->data() != nullptr) *view = {new_base + (view->data() - base), view->size()};
  }
}

struct Connection {
  int fd = -1;
  std::uint32_t generation = 0;
  std::uint32_t next_free = 0;

  // Where the connection is in its life. Only forward: open -> finishing ->
  // lingering -> closing, and closing from anywhere (see the transitions below).
  enum class Lifecycle : std::uint8_t {
    open,       // requests are read and answered
    finishing,  // the last response is queued: no more requests, close once it is out
    lingering,  // our side is shut; the client's unread bytes drain until EOF or a timeout
    closing,    // close submitted or about to be; the slot is freed once nothing is in flight
  };
  // The receive armed on the socket, if any.
  enum class Receive : std::uint8_t {
    idle,             // none: the connection is paused, closing, or the peer closed
    buffers,          // a receive into the provided buffer ring
    direct,           // a receive straight into the input chunk (a relayed response body)
    stopping,         // the buffer-ring receive's cancel is on its way (paused)
    stopping_direct,  // the same for a direct receive
  };

  // What new input waits for before it is read on.
  enum class InputWait : std::uint8_t {
    none,
    output_room,  // earlier output must drain first (or the upstream's, for a request body)
    file,         // a challenge is not answered until its file is read
  };

  Lifecycle lifecycle = Lifecycle::open;
  Receive receive = Receive::idle;
  InputWait input_wait = InputWait::none;
  bool in_use = false;
  // Independent of the state above: what is in flight, and what the peer did.
  bool sending = false;
  bool file_busy = false;    // a file operation (open, read, close) is in flight
  bool connecting = false;   // an upstream connect is in flight
  bool peer_closed = false;  // the peer half-closed: answer what came, then close

  bool closing() const { return lifecycle == Lifecycle::closing; }
  // No more requests are read: the last response is queued, or it is later than that.
  bool finishing() const { return lifecycle >= Lifecycle::finishing; }
  bool lingering() const { return lifecycle == Lifecycle::lingering; }
  void finish_after_send() {
    if (lifecycle < Lifecycle::finishing) lifecycle = Lifecycle::finishing;
  }
  void start_lingering() { lifecycle = Lifecycle::lingering; }  // from finishing only
  void start_closing() { lifecycle = Lifecycle::closing; }

  bool paused() const { return input_wait != InputWait::none; }
  bool awaiting_file() const { return input_wait == InputWait::file; }
  // Input waits; a challenge that waits for its file goes on waiting for it.
  void pause() {
    if (input_wait == InputWait::none) input_wait = InputWait::output_room;
  }
  void resume() { input_wait = InputWait::none; }
  void await_file() { input_wait = InputWait::file; }
  void file_answered() {
    input_wait = InputWait::output_room;
  }  // resumed once the answer is queued

  bool receiving() const { return receive != Receive::idle; }
  bool receiving_direct() const {
    return receive == Receive::direct || receive == Receive::stopping_direct;
  }
  bool receive_stopping() const {
    return receive == Receive::stopping || receive == Receive::stopping_direct;
  }

  std::uint64_t send_counted_turn = 0;  // the loop turn whose wait does not expect this send
  std::uint32_t held_buffers = 0;       // receive buffers kept while paused (Worker::held_)
  std::uint64_t head_started_ms = 0;    // when the first byte of an unfinished head arrived
  std::uint64_t sent_bytes_total = 0;   // progress, for the send timeout
  std::uint64_t sent_bytes_at_timer = ~std::uint64_t{0};

  char* input = nullptr;  // unparsed bytes that outlived their receive buffer
  std::uint32_t input_bytes = 0;
  char* output = nullptr;  // queued response bytes
  std::uint32_t output_bytes = 0;
  std::uint32_t output_sent_bytes = 0;

  int file_fd = -1;

  // HTTPS: output holds plaintext responses, wire the records made of them.
  bool tls = false;
  bool close_notify_sent = false;
  tls::Session* session = nullptr;  // a client's (server side) or an https upstream's (client side)
  char* wire = nullptr;
  std::uint32_t wire_bytes = 0;
  std::uint32_t wire_sent_bytes = 0;

  // Proxying. A client connection relaying a request is linked to the upstream
  // connection carrying it (both are slots of the same slab), and the other way.
  Relay relay;
  Exchange* exchange = nullptr;               // see Worker::start_exchange
  const ServingSnapshot* snapshot = nullptr;  // taken when the connection started

  io::TimerNode timer;
  char remote_ip[46] = {};

  std::string_view input_view() const { return {input, input_bytes}; }
};

}  // namespace ringway::app
