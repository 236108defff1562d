#pragma once
// A scripted upstream server behind a fake address: it accepts, refuses or
// never answers connects, reads each forwarded request and answers by its
// target, split at random points; faults close or reset connections.
//
// Targets: /cl/<bytes>/<salt> (Content-Length), /chunked/<bytes>/<salt>,
// /close/<bytes>/<salt> (the body ends with the connection), /echo (the request
// body back), /.well-known/acme-challenge/<token> (200 "peer:<token>" for a
// token starting with "peer", else 404); anything else is 404. The body of the
// first three is body_pattern(bytes, salt).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../io/fake_ring.h"
#include "http_messages.h"

namespace ringway::fake {

struct UpstreamPlan {
  std::string name;  // sent back as X-Upstream
  // Per connect attempt (they add up; the rest accept):
  double refuse = 0;
  double never_answer = 0;  // the SYN is dropped: the worker's timeout decides
  double time_out = 0;      // the connect fails with ETIMEDOUT after a while
  // Per request on a connection that answered before (the race with a pooled
  // connection's idle close): closed (or reset) without an answer.
  double close_unanswered = 0;
  double reset_unanswered = 0;
  double idle_close = 0;          // after an answer: the connection is closed soon after
  double reset_midway = 0;        // per answer: reset partway through it
  double close_after_answer = 0;  // per answer: "Connection: close" and a close after it
  double silent = 0;   // per request: never answered (the worker's response timeout decides)
  double garbage = 0;  // per request: answered with a head that does not parse
};

// What an upstream saw, for the tests' assertions.
struct UpstreamCounts {
  std::uint32_t connect_attempts = 0;
  std::uint32_t connections = 0;
  std::uint32_t requests = 0;
  std::uint32_t reused_requests = 0;  // on a connection that answered before
};

class FakeUpstream;

class UpstreamConnection final : public Peer {
 public:
  UpstreamConnection(FakeRing& ring, FakeUpstream& server, LinkId link);
  void on_bytes(std::string_view bytes) override;
  void on_end(bool reset) override;

 private:
  void answer(const Message& request);
  std::string response_for(const Message& request, bool& closes);
  void send_answer(const std::string& bytes, bool then_close);
  void close_soon();

  FakeRing& ring_;
  FakeUpstream& server_;
  LinkId link_;
  std::string inbox_;
  std::uint32_t answered_ = 0;
  bool answering_ = false;  // an answer is still going out
  bool closed_ = false;
  std::uint64_t send_at_ms_ = 0;
};

class FakeUpstream final : public Listener {
 public:
  FakeUpstream(FakeRing& ring, UpstreamPlan plan) : ring_(ring), plan_(std::move(plan)) {}

  Answer answer_connect(LinkId link) override;
  Peer* accept(LinkId link) override;

  const UpstreamPlan& plan() const { return plan_; }
  void set_plan(const UpstreamPlan& plan) { plan_ = plan; }
  FakeRing& ring() { return ring_; }

  const UpstreamCounts& counts() const { return counts_; }
  void count_request(bool reused);

 private:
  FakeRing& ring_;
  UpstreamPlan plan_;
  UpstreamCounts counts_;
  std::vector<std::unique_ptr<UpstreamConnection>> connections_;
};

}  // namespace ringway::fake
