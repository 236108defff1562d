#include "ringway/dns/resolver.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <poll.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "dns_test_servers.h"

namespace ringway::dns {
namespace {

using testing::ChallTestServer;
using testing::FakeDnsServer;
using testing::monotonic_ms;

config::ResolverServer server_at(std::uint16_t port) {
  config::ResolverServer server;
  auto& ipv4 = reinterpret_cast<sockaddr_in&>(server.address);
  ipv4.sin_family = AF_INET;
  ipv4.sin_port = htons(port);
  ipv4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  server.address_length = sizeof ipv4;
  server.text = "127.0.0.1:" + std::to_string(port);
  return server;
}

// Short times so a test sees several refreshes and retries within a second.
config::Resolver fast_settings(std::vector<std::uint16_t> ports) {
  config::Resolver settings;
  for (std::uint16_t port : ports) settings.servers.push_back(server_at(port));
  settings.valid_ms = 300;
  settings.valid_min_ms = 100;
  settings.valid_max_ms = 3600 * 1000;
  settings.timeout_ms = 300;
  return settings;
}

// Runs the resolver the way the control loop will, with poll(2) in place of the
// ring, until `done` holds or `timeout_ms` passes; returns whether `done` held.
bool drive(Resolver& resolver, const std::function<bool()>& done, std::uint64_t timeout_ms) {
  std::uint64_t deadline_ms = monotonic_ms() + timeout_ms;
  for (;;) {
    if (done()) return true;
    std::uint64_t now_ms = monotonic_ms();
    if (now_ms >= deadline_ms) return false;
    std::vector<pollfd> fds;
    for (const PollRequest& request : resolver.watched()) {
      short events =
          static_cast<short>((request.readable ? POLLIN : 0) | (request.writable ? POLLOUT : 0));
      fds.push_back({request.fd, events, 0});
    }
    std::uint64_t wake_ms = std::min(resolver.next_timer_ms(now_ms), deadline_ms);
    int wait_ms =
        static_cast<int>(std::min<std::uint64_t>(wake_ms - std::min(wake_ms, now_ms), 50));
    poll(fds.data(), fds.size(), wait_ms);
    now_ms = monotonic_ms();
    for (const pollfd& fd : fds) {
      if (fd.revents & (POLLIN | POLLERR | POLLHUP)) resolver.on_readable(fd.fd, now_ms);
      if (fd.revents & POLLOUT) resolver.on_writable(fd.fd, now_ms);
    }
    resolver.take_poll_changes();  // this loop rebuilds its set from watched() each turn
    if (resolver.next_timer_ms(now_ms) <= now_ms) resolver.on_timer(now_ms);
  }
}

std::vector<std::string> formatted(const AddressSet& set) {
  std::vector<std::string> texts;
  for (const sockaddr_storage& address : set.addresses) texts.push_back(format_address(address));
  return texts;
}

class ResolverTest : public ::testing::Test {
 protected:
  void open(const config::Resolver& settings) {
    ASSERT_EQ(resolver_.open(settings), "");
    resolver_.set_log_sink([this](log::Level, const std::string& text) { lines_.push_back(text); });
  }

  void start_server(std::uint16_t dns_port = 0) {
    std::string error = server_.start(dns_port);
    ASSERT_EQ(error, "") << error;
  }

  // Resolves name:port and waits until its first set is published.
  std::shared_ptr<const AddressSet> first_set(std::string_view name, std::uint16_t port) {
    const auto& published = resolver_.resolve(name, port, monotonic_ms());
    base::Published<AddressSet>::Reader reader(published);
    drive(
        resolver_, [&] { return reader.refresh() || reader.get() != nullptr; }, 3000);
    return reader.get();
  }

  std::size_t lines_with(std::string_view text) const {
    return std::count_if(lines_.begin(), lines_.end(), [&](const std::string& line) {
      return line.find(text) != std::string::npos;
    });
  }

