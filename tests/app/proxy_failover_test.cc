// Failover and the ACME peer over the fake ring, many seeds per scenario: a
// local upstream that refuses, drops or times out connects sends its requests
// to the site's fallback; 502 when both fail; a challenge token missing here
// is asked for at the peer with the hop marker, and a request that already
// carries the marker gets 404. For every seed: each request gets exactly one
// answer, in order, byte-exact; every answer is logged once; no slot, buffer
// or descriptor is left after the worker drains, and run() returns after
// request_stop.
//
// A failing seed prints "<scenario> seed N"; replay it with
//   RINGWAY_FAKE_SEED=N build/tests/app/proxy_failover_test --gtest_filter=<test>
// (RINGWAY_FAKE_SEEDS=M runs M seeds instead of the default).
#include <gtest/gtest.h>

#include <string>

#include "proxy_scripts.h"
#include "seed_runner.h"

namespace ringway::fake {
namespace {

std::string logged_once(FakeWorld& world, std::string failure) {
  if (failure.empty() && world.access_log_lines() != world.answers()) {
    failure = std::to_string(world.answers()) + " answers but " +
              std::to_string(world.access_log_lines()) + " access-log lines";
  }
  return failure;
}

// How the local upstream fails this seed: refusing, dropping SYNs (the
// worker's connect timeout), ETIMEDOUT, or a mix with connects that work.
UpstreamPlan failing_local(FakeRing& ring) {
  UpstreamPlan plan{.name = "local"};
  switch (ring.uniform(0, 3)) {
    case 0:
      plan.refuse = 1;
      break;
    case 1:
      plan.never_answer = 1;
      break;
    case 2:
      plan.time_out = 1;
      break;
    default:
      plan.refuse = 0.3;
      plan.never_answer = 0.2;
      plan.time_out = 0.2;
      break;
  }
  return plan;
}

// The same, but no connect ever succeeds.
UpstreamPlan never_reached(FakeRing& ring) {
  UpstreamPlan plan = failing_local(ring);
  plan.refuse = 1 - plan.never_answer - plan.time_out;
  return plan;
}

// Nothing of a request has left when its connect fails, so every one (bodies
// too) moves to the fallback and gets the right answer.
std::string failover_seed(std::uint64_t seed) {
  FakeWorld world(seed, proxy_config(true, false), transparent_faults());
  UpstreamPlan local_plan = failing_local(world.ring());
  FakeUpstream& local = world.add_upstream(local_port, local_plan);
  FakeUpstream& fallback = world.add_upstream(fallback_port, {.name = "fallback"});
  std::size_t clients = world.ring().uniform(1, 4);
  for (std::size_t index = 0; index < clients; ++index) {
    ClientScript script = proxy_script(world.ring(), {.bytes_max = 50000}, 3);
    bool all_fail = local_plan.refuse + local_plan.never_answer + local_plan.time_out >= 1;
    for (Exchange& exchange : script.exchanges) {
      if (all_fail) exchange.expect.upstream = "fallback";
    }
    // Spread over seconds, so that some come after a probe of the local one is due.
    world.add_client(script, world.ring().uniform(0, 3000));
  }
  std::string failure = logged_once(world, world.run());
  if (failure.empty() && local.counts().requests + fallback.counts().requests == 0) {
    failure = "no upstream saw a request";
  }
  return failure;
}

TEST(FakeRingProxyFailover, UnreachableLocalUpstreamFailsOverToTheFallback) {
  EXPECT_TRUE(run_seeds("proxy-failover", 1200, failover_seed));
}

// Both unreachable: every request is answered 502 and the connection closed.
std::string both_down_seed(std::uint64_t seed) {
  FakeWorld world(seed, proxy_config(true, false), transparent_faults());
  // For some seeds nothing listens at the local address at all.
  if (world.ring().chance(0.75)) world.add_upstream(local_port, never_reached(world.ring()));
  UpstreamPlan fallback_plan = never_reached(world.ring());
  fallback_plan.name = "fallback";
  world.add_upstream(fallback_port, fallback_plan);
  std::size_t clients = world.ring().uniform(1, 4);
  for (std::size_t index = 0; index < clients; ++index) {
    ClientScript script;
    script.exchanges.push_back(proxy_exchange(world.ring(), {.bytes_max = 20000}, false));
    script.exchanges.back().expect = Expect{};
    script.exchanges.back().expect.status = 502;
    script.exchanges.back().expect.closes = true;
    script.end = static_cast<ClientEnd>(world.ring().uniform(0, 2));
    world.add_client(script, world.ring().uniform(0, 2000));
  }
  return logged_once(world, world.run());
}

TEST(FakeRingProxyFailover, BothUpstreamsUnreachableAnswer502) {
  EXPECT_TRUE(run_seeds("proxy-both-down", 600, both_down_seed));
}

// Challenge requests: present here (200), missing here but at the peer
// ("peer..." tokens, 200 from it), missing at both (404 from the peer), and
// with the hop marker already (404 here, the peer never asked).
Exchange challenge_exchange(FakeRing& ring, std::size_t& peer_bound) {
  std::string token = std::to_string(ring.uniform(0, 99999));
  std::string here = std::to_string(ring.uniform(0, 2));
  Exchange exchange;
  std::string target = "/.well-known/acme-challenge/";
  switch (ring.uniform(0, 3)) {
    case 0:
      exchange.request = proxied_request("GET", target + "here" + here);
      exchange.expect.body = "local-" + here + "\n";
      break;
    case 1:
      exchange.request = proxied_request("GET", target + "peer" + token);
      exchange.expect.body = "peer:peer" + token;
      exchange.expect.upstream = "peer";
      ++peer_bound;
      break;
    case 2:
      exchange.request = proxied_request("GET", target + "gone" + token);
      exchange.expect.status = 404;
      exchange.expect.upstream = "peer";
      ++peer_bound;
      break;
    default:
      exchange.request = proxied_request("GET", target + "peer" + token, "X-Ringway-Hop: 1\r\n");
      exchange.expect.status = 404;
      break;
  }
  return exchange;
}

std::string acme_peer_seed(std::uint64_t seed) {
  // Challenges come before proxying: the same config with a proxied p.test.
  FakeWorld world(seed, proxy_config(false, true), transparent_faults());
  for (int index = 0; index < 3; ++index) {
    world.add_challenge("here" + std::to_string(index), "local-" + std::to_string(index) + "\n");
  }
  FakeUpstream& peer = world.add_upstream(peer_port, {.name = "peer"});
  world.add_upstream(local_port, {.name = "local"});
  std::size_t peer_bound = 0;
  std::size_t clients = world.ring().uniform(1, 4);
  for (std::size_t index = 0; index < clients; ++index) {
    ClientScript script;
    std::size_t count = world.ring().uniform(1, 4);
    for (std::size_t exchange = 0; exchange < count; ++exchange) {
      script.exchanges.push_back(challenge_exchange(world.ring(), peer_bound));
    }
    script.pipeline = world.ring().chance(0.5);
    script.end = static_cast<ClientEnd>(world.ring().uniform(0, 2));
    world.add_client(script, world.ring().uniform(0, 20));
  }
  std::string failure = logged_once(world, world.run());
  if (failure.empty() && peer.counts().requests != peer_bound) {
    failure = "the peer saw " + std::to_string(peer.counts().requests) + " requests, " +
              std::to_string(peer_bound) + " were for it";
  }
  return failure;  // the peer itself fails a request without the hop marker
}

TEST(FakeRingAcmePeer, MissingTokensAreAskedForAtThePeerOnce) {
  EXPECT_TRUE(run_seeds("acme-peer", 1200, acme_peer_seed));
}

}  // namespace
}  // namespace ringway::fake
