// The relay over the fake ring, many seeds per scenario: plain-HTTP proxied
// sites (http = "proxy", no TLS), request and response bodies with
// Content-Length and chunked coding, pooled upstream connections, and the
// retry of a request whose pooled connection closed unanswered. For every
// seed: each request gets exactly one answer, in order, its body complete and
// byte-exact; every answer is logged once; no slot, buffer or descriptor is
// left after the worker drains, and run() returns after request_stop.
//
// A failing seed prints "<scenario> seed N"; replay it with
//   RINGWAY_FAKE_SEED=N build/tests/app/proxy_relay_test --gtest_filter=<test>
// (RINGWAY_FAKE_SEEDS=M runs M seeds instead of the default).
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "proxy_scripts.h"
#include "seed_runner.h"

namespace ringway::fake {
namespace {

std::size_t exchange_count(const std::vector<ClientScript>& scripts) {
  std::size_t total = 0;
  for (const ClientScript& script : scripts) total += script.exchanges.size();
  return total;
}

std::string logged_once(FakeWorld& world, std::string failure) {
  if (failure.empty() && world.access_log_lines() != world.answers()) {
    failure = std::to_string(world.answers()) + " answers but " +
              std::to_string(world.access_log_lines()) + " access-log lines";
  }
  return failure;
}

// Bodies both ways, pipelined or not; the upstream is well behaved, so every
// request reaches it exactly once, and the pool means no more upstream
// connections than clients (each has one exchange in flight at a time).
std::string relay_seed(std::uint64_t seed) {
  FakeWorld world(seed, proxy_config(false, false), transparent_faults());
  FakeUpstream& local = world.add_upstream(local_port, {.name = "local"});
  std::vector<ClientScript> scripts;
  std::size_t clients = world.ring().uniform(1, 4);
  for (std::size_t index = 0; index < clients; ++index) {
    scripts.push_back(proxy_script(world.ring(), {}, 4));
    for (Exchange& exchange : scripts.back().exchanges) exchange.expect.upstream = "local";
    world.add_client(scripts.back(), world.ring().uniform(0, 20));
  }
  std::string failure = logged_once(world, world.run());
  if (!failure.empty()) return failure;
  if (local.counts().requests != exchange_count(scripts)) {
    return "the upstream saw " + std::to_string(local.counts().requests) +
           " requests, the clients sent " + std::to_string(exchange_count(scripts));
  }
  if (local.counts().connections > clients) {
    return std::to_string(local.counts().connections) + " upstream connections for " +
           std::to_string(clients) + " clients: the pool was not used";
  }
  return {};
}

TEST(FakeRingProxyRelay, BodiesArriveCompleteAndInOrderOverPooledConnections) {
  EXPECT_TRUE(run_seeds("proxy-relay", 1500, relay_seed));
}

// One client, sequential keepalive requests: one upstream connection serves them all.
std::string pool_seed(std::uint64_t seed) {
  FakeWorld world(seed, proxy_config(false, false), transparent_faults());
  FakeUpstream& local = world.add_upstream(local_port, {.name = "local"});
  ClientScript script = proxy_script(world.ring(), {.closing = false, .bytes_max = 20000}, 6);
  script.pipeline = false;
  world.add_client(script, 0);
  std::string failure = logged_once(world, world.run());
  if (failure.empty() && local.counts().connections != 1) {
    failure = std::to_string(local.counts().connections) + " upstream connections for one client";
  }
  return failure;
}

TEST(FakeRingProxyRelay, SequentialRequestsShareOnePooledConnection) {
  EXPECT_TRUE(run_seeds("proxy-pool", 600, pool_seed));
}

// A request whose body is empty (Content-Length: 0) is complete with its head,
// and a client that half-closes right after it still gets its answer.
std::string empty_body_seed(std::uint64_t seed) {
  FakeWorld world(seed, proxy_config(false, false), transparent_faults());
  world.add_upstream(local_port, {.name = "local"});
  ClientScript script;
  script.exchanges.push_back(
      {proxied_request("POST", "/echo", "Content-Length: 0\r\n"), false, {}});
  script.exchanges.back().expect.body = "";
  script.end = static_cast<ClientEnd>(world.ring().uniform(0, 2));
  world.add_client(script, 0);
  return logged_once(world, world.run());
}

TEST(FakeRingProxyRelay, AnEmptyBodyEndsTheRequest) {
  EXPECT_TRUE(run_seeds("proxy-empty-body", 300, empty_body_seed));
}

// The upstream closes (or resets) idle pooled connections, sometimes just as
// a request arrives on one: a request without a body goes again on a new
// connection, so every one of them still gets its answer. A request with a
// body on such a connection may be answered 502 instead.
std::uint64_t retries_seen = 0;

std::string retry_seed(std::uint64_t seed) {
  FakeWorld world(seed, proxy_config(false, false), transparent_faults());
  FakeUpstream& local = world.add_upstream(
      local_port,
      {.name = "local", .close_unanswered = 0.3, .reset_unanswered = 0.2, .idle_close = 0.3});
  std::vector<ClientScript> scripts;
  std::size_t clients = world.ring().uniform(1, 4);
  for (std::size_t index = 0; index < clients; ++index) {
    scripts.push_back(proxy_script(world.ring(), {.bytes_max = 20000}, 5));
    for (Exchange& exchange : scripts.back().exchanges) {
      if (exchange.request.starts_with("POST")) exchange.expect.or_status = {502};
    }
    world.add_client(scripts.back(), world.ring().uniform(0, 20));
  }
  std::string failure = logged_once(world, world.run());
  if (local.counts().requests > exchange_count(scripts)) retries_seen += 1;
  return failure;
}

TEST(FakeRingProxyRelay, RequestsOnPooledConnectionsClosedUnderThemAreRetried) {
  retries_seen = 0;
  EXPECT_TRUE(run_seeds("proxy-retry", 1500, retry_seed));
  if (std::getenv("RINGWAY_FAKE_SEED") == nullptr) {
    EXPECT_GT(retries_seen, 0u) << "no seed made the worker retry a request";
  }
}

}  // namespace
}  // namespace ringway::fake
