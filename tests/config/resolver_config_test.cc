// The [resolver] table: servers, valid and its bounds, timeout.

#include <arpa/inet.h>
#include <netinet/in.h>

#include <string>

#include <gtest/gtest.h>

#include "ringway/config/config.h"

namespace ringway::config {
namespace {

constexpr std::string_view http_section = R"([http]
listen = ["0.0.0.0:80"]
acme_webroot = "/srv/acme"
)";

// A valid config with `resolver` appended after the [http] section (lines 1-3).
LoadResult parse_with(std::string_view resolver) {
  return parse_config(std::string(http_section) + std::string(resolver), "test.toml");
}

std::string only_error(const LoadResult& result) {
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.errors.size(), 1u) << ::testing::PrintToString(result.errors);
  return result.errors.empty() ? std::string() : result.errors.front();
}

std::uint16_t port_of(const ResolverServer& server) {
  const auto& ipv4 = reinterpret_cast<const sockaddr_in&>(server.address);
  return ntohs(ipv4.sin_port);  // sin_port and sin6_port sit at the same offset
}

TEST(ResolverConfig, DefaultsWithoutTheTable) {
  LoadResult result = parse_config(http_section, "test.toml");
  ASSERT_TRUE(result.ok) << ::testing::PrintToString(result.errors);
  const Resolver& resolver = result.config.resolver;
  EXPECT_TRUE(resolver.servers.empty());
  EXPECT_EQ(resolver.valid_ms, 0u);
  EXPECT_EQ(resolver.valid_min_ms, 1000u);
  EXPECT_EQ(resolver.valid_max_ms, 3600u * 1000);
  EXPECT_EQ(resolver.timeout_ms, 2000u);
}

TEST(ResolverConfig, ReadsEveryKey) {
  LoadResult result = parse_with(
      "[resolver]\n"
      "servers = [\"127.0.0.11:53\", \"[::1]:5353\", \"192.0.2.1\", \"[2001:db8::53]\"]\n"
      "valid = \"15s\"\nvalid_min = \"500ms\"\nvalid_max = \"5m\"\ntimeout = 3\n");
  ASSERT_TRUE(result.ok) << ::testing::PrintToString(result.errors);
  const Resolver& resolver = result.config.resolver;
  ASSERT_EQ(resolver.servers.size(), 4u);
  EXPECT_EQ(resolver.servers[0].text, "127.0.0.11:53");
  EXPECT_EQ(resolver.servers[0].address.ss_family, AF_INET);
  EXPECT_EQ(resolver.servers[0].address_length, sizeof(sockaddr_in));
  EXPECT_EQ(port_of(resolver.servers[0]), 53);
  EXPECT_EQ(resolver.servers[1].address.ss_family, AF_INET6);
  EXPECT_EQ(resolver.servers[1].address_length, sizeof(sockaddr_in6));
  EXPECT_EQ(port_of(resolver.servers[1]), 5353);
  EXPECT_EQ(resolver.servers[2].text, "192.0.2.1");
  EXPECT_EQ(port_of(resolver.servers[2]), 53);  // the default port
  EXPECT_EQ(port_of(resolver.servers[3]), 53);
  EXPECT_EQ(resolver.valid_ms, 15000u);
  EXPECT_EQ(resolver.valid_min_ms, 500u);
  EXPECT_EQ(resolver.valid_max_ms, 300000u);
  EXPECT_EQ(resolver.timeout_ms, 3000u);
}

TEST(ResolverConfig, ServersAreRequiredInTheTable) {
  EXPECT_EQ(only_error(parse_with("[resolver]\nvalid = \"15s\"\n")),
            "test.toml:4:1: resolver.servers: required key is missing");
  EXPECT_EQ(only_error(parse_with("[resolver]\nservers = []\n")),
            "test.toml:5:11: resolver.servers: must list at least one server");
  EXPECT_EQ(only_error(parse_with("[resolver]\nservers = \"127.0.0.11\"\n")),
            "test.toml:5:11: resolver.servers: expected an array of strings, got a string");
}

TEST(ResolverConfig, ServersAreNumericAddresses) {
  EXPECT_EQ(only_error(parse_with("[resolver]\nservers = [\"dns.example\"]\n")),
            "test.toml:5:12: resolver.servers[0]: \"dns.example\" is not a numeric IPv4 address "
            "(IPv6 needs brackets)");
  EXPECT_EQ(only_error(parse_with("[resolver]\nservers = [\"::1\"]\n")),
            "test.toml:5:12: resolver.servers[0]: \"::1\" needs brackets, like \"[::1]\" or "
            "\"[::1]:53\"");
  EXPECT_EQ(only_error(parse_with("[resolver]\nservers = [\"127.0.0.1:0\"]\n")),
            "test.toml:5:12: resolver.servers[0]: port must be a number from 1 to 65535");
  EXPECT_EQ(only_error(parse_with("[resolver]\nservers = [\"[::1\"]\n")),
            "test.toml:5:12: resolver.servers[0]: expected \"IPv4[:port]\" or \"[IPv6][:port]\" "
            "with a numeric address");
  EXPECT_EQ(only_error(parse_with("[resolver]\nservers = [53]\n")),
            "test.toml:5:12: resolver.servers[0]: expected a string, got an integer");
  EXPECT_EQ(only_error(parse_with("[resolver]\nservers = [\"127.0.0.11\", \"127.0.0.11:53\"]\n")),
            "test.toml:5:26: resolver.servers[1]: duplicate of \"127.0.0.11\"");
}

TEST(ResolverConfig, ValidStaysWithinItsBounds) {
  EXPECT_EQ(only_error(parse_with("[resolver]\nservers = [\"127.0.0.11\"]\nvalid = \"2h\"\n")),
            "test.toml:6:9: resolver.valid: must be from valid_min (1s) to valid_max (1h)");
  EXPECT_EQ(only_error(parse_with("[resolver]\nservers = [\"127.0.0.11\"]\nvalid = \"100ms\"\n")),
            "test.toml:6:9: resolver.valid: must be from valid_min (1s) to valid_max (1h)");
  EXPECT_EQ(only_error(parse_with("[resolver]\nservers = [\"127.0.0.11\"]\nvalid_min = \"2h\"\n")),
            "test.toml:6:13: resolver.valid_min: valid_min (2h) must not be above valid_max (1h)");
  EXPECT_EQ(
      only_error(parse_with("[resolver]\nservers = [\"127.0.0.11\"]\nvalid_max = \"500ms\"\n")),
      "test.toml:6:13: resolver.valid_max: valid_min (1s) must not be above valid_max (500ms)");
  EXPECT_EQ(only_error(parse_with("[resolver]\nservers = [\"127.0.0.11\"]\ntimeout = \"0s\"\n")),
            "test.toml:6:11: resolver.timeout: must be more than 0");
  EXPECT_EQ(only_error(parse_with("[resolver]\nservers = [\"127.0.0.11\"]\nttl = \"5s\"\n")),
            "test.toml:6:1: resolver.ttl: unknown key");
}

}  // namespace
}  // namespace ringway::config
