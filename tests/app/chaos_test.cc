// Every fault at once over the fake ring: the ring's (partial receives, short
// sends, squeezed buffers, reordered and late completions), clients that reset
// at random moments, upstreams that refuse, drop and time out connects, close
// or reset pooled connections under a request, reset halfway through an
// answer or close after it; the fallback and the ACME peer fail too. Answers
// may then be missing, cut short, or a 502/504, but never wrong, doubled or
// out of order; and after the worker drains no slot, buffer or descriptor is
// left, no buffer was used after its release, and run() returns after
// request_stop.
//
// A failing seed prints "chaos seed N"; replay it with
//   RINGWAY_FAKE_SEED=N build/tests/app/chaos_test
// (RINGWAY_FAKE_SEEDS=M runs M seeds; RINGWAY_FAKE_TRACE=1 prints every
// operation and completion).
#include <gtest/gtest.h>

#include <string>

#include "proxy_scripts.h"
#include "seed_runner.h"

namespace ringway::fake {
namespace {

Faults chaos_faults() {
  Faults faults = transparent_faults();
  faults.buffer_squeeze = 0.05;
  faults.reorder = 0.5;
  return faults;
}

// A body that reaches the client delimited by the close: the upstream's own
// (/close/...) or one de-chunked for an HTTP/1.0 client.
bool ends_at_close(const Exchange& exchange) {
  return exchange.request.starts_with("GET /close/") ||
         exchange.request.find(" HTTP/1.0\r\n") != std::string::npos;
}

Exchange chaos_exchange(FakeRing& ring, bool last) {
  std::string token = std::to_string(ring.uniform(0, 99999));
  Exchange exchange;
  switch (ring.uniform(0, 5)) {
    case 0:
      exchange.request = "GET /r" + token + " HTTP/1.1\r\nHost: other.test\r\n\r\n";
      exchange.expect.status = 301;
      exchange.expect.location = "https://other.test/r" + token;
      break;
    case 1:
      exchange.request = proxied_request("GET", "/.well-known/acme-challenge/here0");
      exchange.expect.body = "local-0\n";
      break;
    case 2:
      exchange.request = proxied_request("GET", "/.well-known/acme-challenge/peer" + token);
      exchange.expect.body = "peer:peer" + token;
      exchange.expect.or_status = {502, 504};
      break;
    default:
      exchange = proxy_exchange(ring, {.bytes_max = 100000}, last);
      exchange.expect.or_status = {502, 504};
      exchange.expect.prefix_at_close = ends_at_close(exchange);
      break;
  }
  return exchange;
}

// One chaos run; fingerprint (when given) gets what a replay must repeat.
// stop_early: the worker is asked to stop while clients are still busy.
std::string chaos_run(std::uint64_t seed, std::string* fingerprint, bool stop_early = false) {
  FakeWorld world(seed, proxy_config(true, true), chaos_faults());
  if (stop_early) world.stop_at(world.ring().uniform(0, 1600));
  world.add_challenge("here0", "local-0\n");
  world.add_upstream(local_port, {.name = "local",
                                  .refuse = 0.1,
                                  .never_answer = 0.05,
                                  .time_out = 0.05,
                                  .close_unanswered = 0.2,
                                  .reset_unanswered = 0.1,
                                  .idle_close = 0.2,
                                  .reset_midway = 0.1,
                                  .close_after_answer = 0.1,
                                  .silent = 0.02,
                                  .garbage = 0.02});
  world.add_upstream(fallback_port, {.name = "fallback", .refuse = 0.3, .reset_midway = 0.1});
  world.add_upstream(peer_port, {.name = "peer", .refuse = 0.2, .reset_midway = 0.1});
  std::size_t clients = world.ring().uniform(1, 6);
  for (std::size_t index = 0; index < clients; ++index) {
    ClientScript script;
    std::size_t count = world.ring().uniform(1, 4);
    for (std::size_t exchange = 0; exchange < count; ++exchange) {
      script.exchanges.push_back(chaos_exchange(world.ring(), exchange + 1 == count));
    }
    script.pipeline = world.ring().chance(0.5);
    script.end = static_cast<ClientEnd>(world.ring().uniform(0, 3));  // reset too
    script.lenient = true;
    world.add_client(script, world.ring().uniform(0, 1500));
  }
  std::string failure = world.run();
  if (fingerprint != nullptr) {
    *fingerprint = failure + "|" + std::to_string(world.ring().turns()) + "|" +
                   std::to_string(world.ring().elapsed_ms()) + "|" + world.ring().access_log();
  }
  return failure;
}

std::string chaos_seed(std::uint64_t seed) {
  return chaos_run(seed, nullptr);
}

TEST(FakeRingChaos, EveryFaultAtOnceLeavesNothingBehind) {
  EXPECT_TRUE(run_seeds("chaos", 1500, chaos_seed));
}

// A graceful stop in the middle of it all: exchanges in flight finish or are
// cut when the shutdown deadline passes, late clients are refused, and the
// worker still drains completely.
std::string stop_seed(std::uint64_t seed) {
  return chaos_run(seed, nullptr, true);
}

TEST(FakeRingChaos, AStopWhileBusyDrains) {
  EXPECT_TRUE(run_seeds("chaos-stop", 800, stop_seed));
}

// What makes a printed seed worth anything: it runs the same way again.
std::string replay_seed(std::uint64_t seed) {
  std::string first, second;
  chaos_run(seed, &first);
  chaos_run(seed, &second);
  return first == second ? std::string() : "two runs of one seed differ";
}

TEST(FakeRingChaos, ASeedReplaysExactly) {
  EXPECT_TRUE(run_seeds("chaos-replay", 30, replay_seed));
}

// When the upstream resets (or, for an HTTP/1.0 client, its chunked body
// stops) partway through a body that reaches the client delimited by the
// close, the client must see a reset, never a clean end it would take for the
// whole body.
std::string cut_at_close_seed(std::uint64_t seed) {
  FakeWorld world(seed, proxy_config(false, false), chaos_faults());
  world.add_upstream(local_port, {.name = "local", .reset_midway = 1});
  ClientScript script;
  std::size_t bytes = world.ring().uniform(1000, 60000);
  script.exchanges.push_back(
      {proxied_request("GET", "/close/" + std::to_string(bytes) + "/7"), false, {}});
  script.exchanges.back().expect.body = body_pattern(bytes, 7);
  script.exchanges.back().expect.or_status = {502};
  script.exchanges.back().expect.closes = true;
  script.lenient = true;  // a reset with no answer is right
  world.add_client(script, 0);
  return world.run();
}

TEST(FakeRingChaos, AnUpstreamResetInACloseDelimitedBodyResetsTheClient) {
  EXPECT_TRUE(run_seeds("cut-at-close", 200, cut_at_close_seed));
}

}  // namespace
}  // namespace ringway::fake
