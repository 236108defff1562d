#pragma once
// One seed's world: a FakeRing, the worker built over it from TOML config text
// the way run_server builds it (from the ServingSnapshot run_server publishes),
// scripted clients and upstreams.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "../io/fake_ring.h"
#include "fake_client.h"
#include "fake_upstream.h"
#include "ringway/app/serving_snapshot.h"
#include "ringway/app/worker.h"
#include "ringway/base/published.h"
#include "ringway/config/config.h"
#include "ringway/proxy/site_router.h"

namespace ringway::fake {

class FakeWorld {
 public:
  // buffer_count: the worker's real ring has 1024, and its limits on what
  // paused connections may hold assume as many (three quarters of them).
  FakeWorld(std::uint64_t seed, std::string_view config_text, const Faults& faults,
            std::uint32_t buffer_count = 1024);
  FakeWorld(const FakeWorld&) = delete;
  FakeWorld& operator=(const FakeWorld&) = delete;
  ~FakeWorld();

  FakeRing& ring() { return ring_; }
  // A config error, or empty; nothing else works when there is one.
  const std::string& config_error() const { return config_error_; }
  // An upstream at "127.0.0.1:port" (its plan can change while the world runs).
  FakeUpstream& add_upstream(std::uint16_t port, UpstreamPlan plan);
  // A client that connects through the first listener start_ms from now.
  FakeClient& add_client(ClientScript script, std::uint64_t start_ms);
  void add_challenge(const std::string& token, std::string content);

  // Stops the worker at this virtual time even if clients are not done.
  void stop_at(std::uint64_t elapsed_ms) { stop_at_ms_ = elapsed_ms; }
  // Runs the worker until every client is done (or stop_at), then stops it and
  // checks that it drained: empty, or the first failure.
  std::string run();
  std::size_t answers() const;           // by all clients
  std::size_t access_log_lines() const;  // written by the worker

 private:
  base::Published<app::ServingSnapshot> serving_;
  std::string config_error_;
  FakeRing ring_;
  std::vector<int> listener_fds_;
  std::vector<std::unique_ptr<FakeUpstream>> upstreams_;
  std::vector<std::unique_ptr<FakeClient>> clients_;
  bool stop_requested_ = false;
  std::uint64_t stop_at_ms_ = ~std::uint64_t{0};
  std::unique_ptr<app::Worker> worker_;  // last: it goes first
};

// Ring faults the worker must hide completely: partial receives, short sends,
// squeezed buffers, reordered and late completions, cancels that miss.
Faults transparent_faults();

// The config the scenarios start from: one plain listener, short timeouts,
// 64 slots, an access log. extra is appended (sites, [http] keys go in http_extra).
std::string test_config(std::string_view http_extra = {}, std::string_view extra = {});

}  // namespace ringway::fake