  ChallTestServer server_;
  Resolver resolver_;
  std::vector<std::string> lines_;
};

TEST_F(ResolverTest, ResolvesARecordsInAnswerOrder) {
  start_server();
  ASSERT_TRUE(server_.set_a("backend.test.", R"(["127.0.0.2", "127.0.0.3"])"));
  open(fast_settings({server_.dns_port()}));
  std::shared_ptr<const AddressSet> set = first_set("backend.test", 8080);
  ASSERT_NE(set, nullptr) << ::testing::PrintToString(lines_);
  EXPECT_EQ(formatted(*set), (std::vector<std::string>{"127.0.0.2:8080", "127.0.0.3:8080"}));
  EXPECT_EQ(set->generation, 1u);
  EXPECT_EQ(set->valid_until_ms, set->resolved_at_ms + 300);  // the valid override, not TTL 0
  EXPECT_EQ(resolver_.status("backend.test", 8080).health, Health::ok);
  EXPECT_EQ(lines_, (std::vector<std::string>{
                        "dns: backend.test:8080 resolved to 127.0.0.2:8080, 127.0.0.3:8080"}));
}

TEST_F(ResolverTest, ResolvesAAndAaaaIpv4First) {
  start_server();
  ASSERT_TRUE(server_.set_aaaa("backend.test.", R"(["2001:db8::7"])"));
  ASSERT_TRUE(server_.set_a("backend.test.", R"(["127.0.0.2"])"));
  open(fast_settings({server_.dns_port()}));
  std::shared_ptr<const AddressSet> set = first_set("backend.test", 80);
  ASSERT_NE(set, nullptr) << ::testing::PrintToString(lines_);
  EXPECT_EQ(formatted(*set), (std::vector<std::string>{"127.0.0.2:80", "[2001:db8::7]:80"}));
}

TEST_F(ResolverTest, ResolvesDockerStyleNamesWithUnderscores) {
  start_server();
  ASSERT_TRUE(server_.set_a("opam_live.", R"(["10.0.1.5"])"));
  open(fast_settings({server_.dns_port()}));
  std::shared_ptr<const AddressSet> set = first_set("opam_live", 80);
  ASSERT_NE(set, nullptr) << ::testing::PrintToString(lines_);
  EXPECT_EQ(formatted(*set), (std::vector<std::string>{"10.0.1.5:80"}));
}

TEST_F(ResolverTest, SeesAChangedAnswerAfterReResolution) {
  start_server();
  ASSERT_TRUE(server_.set_a("backend.test.", R"(["127.0.0.2"])"));
  open(fast_settings({server_.dns_port()}));
  ASSERT_NE(first_set("backend.test", 80), nullptr) << ::testing::PrintToString(lines_);
  base::Published<AddressSet>::Reader reader(resolver_.resolve("backend.test", 80, 0));

  // Unchanged answers republish the set with the same generation.
  drive(
      resolver_, [] { return false; }, 700);
  reader.refresh();
  EXPECT_EQ(reader.get()->generation, 1u);

  std::uint64_t moved_ms = monotonic_ms();
  ASSERT_TRUE(server_.set_a("backend.test.", R"(["127.0.0.5"])"));
  bool seen = drive(
      resolver_,
      [&] {
        reader.refresh();
        return reader.get()->generation == 2;
      },
      3000);
  ASSERT_TRUE(seen) << ::testing::PrintToString(lines_);
  EXPECT_LE(monotonic_ms() - moved_ms, 300u + 200u);  // within `valid` and a lookup
  EXPECT_EQ(formatted(*reader.get()), (std::vector<std::string>{"127.0.0.5:80"}));
  EXPECT_EQ(lines_with("now resolves to 127.0.0.5:80 (was 127.0.0.2:80)"), 1u);
  EXPECT_EQ(lines_.size(), 2u) << ::testing::PrintToString(lines_);
}

TEST_F(ResolverTest, KeepsTheLastGoodSetWhileTheServerIsDown) {
  start_server();
  ASSERT_TRUE(server_.set_a("backend.test.", R"(["127.0.0.2"])"));
  open(fast_settings({server_.dns_port()}));
  std::shared_ptr<const AddressSet> good = first_set("backend.test", 80);
  ASSERT_NE(good, nullptr) << ::testing::PrintToString(lines_);
  base::Published<AddressSet>::Reader reader(resolver_.resolve("backend.test", 80, 0));

  std::uint16_t port = server_.dns_port();
  server_.stop();
  // Long enough for several failed lookups and retries.
  drive(
      resolver_, [] { return false; }, 1500);
  UpstreamStatus status = resolver_.status("backend.test", 80);
  EXPECT_EQ(status.health, Health::failing);
  EXPECT_GE(status.failures, 2u);
  EXPECT_TRUE(status.last_error == DnsError::unreachable || status.last_error == DnsError::timeout)
      << status.last_error.message();
  reader.refresh();
  ASSERT_NE(reader.get(), nullptr);
  EXPECT_EQ(formatted(*reader.get()), formatted(*good));
  EXPECT_EQ(reader.get()->generation, good->generation);
  EXPECT_EQ(lines_with("lookups failing"), 1u) << ::testing::PrintToString(lines_);
  EXPECT_EQ(lines_with("keeping the last good addresses 127.0.0.2:80"), 1u);

  start_server(port);
  ASSERT_TRUE(server_.set_a("backend.test.", R"(["127.0.0.2"])"));
  bool recovered = drive(
      resolver_, [&] { return resolver_.status("backend.test", 80).health == Health::ok; }, 3000);
  ASSERT_TRUE(recovered) << ::testing::PrintToString(lines_);
  EXPECT_EQ(lines_with("resolves again after"), 1u) << ::testing::PrintToString(lines_);
  EXPECT_EQ(lines_.size(), 3u) << ::testing::PrintToString(lines_);
}

TEST_F(ResolverTest, NameWithoutRecordsHasNoAddresses) {
  start_server();
  open(fast_settings({server_.dns_port()}));
  const auto& published = resolver_.resolve("nothing.test", 80, monotonic_ms());
  ASSERT_TRUE(drive(
      resolver_, [&] { return resolver_.status("nothing.test", 80).health == Health::failing; },
      3000));
  EXPECT_EQ(resolver_.status("nothing.test", 80).last_error, DnsError::no_addresses);
  EXPECT_EQ(base::Published<AddressSet>::Reader(published).get(), nullptr);
}

TEST_F(ResolverTest, ReportsNxdomainClearly) {
  FakeDnsServer fake;
  fake.set_rcode(3);
  open(fast_settings({fake.port()}));
  const auto& published = resolver_.resolve("missing.test", 80, monotonic_ms());
  ASSERT_TRUE(drive(
      resolver_, [&] { return resolver_.status("missing.test", 80).health == Health::failing; },
      3000));
  std::error_code error = resolver_.status("missing.test", 80).last_error;
  EXPECT_EQ(error, DnsError::not_found);
  EXPECT_EQ(error.message(), "name does not exist (NXDOMAIN)");
  EXPECT_EQ(base::Published<AddressSet>::Reader(published).get(), nullptr);
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(lines_[0],
            "dns: missing.test:80 cannot be resolved: name does not exist (NXDOMAIN); retrying, "
            "no addresses to use until it resolves");
  EXPECT_GT(fake.queries(), 0);  // the configured server, not the system's
}

TEST_F(ResolverTest, ReportsRefusedAndRecovers) {
  FakeDnsServer fake;
  fake.set_rcode(5);
  open(fast_settings({fake.port()}));
  resolver_.resolve("backend.test", 80, monotonic_ms());
  ASSERT_TRUE(drive(
      resolver_, [&] { return resolver_.status("backend.test", 80).failures >= 3; }, 3000));
  EXPECT_EQ(resolver_.status("backend.test", 80).last_error, DnsError::refused);

  fake.set_ipv4(0x7F000009);  // 127.0.0.9
  fake.set_rcode(0);
  ASSERT_TRUE(drive(
      resolver_, [&] { return resolver_.status("backend.test", 80).health == Health::ok; }, 3000));
  ASSERT_EQ(lines_.size(), 2u) << ::testing::PrintToString(lines_);
  EXPECT_NE(lines_[0].find("DNS server refused the query (REFUSED)"), std::string::npos);
  EXPECT_NE(lines_[1].find("resolves again after"), std::string::npos);
  EXPECT_NE(lines_[1].find("127.0.0.9:80"), std::string::npos);
}

TEST_F(ResolverTest, TimesOutWhenTheServerIsSilent) {
  FakeDnsServer fake;
  fake.set_rcode(FakeDnsServer::silent);
  open(fast_settings({fake.port()}));
  std::uint64_t start_ms = monotonic_ms();
  resolver_.resolve("backend.test", 80, start_ms);
  ASSERT_TRUE(drive(
      resolver_, [&] { return resolver_.status("backend.test", 80).health == Health::failing; },
      3000));
  EXPECT_EQ(resolver_.status("backend.test", 80).last_error, DnsError::timeout);
  EXPECT_GE(monotonic_ms() - start_ms, 250u);  // the 300 ms timeout, give or take a tick
}

TEST_F(ResolverTest, MovesOnToTheNextServer) {
  start_server();
  ASSERT_TRUE(server_.set_a("backend.test.", R"(["127.0.0.2"])"));
  std::uint16_t closed_port = testing::free_port();  // nothing listens: connection refused
  open(fast_settings({closed_port, server_.dns_port()}));
  std::shared_ptr<const AddressSet> set = first_set("backend.test", 80);
  ASSERT_NE(set, nullptr) << ::testing::PrintToString(lines_);
  EXPECT_EQ(formatted(*set), (std::vector<std::string>{"127.0.0.2:80"}));
}

TEST_F(ResolverTest, LiteralAddressesSkipDns) {
  open(config::Resolver{});  // no servers at all
  const auto& ipv4 = resolver_.resolve("127.0.0.9", 8080, 1000);
  const auto& ipv6 = resolver_.resolve("[::1]", 443, 1000);
  std::shared_ptr<const AddressSet> set = base::Published<AddressSet>::Reader(ipv4).get();
  ASSERT_NE(set, nullptr);
  EXPECT_EQ(formatted(*set), (std::vector<std::string>{"127.0.0.9:8080"}));
  EXPECT_EQ(set->valid_until_ms, UINT64_MAX);
  EXPECT_EQ(formatted(*base::Published<AddressSet>::Reader(ipv6).get()),
            (std::vector<std::string>{"[::1]:443"}));
  EXPECT_TRUE(resolver_.watched().empty());
  EXPECT_TRUE(resolver_.take_poll_changes().empty());
  EXPECT_EQ(resolver_.next_timer_ms(1000), UINT64_MAX);
  EXPECT_TRUE(lines_.empty());
}

TEST_F(ResolverTest, NamesWithoutServersFailClearly) {
  open(config::Resolver{});
  resolver_.resolve("backend.test", 80, 1000);
  UpstreamStatus status = resolver_.status("backend.test", 80);
  EXPECT_EQ(status.health, Health::failing);
  EXPECT_EQ(status.last_error, DnsError::no_servers);
  EXPECT_EQ(resolver_.next_timer_ms(1000), 2000u);  // retried from valid_min on
}

TEST_F(ResolverTest, TheSameUpstreamSharesOneSet) {
  open(config::Resolver{});
  const auto& first = resolver_.resolve("127.0.0.9", 80, 0);
  EXPECT_EQ(&first, &resolver_.resolve("127.0.0.9", 80, 0));
  EXPECT_NE(&first, &resolver_.resolve("127.0.0.9", 81, 0));
}

}  // namespace
}  // namespace ringway::dns
