// The worker's plain-HTTP session over the fake ring, many seeds per scenario:
// redirects, keepalive, pipelining, challenges from the fake webroot, and
// malformed requests answered 400 before the connection closes. For every
// seed: each request gets exactly one answer, in order, byte-exact; every
// answer is logged once; no slot, buffer or descriptor is left after the
// worker drains, and run() returns after request_stop.
//
// A failing seed prints "<scenario> seed N"; replay it with
//   RINGWAY_FAKE_SEED=N build/tests/app/http_session_test --gtest_filter=<test>
// (RINGWAY_FAKE_SEEDS=M runs M seeds instead of the default).
#include <gtest/gtest.h>

#include <string>

#include "fake_world.h"
#include "seed_runner.h"

namespace ringway::fake {
namespace {

std::string get(const std::string& target, const std::string& host, const std::string& extra = {}) {
  return "GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: fake\r\n" + extra +
         "\r\n";
}

// One request of the plain front end and its answer; closing ones only last.
Exchange front_exchange(FakeRing& ring, std::size_t index, bool last) {
  std::string n = std::to_string(index) + "x" + std::to_string(ring.uniform(0, 999));
  Exchange exchange;
  switch (ring.uniform(0, last ? 9 : 5)) {
    case 0:
    case 1:
      exchange.request = get("/path" + n + "?q=" + n, "h" + n + ".test");
      exchange.expect.status = 301;
      exchange.expect.location = "https://h" + n + ".test/path" + n + "?q=" + n;
      break;
    case 2:
      exchange.request = "HEAD /h" + n + " HTTP/1.1\r\nHost: e.test:80\r\n\r\n";
      exchange.head = true;
      exchange.expect.status = 301;
      exchange.expect.location = "https://e.test/h" + n;
      break;
    case 3: {
      std::size_t token = ring.uniform(0, 3);
      exchange.request = get("/.well-known/acme-challenge/token" + std::to_string(token), "a.test");
      exchange.expect.body = "key-authorization-" + std::to_string(token) + "\n";
      break;
    }
    case 4:
      exchange.request = get("/.well-known/acme-challenge/missing" + n, "a.test");
      exchange.expect.status = 404;
      break;
    case 5:
      exchange.request = get("/.well-known/acme-challenge/", "a.test");
      exchange.expect.status = 404;
      break;
    case 6:
      exchange.request = "GET /old" + n + " HTTP/1.0\r\nHost: o.test\r\n\r\n";
      exchange.expect.status = 301;
      exchange.expect.closes = true;
      break;
    case 7:
      exchange.request = get("/bye" + n, "b.test", "Connection: close\r\n");
      exchange.expect.status = 301;
      exchange.expect.closes = true;
      break;
    default: {
      static const char* const malformed[] = {
          "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
          "GET / HTTP/1.1\r\n\r\n",  // no Host
          "GET / HTTP/1.1\r\nHost: a\r\n folded: value\r\n\r\n",
          "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n",
          "NOT-HTTP\r\n\r\n",
      };
      exchange.request = malformed[ring.uniform(0, 4)];
      exchange.expect.status = 400;
      exchange.expect.closes = true;
      break;
    }
  }
  return exchange;
}

void add_challenges(FakeWorld& world) {
  for (int token = 0; token < 4; ++token) {
    world.add_challenge("token" + std::to_string(token),
                        "key-authorization-" + std::to_string(token) + "\n");
  }
}

ClientScript front_script(FakeRing& ring, std::size_t exchanges_max) {
  ClientScript script;
  std::size_t count = ring.uniform(1, exchanges_max);
  for (std::size_t index = 0; index < count; ++index) {
    script.exchanges.push_back(front_exchange(ring, index, index + 1 == count));
  }
  script.pipeline = ring.chance(0.5);
  script.end = static_cast<ClientEnd>(ring.uniform(0, 2));  // close, half_close or stay
  return script;
}

// Small requests only, and nothing in the session waits for a receive buffer
// to make progress: a pool of 16 runs out for real while clients pipeline.
constexpr std::uint32_t small_pool = 16;

std::string front_seed(std::uint64_t seed) {
  FakeWorld world(seed, test_config(), transparent_faults(), small_pool);
  add_challenges(world);
  std::size_t clients = world.ring().uniform(1, 5);
  for (std::size_t index = 0; index < clients; ++index) {
    world.add_client(front_script(world.ring(), 5), world.ring().uniform(0, 20));
  }
  std::string failure = world.run();
  if (failure.empty() && world.access_log_lines() != world.answers()) {
    failure = std::to_string(world.answers()) + " answers but " +
              std::to_string(world.access_log_lines()) + " access-log lines";
  }
  return failure;
}

TEST(FakeRingHttpSession, RedirectsChallengesPipeliningAndMalformedRequests) {
  EXPECT_TRUE(run_seeds("http-session", 3000, front_seed));
}

// A client that sends nothing, or half a head, is closed by the request-head
// timeout; one that stays idle after its answers by the keepalive timeout.
std::string idle_seed(std::uint64_t seed) {
  FakeWorld world(seed, test_config(), transparent_faults(), small_pool);
  ClientScript silent;
  silent.end = ClientEnd::stay;
  silent.wait_for_close = true;
  world.add_client(silent, 0);
  ClientScript idle = front_script(world.ring(), 3);
  idle.end = ClientEnd::stay;
  idle.wait_for_close = true;
  idle.exchanges.back() = front_exchange(world.ring(), 0, false);
  world.add_client(idle, world.ring().uniform(0, 10));
  ClientScript partial;
  partial.end = ClientEnd::stay;
  partial.wait_for_close = true;
  partial.exchanges.push_back({"GET /half HTTP/1.1\r\nHost: h", false, {}});
  partial.exchanges.back().expect.status = 0;  // no answer: the head never completes
  world.add_client(partial, world.ring().uniform(0, 10));
  add_challenges(world);
  // The clients are done only once the worker closed them, so the timeouts did.
  return world.run();
}

TEST(FakeRingHttpSession, HeadAndKeepaliveTimeoutsCloseIdleClients) {
  EXPECT_TRUE(run_seeds("http-timeouts", 500, idle_seed));
}

}  // namespace
}  // namespace ringway::fake
