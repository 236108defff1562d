#pragma once
// A scripted HTTP client on a fake link: it sends its requests split at random
// points (all at once when pipelining, else each after the previous answer),
// reads the answers and checks each against what the script expects: exactly
// one answer per request, in order, bodies complete and byte-exact.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "../io/fake_ring.h"
#include "http_messages.h"

namespace ringway::fake {

struct Expect {
  int status = 200;  // 0: no answer comes (a head never finished); the worker closes
  // Also acceptable where a fault allows them (a 502 after an upstream reset);
  // their body is not checked and they may close the connection.
  std::vector<int> or_status;
  std::optional<std::string> body;  // checked when set
  std::string location;             // checked when set
  std::string upstream;             // checked when set: the X-Upstream that answered
  bool closes = false;              // the answer says Connection: close, and the connection ends
  // A body that ends with the connection: a prefix passes too. The worker ends
  // it with a clean close even when the upstream died midway (a known issue,
  // see chaos_test.cc), so a client cannot tell a cut one from the whole.
  bool prefix_at_close = false;
};

struct Exchange {
  std::string request;
  bool head = false;  // a HEAD: the answer has no body
  Expect expect;
};

enum class ClientEnd : std::uint8_t {
  close,       // closes once every answer is in
  half_close,  // shuts its write side after the last request, then reads the answers
  stay,        // stays connected: the worker closes it (keepalive timeout, stop)
  reset,       // resets the connection at a random moment
};

struct ClientScript {
  std::vector<Exchange> exchanges;
  bool pipeline = false;
  ClientEnd end = ClientEnd::close;
  // Faults that may cut a response short or end the connection early: answers
  // may be missing or truncated, but never wrong, doubled or out of order.
  bool lenient = false;
  // Done only once the worker ended the connection (a timeout), not at the last answer.
  bool wait_for_close = false;
};

class FakeClient final : public Peer {
 public:
  FakeClient(FakeRing& ring, int listener_fd, ClientScript script, std::string name);

  void start();  // connects and sends
  // Every answer it waits for is in, or its connection ended.
  bool done() const { return done_; }
  std::uint32_t answers() const { return answered_; }

  void on_bytes(std::string_view bytes) override;
  void on_end(bool reset) override;

 private:
  void send_request(std::size_t index);
  void send_pieces(const std::string& bytes, std::size_t pieces_max, bool then_shutdown);
  void read_answers(bool at_end);
  void check_answer(const Exchange& exchange, const Message& answer);
  void after_answer();
  std::size_t answers_due() const;
  void fail(const std::string& what);

  FakeRing& ring_;
  int listener_fd_;
  ClientScript script_;
  std::string name_;
  LinkId link_ = 0;
  bool connected_ = false;
  std::string inbox_;
  std::uint32_t answered_ = 0;
  std::size_t sent_requests_ = 0;
  std::uint64_t send_at_ms_ = 0;  // pieces go out in order
  bool closed_by_answer_ = false;
  bool ended_ = false;         // the worker closed or reset the connection
  bool closed_by_us_ = false;  // closed or reset it ourselves
  bool done_ = false;
};

}  // namespace ringway::fake
