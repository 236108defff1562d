#pragma once
// DNS servers for the resolver tests, on loopback: pebble-challtestsrv (a real
// server whose answers the test changes over its management API) and a tiny
// in-process server that answers every query with one chosen outcome.

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <thread>

namespace ringway::dns::testing {

std::uint64_t monotonic_ms();

// A loopback port free for both UDP and TCP just now.
std::uint16_t free_port();

class ChallTestServer {
 public:
  ChallTestServer() = default;
  ChallTestServer(const ChallTestServer&) = delete;
  ChallTestServer& operator=(const ChallTestServer&) = delete;
  ~ChallTestServer() { stop(); }

  // Starts pebble-challtestsrv answering DNS on 127.0.0.1:dns_port (0: a free
  // port) with no default addresses, and waits up to 5 s until both its DNS and
  // management listeners answer. Empty string on success, else why not.
  std::string start(std::uint16_t dns_port = 0);
  // SIGTERM by PID, then waits for it to exit.
  void stop();

  // POSTs `body` to the management API; true on a 200 answer.
  bool post(std::string_view path, std::string_view body) const;
  // Replaces the A (or AAAA) answer for `host` (a name with its trailing dot).
  bool set_a(std::string_view host, std::string_view addresses_json) const;
  bool set_aaaa(std::string_view host, std::string_view addresses_json) const;

  std::uint16_t dns_port() const { return dns_port_; }

 private:
  pid_t pid_ = -1;
  std::uint16_t dns_port_ = 0;
  std::uint16_t management_port_ = 0;
};

// Answers every query on 127.0.0.1 with the current outcome, on its own thread.
class FakeDnsServer {
 public:
  static constexpr int silent = -1;  // never answers: the client times out

  FakeDnsServer();
  FakeDnsServer(const FakeDnsServer&) = delete;
  FakeDnsServer& operator=(const FakeDnsServer&) = delete;
  ~FakeDnsServer();

  // A response code (3 NXDOMAIN, 5 REFUSED, 2 SERVFAIL, 0 NOERROR) or silent.
  void set_rcode(int rcode) { rcode_ = rcode; }
  // With NOERROR: answer A queries with this IPv4 address (TTL 0); 0: no records.
  void set_ipv4(std::uint32_t address_host_order) { ipv4_ = address_host_order; }

  std::uint16_t port() const { return port_; }
  int queries() const { return queries_; }

 private:
  void serve();

  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<int> rcode_{0};
  std::atomic<std::uint32_t> ipv4_{0};
  std::atomic<int> queries_{0};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace ringway::dns::testing
