#include "fake_world.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstdlib>

#include "ringway/app/serving_snapshot.h"

namespace ringway::fake {

namespace {

// Virtual time the clients have to finish; far beyond any timeout in test_config.
constexpr std::uint64_t clients_deadline_ms = 600'000;

// RINGWAY_FAKE_BUFFERS=N: another pool size, to explore.
std::uint32_t buffer_count_override(std::uint32_t buffer_count) {
  const char* text = std::getenv("RINGWAY_FAKE_BUFFERS");
  return text != nullptr ? static_cast<std::uint32_t>(std::strtoul(text, nullptr, 10))
                         : buffer_count;
}

}  // namespace

Faults transparent_faults() {
  Faults faults;
  faults.partial_receive = 0.4;
  faults.short_send = 0.3;
  faults.buffer_squeeze = 0.02;
  faults.reorder = 0.3;
  faults.late_completion = 0.5;
  faults.cancel_miss = 0.5;
  faults.latency_ms_max = 3;
  return faults;
}

std::string test_config(std::string_view http_extra, std::string_view extra) {
  return std::string(R"(workers = 1
[http]
listen = ["127.0.0.1:80"]
acme_webroot = "/srv/acme"
)") + std::string(http_extra) +
         R"(
[timeouts]
request_head = "2s"
keepalive = "3s"
shutdown = "2s"
upstream_connect = "1s"
upstream_response = "5s"
upstream_idle = "10s"
[limits]
connections_per_worker = 64
[log]
access = "-"
)" + std::string(extra);
}

FakeWorld::FakeWorld(std::uint64_t seed, std::string_view config_text, const Faults& faults,
                     std::uint32_t buffer_count)
    : ring_(seed, faults, buffer_count_override(buffer_count)) {
  config::LoadResult loaded = config::parse_config(config_text, "fake.toml");
  if (!loaded.ok) {
    for (const std::string& error : loaded.errors) config_error_ += error + "\n";
    return;
  }
  // The snapshot run_server would publish: config, site router, routes.
  serving_.publish(
      app::make_serving_snapshot(std::make_shared<const config::Config>(std::move(loaded.config))));
  const config::Config& config =
      *base::Published<app::ServingSnapshot>::Reader(serving_).get()->config;
  app::WorkerSettings settings;
  settings.config = &config;
  settings.serving = &serving_;
  for (std::size_t index = 0; index < config.http.listen.size(); ++index) {
    listener_fds_.push_back(ring_.add_listener());
    settings.listeners.push_back({listener_fds_.back(), false});
  }
  settings.webroot_fd = ring_.add_webroot();
  settings.access_log_fd = config.access_log.enabled ? ring_.add_access_log() : -1;
  settings.ring = &ring_;
  worker_ = std::make_unique<app::Worker>(std::move(settings));
}

FakeWorld::~FakeWorld() = default;

FakeUpstream& FakeWorld::add_upstream(std::uint16_t port, UpstreamPlan plan) {
  upstreams_.push_back(std::make_unique<FakeUpstream>(ring_, std::move(plan)));
  sockaddr_storage address{};
  auto& inet = reinterpret_cast<sockaddr_in&>(address);
  inet.sin_family = AF_INET;
  inet.sin_port = htons(port);
  inet.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ring_.add_upstream(address, *upstreams_.back());
  return *upstreams_.back();
}

FakeClient& FakeWorld::add_client(ClientScript script, std::uint64_t start_ms) {
  std::string name = "client " + std::to_string(clients_.size());
  clients_.push_back(
      std::make_unique<FakeClient>(ring_, listener_fds_.at(0), std::move(script), name));
  FakeClient* client = clients_.back().get();
  ring_.after(start_ms, [client] { client->start(); });
  return *client;
}

void FakeWorld::add_challenge(const std::string& token, std::string content) {
  ring_.add_file(".well-known/acme-challenge/" + token, std::move(content));
}

std::string FakeWorld::run() {
  if (!config_error_.empty()) return "config: " + config_error_;
  ring_.set_limits(1'000'000, clients_deadline_ms + 60'000);
  ring_.on_turn([this] {
    if (stop_requested_) return;
    bool all_done = std::all_of(clients_.begin(), clients_.end(),
                                [](const auto& client) { return client->done(); });
    bool stop_now = ring_.elapsed_ms() >= stop_at_ms_;
    if (!all_done && !stop_now && ring_.elapsed_ms() < clients_deadline_ms) return;
    if (!all_done && !stop_now)
      ring_.fail("the clients were not done after " + std::to_string(clients_deadline_ms) +
                 " virtual ms");
    stop_requested_ = true;
    worker_->request_stop();
  });
  std::string error = worker_->open();
  if (!error.empty()) return "open: " + error;
  worker_->run();
  if (!ring_.failure().empty()) return ring_.failure();
  if (!stop_requested_) return "run() returned before request_stop";
  if (worker_->active_connections() != 0) {
    return std::to_string(worker_->active_connections()) + " slots still in use after run()";
  }
  std::string left = ring_.leftovers();
  if (!left.empty()) return "left behind after run(): " + left;
  return {};
}

std::size_t FakeWorld::answers() const {
  std::size_t total = 0;
  for (const auto& client : clients_) total += client->answers();
  return total;
}

std::size_t FakeWorld::access_log_lines() const {
  const std::string& log = ring_.access_log();
  return static_cast<std::size_t>(std::count(log.begin(), log.end(), '\n'));
}

}  // namespace ringway::fake
