#include "ringway/config/config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace ringway::config {
namespace {

constexpr std::string_view http_section = R"([http]
listen = ["0.0.0.0:80"]
acme_webroot = "/srv/acme"
)";

LoadResult parse(std::string_view text) {
  return parse_config(text, "test.toml");
}

// A valid config with `extra` appended after the [http] section.
LoadResult parse_with(std::string_view extra) {
  return parse(std::string(http_section) + std::string(extra));
}

// The only error of `result`, or a failure when there is not exactly one.
std::string only_error(const LoadResult& result) {
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.errors.size(), 1u) << ::testing::PrintToString(result.errors);
  return result.errors.empty() ? std::string() : result.errors.front();
}

TEST(ParseConfig, MinimalConfigKeepsDefaults) {
  LoadResult result = parse(http_section);
  ASSERT_TRUE(result.ok) << ::testing::PrintToString(result.errors);
  const Config& config = result.config;
  EXPECT_EQ(config.source, "test.toml");
  EXPECT_EQ(config.workers, 0u);
  ASSERT_EQ(config.http.listen.size(), 1u);
  EXPECT_EQ(config.http.listen[0].text, "0.0.0.0:80");
  EXPECT_EQ(config.http.acme_webroot, "/srv/acme");
  EXPECT_EQ(config.http.redirect_port, 443);
  EXPECT_EQ(config.timeouts.request_head_ms, 10000u);
  EXPECT_EQ(config.timeouts.keepalive_ms, 75000u);
  EXPECT_EQ(config.timeouts.shutdown_ms, 10000u);
  EXPECT_EQ(config.limits.connections_per_worker, 16384u);
  EXPECT_EQ(config.limits.request_head_bytes, 16384u);
  EXPECT_EQ(config.limits.header_count, 64u);
  EXPECT_TRUE(config.access_log.enabled);
  EXPECT_EQ(config.access_log.path, "-");
  EXPECT_EQ(config.access_log.format, AccessLogFormat::combined);
}

TEST(ParseConfig, ReadsEveryKey) {
  LoadResult result = parse(R"(workers = 12
[http]
listen = ["192.0.2.7:8080", "[2001:db8::5]:8080"]
acme_webroot = "/var/www/html"
redirect_port = 8443
[timeouts]
request_head = "500ms"
keepalive = "2m"
shutdown = 30
[limits]
connections_per_worker = 1000
request_head_bytes = 8192
header_count = 32
[log]
access = "/var/log/ringway/access.log"
format = "json"
)");
  ASSERT_TRUE(result.ok) << ::testing::PrintToString(result.errors);
  const Config& config = result.config;
  EXPECT_EQ(config.workers, 12u);
  ASSERT_EQ(config.http.listen.size(), 2u);
  EXPECT_EQ(config.http.listen[0].text, "192.0.2.7:8080");
  EXPECT_EQ(config.http.listen[1].text, "[2001:db8::5]:8080");
  EXPECT_EQ(config.http.acme_webroot, "/var/www/html");
  EXPECT_EQ(config.http.redirect_port, 8443);
  EXPECT_EQ(config.timeouts.request_head_ms, 500u);
  EXPECT_EQ(config.timeouts.keepalive_ms, 120000u);
  EXPECT_EQ(config.timeouts.shutdown_ms, 30000u);
  EXPECT_EQ(config.limits.connections_per_worker, 1000u);
  EXPECT_EQ(config.limits.request_head_bytes, 8192u);
  EXPECT_EQ(config.limits.header_count, 32u);
  EXPECT_TRUE(config.access_log.enabled);
  EXPECT_EQ(config.access_log.path, "/var/log/ringway/access.log");
  EXPECT_EQ(config.access_log.format, AccessLogFormat::json);
}

TEST(ParseConfig, DottedKeysAreTheSameAsSections) {
  LoadResult result = parse(R"(http.listen = ["127.0.0.1:80"]
http.acme_webroot = "/w"
log.format = "json"
)");
  ASSERT_TRUE(result.ok) << ::testing::PrintToString(result.errors);
  EXPECT_EQ(result.config.http.acme_webroot, "/w");
  EXPECT_EQ(result.config.access_log.format, AccessLogFormat::json);
}

TEST(ParseConfig, Workers) {
  EXPECT_EQ(parse(R"(workers = "auto")"
                  "\n" +
                  std::string(http_section))
                .config.workers,
            0u);
  EXPECT_EQ(parse("workers = 1\n" + std::string(http_section)).config.workers, 1u);
  EXPECT_EQ(parse("workers = 1024\n" + std::string(http_section)).config.workers, 1024u);
  for (std::string_view bad : {"0", "1025", "-3", R"("many")"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(only_error(parse("workers = " + std::string(bad) + "\n" + std::string(http_section))),
              "test.toml:1:11: workers: must be \"auto\" or an integer from 1 to 1024");
  }
  EXPECT_EQ(only_error(parse("workers = true\n" + std::string(http_section))),
            "test.toml:1:11: workers: expected \"auto\" or an integer, got a boolean");
}

struct DurationCase {
  std::string_view text;
  std::uint32_t expected_ms;  // 0: an error is expected
  std::string_view error;
};

TEST(ParseConfig, Durations) {
  const DurationCase cases[] = {
      {R"("500ms")", 500, ""},
      {R"("10s")", 10000, ""},
      {R"("2m")", 120000, ""},
      {R"("1h")", 3600000, ""},
      {R"("24h")", 86400000, ""},
      {R"("86400000ms")", 86400000, ""},
      {"30", 30000, ""},
      {R"("0s")", 0, "must be more than 0"},
      {"0", 0, "must be more than 0"},
      {"-5", 0, "must be more than 0"},
      {R"("25h")", 0, "must be at most 24h"},
      {"86401", 0, "must be at most 24h"},
      {R"("99999999999999999999s")", 0, "must be at most 24h"},
      {R"("10")", 0, R"(expected an integer with a unit ms, s, m or h, like "10s")"},
      {R"("10 s")", 0, R"(expected an integer with a unit ms, s, m or h, like "10s")"},
      {R"("-5s")", 0, R"(expected an integer with a unit ms, s, m or h, like "10s")"},
      {R"("1.5s")", 0, R"(expected an integer with a unit ms, s, m or h, like "10s")"},
      {R"("10d")", 0, R"(expected an integer with a unit ms, s, m or h, like "10s")"},
      {R"("s")", 0, R"(expected an integer with a unit ms, s, m or h, like "10s")"},
      {"1.5", 0, R"(expected a duration like "10s" or an integer of seconds, got a float)"},
  };
  for (const DurationCase& test : cases) {
    SCOPED_TRACE(test.text);
    LoadResult result = parse_with("[timeouts]\nkeepalive = " + std::string(test.text) + "\n");
    if (test.expected_ms != 0) {
      ASSERT_TRUE(result.ok) << ::testing::PrintToString(result.errors);
      EXPECT_EQ(result.config.timeouts.keepalive_ms, test.expected_ms);
    } else {
      EXPECT_EQ(only_error(result),
                "test.toml:5:13: timeouts.keepalive: " + std::string(test.error));
    }
  }
}

TEST(ParseConfig, LimitBounds) {
  struct LimitCase {
    std::string_view key;
    std::string_view bad_value;
    std::string_view range;
  };
  const LimitCase cases[] = {
      {"connections_per_worker", "0", "1 to 1048576"},
      {"connections_per_worker", "1048577", "1 to 1048576"},
      {"request_head_bytes", "1023", "1024 to 1048576"},
      {"request_head_bytes", "1048577", "1024 to 1048576"},
      {"header_count", "0", "1 to 64"},
      {"header_count", "65", "1 to 64"},
  };
  for (const LimitCase& test : cases) {
    SCOPED_TRACE(std::string(test.key) + " = " + std::string(test.bad_value));
    std::string line = std::string(test.key) + " = " + std::string(test.bad_value) + "\n";
    std::string column = std::to_string(test.key.size() + 4);
    EXPECT_EQ(only_error(parse_with("[limits]\n" + line)),
              "test.toml:5:" + column + ": limits." + std::string(test.key) + ": must be from " +
                  std::string(test.range));
  }
  EXPECT_EQ(only_error(parse_with("[limits]\nheader_count = \"64\"\n")),
            "test.toml:5:16: limits.header_count: expected an integer, got a string");
  EXPECT_EQ(only_error(parse_with("[limits]\nrequest_head_bytes = 2048.0\n")),
            "test.toml:5:22: limits.request_head_bytes: expected an integer, got a float");
}

TEST(ParseConfig, RedirectPort) {
  EXPECT_EQ(parse(std::string(http_section) + "redirect_port = 65535\n").config.http.redirect_port,
            65535);
  EXPECT_EQ(only_error(parse(std::string(http_section) + "redirect_port = 0\n")),
            "test.toml:4:17: http.redirect_port: must be from 1 to 65535");
  EXPECT_EQ(only_error(parse(std::string(http_section) + "redirect_port = 65536\n")),
            "test.toml:4:17: http.redirect_port: must be from 1 to 65535");
}

TEST(ParseConfig, AccessLog) {
  auto access = [](std::string_view value) {
    return parse_with("[log]\naccess = " + std::string(value) + "\n");
  };
  EXPECT_EQ(access(R"("-")").config.access_log.path, "-");
  EXPECT_EQ(access(R"("stdout")").config.access_log.path, "-");
  EXPECT_TRUE(access(R"("stdout")").config.access_log.enabled);
  EXPECT_FALSE(access(R"("off")").config.access_log.enabled);
  EXPECT_EQ(access(R"("/log/a.log")").config.access_log.path, "/log/a.log");
  EXPECT_EQ(only_error(access(R"("logs/a.log")")),
            "test.toml:5:10: log.access: must be \"-\", \"stdout\", \"off\" or an absolute path");
  EXPECT_EQ(only_error(access("false")),
            "test.toml:5:10: log.access: expected a string, got a boolean");
  EXPECT_EQ(only_error(parse_with("[log]\nformat = \"xml\"\n")),
            "test.toml:5:10: log.format: must be \"combined\" or \"json\"");
}

TEST(ParseConfig, ListenIpv4IntoSockaddr) {
  LoadResult result = parse("[http]\nlisten = [\"192.0.2.7:8080\"]\nacme_webroot = \"/w\"\n");
  ASSERT_TRUE(result.ok) << ::testing::PrintToString(result.errors);
  const ListenAddress& listen = result.config.http.listen.at(0);
  EXPECT_FALSE(listen.ipv6);
  ASSERT_EQ(listen.address_length, sizeof(sockaddr_in));
  const auto* ipv4 = reinterpret_cast<const sockaddr_in*>(&listen.address);
  EXPECT_EQ(ipv4->sin_family, AF_INET);
  EXPECT_EQ(ntohs(ipv4->sin_port), 8080);
  EXPECT_EQ(ntohl(ipv4->sin_addr.s_addr), 0xC0000207u);
}

TEST(ParseConfig, ListenIpv6IntoSockaddr) {
  LoadResult result =
      parse("[http]\nlisten = [\"[2001:db8::5]:443\", \"[::]:80\"]\nacme_webroot = \"/w\"\n");
  ASSERT_TRUE(result.ok) << ::testing::PrintToString(result.errors);
  const ListenAddress& listen = result.config.http.listen.at(0);
  EXPECT_TRUE(listen.ipv6);
  ASSERT_EQ(listen.address_length, sizeof(sockaddr_in6));
  const auto* ipv6 = reinterpret_cast<const sockaddr_in6*>(&listen.address);
  EXPECT_EQ(ipv6->sin6_family, AF_INET6);
  EXPECT_EQ(ntohs(ipv6->sin6_port), 443);
  const unsigned char expected[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5};
  EXPECT_EQ(std::memcmp(&ipv6->sin6_addr, expected, sizeof expected), 0);
  const auto* any = reinterpret_cast<const sockaddr_in6*>(&result.config.http.listen.at(1).address);
  EXPECT_TRUE(IN6_IS_ADDR_UNSPECIFIED(&any->sin6_addr));
}

TEST(ParseConfig, BadListenAddresses) {
  struct ListenCase {
    std::string_view text;
    std::string_view error;
  };
  const ListenCase cases[] = {
      {"localhost:80", R"("localhost" is not a numeric IPv4 address (IPv6 needs brackets))"},
      {"::1:80", R"("::1" is not a numeric IPv4 address (IPv6 needs brackets))"},
      {"1.2.3:80", R"("1.2.3" is not a numeric IPv4 address (IPv6 needs brackets))"},
      {"[fe80::1%eth0]:80", R"("fe80::1%eth0" is not a numeric IPv6 address)"},
      {"[::1]", R"(expected "IPv4:port" or "[IPv6]:port" with a numeric address)"},
      {"[::1:80", R"(expected "IPv4:port" or "[IPv6]:port" with a numeric address)"},
      {"10.0.0.1", R"(expected "IPv4:port" or "[IPv6]:port" with a numeric address)"},
      {"10.0.0.1:0", "port must be a number from 1 to 65535"},
      {"10.0.0.1:65536", "port must be a number from 1 to 65535"},
      {"10.0.0.1:", "port must be a number from 1 to 65535"},
      {"10.0.0.1:80x", "port must be a number from 1 to 65535"},
      {"10.0.0.1:+80", "port must be a number from 1 to 65535"},
  };
  for (const ListenCase& test : cases) {
    SCOPED_TRACE(test.text);
    // The bad address is the second element so the index in the key is checked too.
    std::string text = "[http]\nlisten = [\"0.0.0.0:80\", \"" + std::string(test.text) +
                       "\"]\nacme_webroot = \"/w\"\n";
    EXPECT_EQ(only_error(parse(text)),
              "test.toml:2:25: http.listen[1]: " + std::string(test.error));
  }
}

TEST(ParseConfig, ListenShapeErrors) {
  EXPECT_EQ(only_error(parse("[http]\nlisten = []\nacme_webroot = \"/w\"\n")),
            "test.toml:2:10: http.listen: must list at least one address");
  EXPECT_EQ(only_error(parse("[http]\nlisten = \"0.0.0.0:80\"\nacme_webroot = \"/w\"\n")),
            "test.toml:2:10: http.listen: expected an array of strings, got a string");
  EXPECT_EQ(only_error(parse("[http]\nlisten = [80]\nacme_webroot = \"/w\"\n")),
            "test.toml:2:11: http.listen[0]: expected a string, got an integer");
}

TEST(ParseConfig, DuplicateListenAddresses) {
  LoadResult result = parse(R"([http]
listen = [
  "[::]:80",
  "0.0.0.0:80",
  "[0::0]:80",
  "0.0.0.0:80",
  "0.0.0.0:81",
]
acme_webroot = "/w"
)");
  ASSERT_EQ(result.errors.size(), 2u) << ::testing::PrintToString(result.errors);
  EXPECT_EQ(result.errors[0], "test.toml:5:3: http.listen[2]: duplicate of http.listen[0]");
  EXPECT_EQ(result.errors[1], "test.toml:6:3: http.listen[3]: duplicate of http.listen[1]");
}

TEST(ParseConfig, RequiredKeys) {
  EXPECT_EQ(only_error(parse("[http]\nacme_webroot = \"/w\"\n")),
            "test.toml:1:1: http.listen: required key is missing");
  EXPECT_EQ(only_error(parse("workers = 2\n\n[http]\nlisten = [\"0.0.0.0:80\"]\n")),
            "test.toml:3:1: http.acme_webroot: required key is missing");
  EXPECT_EQ(only_error(parse("workers = 2\n")),
            "test.toml:1:1: http: required table [http] is missing");
  EXPECT_EQ(only_error(parse("[http]\nlisten = [\"0.0.0.0:80\"]\nacme_webroot = \"www\"\n")),
            "test.toml:3:16: http.acme_webroot: must be an absolute path");
}

TEST(ParseConfig, UnknownKeys) {
  EXPECT_EQ(only_error(parse("colour = \"blue\"\n" + std::string(http_section))),
            "test.toml:1:1: colour: unknown key");
  EXPECT_EQ(only_error(parse_with("[timeouts]\n  idle = \"5s\"\n")),
            "test.toml:5:3: timeouts.idle: unknown key");
  EXPECT_EQ(only_error(parse_with("[cache]\nsize = 1\n")), "test.toml:4:2: cache: unknown key");
  EXPECT_EQ(only_error(parse_with("[http.extra]\nx = 1\n")),
            "test.toml:4:7: http.extra: unknown key");
}

TEST(ParseConfig, SectionOfWrongType) {
  EXPECT_EQ(only_error(parse("timeouts = 5\n" + std::string(http_section))),
            "test.toml:1:12: timeouts: expected a table, got an integer");
  EXPECT_EQ(only_error(parse("http = [1]\n")),
            "test.toml:1:8: http: expected a table, got an array");
}

TEST(ParseConfig, CollectsEveryErrorInFileOrder) {
  LoadResult result = parse(R"(workers = 0
surprise = 1
[log]
format = "yaml"
[http]
listen = ["0.0.0.0:80", "example.com:80"]
acme_webroot = "relative"
redirect_port = 70000
[timeouts]
keepalive = "forever"
)");
  EXPECT_FALSE(result.ok);
  const std::vector<std::string> expected = {
      R"(test.toml:1:11: workers: must be "auto" or an integer from 1 to 1024)",
      "test.toml:2:1: surprise: unknown key",
      R"(test.toml:4:10: log.format: must be "combined" or "json")",
      R"(test.toml:6:25: http.listen[1]: "example.com" is not a numeric IPv4 address (IPv6 needs brackets))",
      "test.toml:7:16: http.acme_webroot: must be an absolute path",
      "test.toml:8:17: http.redirect_port: must be from 1 to 65535",
      R"(test.toml:10:13: timeouts.keepalive: expected an integer with a unit ms, s, m or h, like "10s")",
  };
  EXPECT_EQ(result.errors, expected);
}

TEST(ParseConfig, SyntaxError) {
  LoadResult result =
      parse("workers = 2\n[http]\nlisten = [\"0.0.0.0:80\"\nacme_webroot = \"/w\"\n");
  std::string error = only_error(result);
  EXPECT_EQ(error.rfind("test.toml:4:1: ", 0), 0u) << error;
  EXPECT_GT(error.size(), std::string_view("test.toml:4:1: ").size());

  std::string duplicate = only_error(parse("workers = 2\nworkers = 3\n"));
  EXPECT_EQ(duplicate.rfind("test.toml:2:", 0), 0u) << duplicate;
  EXPECT_NE(duplicate.find("workers"), std::string::npos) << duplicate;
}

std::string temporary_path(std::string_view name) {
  const char* directory = std::getenv("TMPDIR");
  return std::string(directory != nullptr ? directory : "/tmp") + "/ringway_config_test_" +
         std::to_string(::getpid()) + "_" + std::string(name);
}

TEST(LoadConfigFile, ReadsFileAndNamesItInErrors) {
  std::string path = temporary_path("config.toml");
  {
    std::ofstream file(path);
    file << http_section << "bogus = 1\n";
  }
  LoadResult result = load_config_file(path);
  std::remove(path.c_str());
  EXPECT_EQ(result.config.source, path);
  EXPECT_EQ(only_error(result), path + ":4:1: http.bogus: unknown key");
}

TEST(LoadConfigFile, MissingFile) {
  LoadResult result = load_config_file("/nonexistent/ringway.toml");
  EXPECT_EQ(only_error(result),
            "/nonexistent/ringway.toml: cannot read: No such file or directory");
}

TEST(LoadConfigFile, Directory) {
  EXPECT_EQ(only_error(load_config_file("/")), "/: cannot read: Is a directory");
}

void expect_same_config(const Config& actual, const Config& expected) {
  EXPECT_EQ(actual.workers, expected.workers);
  ASSERT_EQ(actual.http.listen.size(), expected.http.listen.size());
  for (std::size_t index = 0; index < expected.http.listen.size(); ++index) {
    const ListenAddress& left = actual.http.listen[index];
    const ListenAddress& right = expected.http.listen[index];
    EXPECT_EQ(left.text, right.text);
    EXPECT_EQ(left.ipv6, right.ipv6);
    ASSERT_EQ(left.address_length, right.address_length);
    EXPECT_EQ(std::memcmp(&left.address, &right.address, left.address_length), 0);
  }
  EXPECT_EQ(actual.http.acme_webroot, expected.http.acme_webroot);
  EXPECT_EQ(actual.http.redirect_port, expected.http.redirect_port);
  EXPECT_EQ(actual.timeouts.request_head_ms, expected.timeouts.request_head_ms);
  EXPECT_EQ(actual.timeouts.keepalive_ms, expected.timeouts.keepalive_ms);
  EXPECT_EQ(actual.timeouts.shutdown_ms, expected.timeouts.shutdown_ms);
  EXPECT_EQ(actual.limits.connections_per_worker, expected.limits.connections_per_worker);
  EXPECT_EQ(actual.limits.request_head_bytes, expected.limits.request_head_bytes);
  EXPECT_EQ(actual.limits.header_count, expected.limits.header_count);
  EXPECT_EQ(actual.access_log.enabled, expected.access_log.enabled);
  EXPECT_EQ(actual.access_log.path, expected.access_log.path);
  EXPECT_EQ(actual.access_log.format, expected.access_log.format);
}

TEST(DemoConfig, Values) {
  Config config = demo_config("/tmp/webroot");
  EXPECT_EQ(config.source, "<built-in demo>");
  EXPECT_EQ(config.workers, 0u);
  ASSERT_EQ(config.http.listen.size(), 2u);
  EXPECT_EQ(config.http.listen[0].text, "127.0.0.1:8080");
  EXPECT_FALSE(config.http.listen[0].ipv6);
  EXPECT_EQ(config.http.listen[1].text, "[::1]:8080");
  EXPECT_TRUE(config.http.listen[1].ipv6);
  EXPECT_EQ(config.http.acme_webroot, "/tmp/webroot");
  EXPECT_EQ(config.http.redirect_port, 8443);
  EXPECT_TRUE(config.access_log.enabled);
  EXPECT_EQ(config.access_log.path, "-");
  EXPECT_EQ(config.access_log.format, AccessLogFormat::combined);
}

TEST(DemoConfig, TextParsesToTheSameValues) {
  for (std::string webroot : {"/tmp/webroot", "/srv/with \"quotes\" and \\ back\tslash", "/é"}) {
    SCOPED_TRACE(webroot);
    std::string text = demo_config_text(webroot);
    LoadResult result = parse_config(text, "<built-in demo>");
    ASSERT_TRUE(result.ok) << ::testing::PrintToString(result.errors) << "\n" << text;
    expect_same_config(result.config, demo_config(webroot));
    EXPECT_EQ(result.config.source, "<built-in demo>");
  }
}

}  // namespace
}  // namespace ringway::config

namespace ringway::config {
namespace {

constexpr std::string_view https_sites =
    "[https]\n"
    "listen = [\"127.0.0.1:8443\"]\n"
    "default_host = \"b.test\"\n"
    "[[site]]\n"
    "hosts = [\"a.test\", \"*.a.test\"]\n"
    "certificate = \"/etc/letsencrypt/live/a.test\"\n"
    "hsts = \"max-age=31536000\"\n"
    "[[site]]\n"
    "hosts = \"b.test\"\n"
    "certificates = [\"/le/live/b-ecdsa\", \"/le/live/b-rsa\"]\n"
    "status = 503\n"
    "upstream = \"http://opam_live:8080/\"\n"
    "upstream_host = \"upstream\"\n"
    "request_body_max = 1024\n";

TEST(ParseConfig, HttpsAndSites) {
  LoadResult result = parse_config(
      "[http]\nlisten = [\"127.0.0.1:8080\"]\nacme_webroot = \"/w\"\n" + std::string(https_sites),
      "test.toml");
  ASSERT_TRUE(result.ok) << testing::PrintToString(result.errors);
  const Config& config = result.config;
  ASSERT_EQ(config.https.listen.size(), 1u);
  EXPECT_EQ(config.https.default_host, "b.test");
  EXPECT_TRUE(config.https.session_tickets);
  ASSERT_EQ(config.sites.size(), 2u);
  EXPECT_EQ(config.sites[0].hosts, (std::vector<std::string>{"a.test", "*.a.test"}));
  EXPECT_EQ(config.sites[0].certificates, std::vector<std::string>{"/etc/letsencrypt/live/a.test"});
  EXPECT_EQ(config.sites[0].status, 200);
  EXPECT_EQ(config.sites[0].hsts, "max-age=31536000");
  EXPECT_EQ(config.sites[1].certificates.size(), 2u);
  EXPECT_EQ(config.sites[1].status, 503);
  EXPECT_FALSE(config.sites[0].has_upstream);
  ASSERT_TRUE(config.sites[1].has_upstream);
  const Upstream& upstream = config.sites[1].upstream;
  EXPECT_FALSE(upstream.tls);
  EXPECT_EQ(upstream.host, "opam_live");
  EXPECT_EQ(upstream.port, 8080);
  EXPECT_FALSE(upstream.literal);
  EXPECT_EQ(upstream.authority, "opam_live:8080");
  EXPECT_EQ(config.sites[1].upstream_host, UpstreamHost::upstream);
  EXPECT_EQ(config.sites[1].request_body_bytes_max, 1024u);
}

TEST(ParseConfig, SessionTicketsSwitch) {
  std::string base =
      "[http]\nlisten = [\"127.0.0.1:8080\"]\nacme_webroot = \"/w\"\n"
      "[https]\nlisten = [\"127.0.0.1:8443\"]\nsession_tickets = ";
  std::string site = "\n[[site]]\nhosts = \"a.test\"\ncertificate = \"/c\"\n";
  LoadResult off = parse_config(base + "false" + site, "test.toml");
  ASSERT_TRUE(off.ok) << testing::PrintToString(off.errors);
  EXPECT_FALSE(off.config.https.session_tickets);
  LoadResult wrong = parse_config(base + "\"no\"" + site, "test.toml");
  EXPECT_FALSE(wrong.ok);
  EXPECT_NE(testing::PrintToString(wrong.errors).find("session_tickets"), std::string::npos)
      << testing::PrintToString(wrong.errors);
}

TEST(ParseConfig, UpstreamUrls) {
  std::string base =
      "[http]\nlisten = [\"127.0.0.1:8080\"]\nacme_webroot = \"/w\"\n"
      "[https]\nlisten = [\"127.0.0.1:8443\"]\n[[site]]\nhosts = \"a.test\"\n"
      "certificate = \"/c\"\nupstream = ";
  LoadResult literal = parse_config(base + "\"http://[::1]\"\n", "test.toml");
  ASSERT_TRUE(literal.ok) << testing::PrintToString(literal.errors);
  const Upstream& upstream = literal.config.sites[0].upstream;
  EXPECT_FALSE(upstream.tls);
  EXPECT_TRUE(upstream.literal);
  EXPECT_EQ(upstream.host, "::1");
  EXPECT_EQ(upstream.port, 80);
  EXPECT_EQ(upstream.address.ss_family, AF_INET6);
  EXPECT_FALSE(literal.config.sites[0].has_fallback);
  for (const char* bad : {"\"ftp://a\"", "\"http://a/path\"", "\"http://u@a\"", "\"http://a:0\"",
                          "\"http://a:99999\"", "\"http://\"", "\"https://a\""}) {
    LoadResult result = parse_config(base + bad + "\n", "test.toml");
    EXPECT_FALSE(result.ok) << bad;
    EXPECT_NE(testing::PrintToString(result.errors).find("site[0].upstream:"), std::string::npos)
        << testing::PrintToString(result.errors);
  }
}

constexpr std::string_view fallback_base =
    "[http]\nlisten = [\"127.0.0.1:8080\"]\nacme_webroot = \"/w\"\n"
    "[https]\nlisten = [\"127.0.0.1:8443\"]\n[[site]]\nhosts = \"a.test\"\n"
    "certificate = \"/c\"\n";

TEST(ParseConfig, Fallback) {
  std::string base(fallback_base);
  LoadResult https = parse_config(base +
                                      "upstream = \"http://opam_live\"\n"
                                      "fallback = \"https://opam-5.ocaml.org\"\n",
                                  "test.toml");
  ASSERT_TRUE(https.ok) << testing::PrintToString(https.errors);
  const Site& site = https.config.sites[0];
  ASSERT_TRUE(site.has_fallback);
  EXPECT_TRUE(site.fallback.tls);
  EXPECT_FALSE(site.fallback.literal);
  EXPECT_EQ(site.fallback.host, "opam-5.ocaml.org");
  EXPECT_EQ(site.fallback.port, 443);
  EXPECT_EQ(site.fallback_ca, "/etc/ssl/certs/ca-certificates.crt");

  LoadResult plain = parse_config(base +
                                      "upstream = \"http://127.0.0.1:8080\"\n"
                                      "fallback = \"http://192.0.2.7\"\n",
                                  "test.toml");
  ASSERT_TRUE(plain.ok) << testing::PrintToString(plain.errors);
  EXPECT_FALSE(plain.config.sites[0].fallback.tls);
  EXPECT_TRUE(plain.config.sites[0].fallback.literal);
  EXPECT_EQ(plain.config.sites[0].fallback.port, 80);

  LoadResult private_ca = parse_config(base +
                                           "upstream = \"http://opam_live\"\n"
                                           "fallback = \"https://[::1]:8443\"\n"
                                           "fallback_ca = \"/etc/ringway/sibling-ca.pem\"\n",
                                       "test.toml");
  ASSERT_TRUE(private_ca.ok) << testing::PrintToString(private_ca.errors);
  EXPECT_EQ(private_ca.config.sites[0].fallback_ca, "/etc/ringway/sibling-ca.pem");
  EXPECT_EQ(private_ca.config.sites[0].fallback.port, 8443);
}

TEST(ParseConfig, FallbackErrorsNameTheLineAndKey) {
  std::string base(fallback_base);
  auto errors = [&](const std::string& site_lines) {
    return testing::PrintToString(parse_config(base + site_lines, "test.toml").errors);
  };
  EXPECT_EQ(errors("fallback = \"https://b.test\"\n"),
            testing::PrintToString(std::vector<std::string>{
                "test.toml:9:12: site[0].fallback: needs an upstream: it is used when that "
                "cannot be reached"}));
  EXPECT_EQ(errors("upstream = \"http://a\"\nfallback = \"ftp://b.test\"\n"),
            testing::PrintToString(std::vector<std::string>{
                "test.toml:10:12: site[0].fallback: \"ftp://b.test\" must start with http:// or "
                "https://"}));
  EXPECT_EQ(
      errors("upstream = \"http://a\"\nfallback = \"http://b.test\"\nfallback_ca = \"/ca\"\n"),
      testing::PrintToString(std::vector<std::string>{
          "test.toml:11:15: site[0].fallback_ca: needs an https:// fallback"}));
  EXPECT_EQ(errors("upstream = \"http://a\"\nfallback_ca = \"/ca\"\n"),
            testing::PrintToString(std::vector<std::string>{
                "test.toml:10:15: site[0].fallback_ca: needs an https:// fallback"}));
  EXPECT_EQ(errors("upstream = \"http://a\"\nfallback = \"https://b\"\nfallback_ca = \"ca.pem\"\n"),
            testing::PrintToString(std::vector<std::string>{
                "test.toml:11:15: site[0].fallback_ca: \"ca.pem\" must be an absolute path"}));
  EXPECT_EQ(errors("upstream = \"http://a\"\nfallback = 7\n"),
            testing::PrintToString(std::vector<std::string>{
                "test.toml:10:12: site[0].fallback: expected a string, got an integer"}));
  EXPECT_EQ(errors("upstream = \"http://a\"\nfallbacks = \"https://b\"\n"),
            testing::PrintToString(
                std::vector<std::string>{"test.toml:10:1: site[0].fallbacks: unknown key"}));
}

TEST(ParseConfig, PlainHttpProxying) {
  std::string base(fallback_base);
  LoadResult redirect = parse_config(base + "upstream = \"http://opam_live\"\n", "test.toml");
  ASSERT_TRUE(redirect.ok) << testing::PrintToString(redirect.errors);
  EXPECT_FALSE(redirect.config.sites[0].http_proxy);  // the default: port 80 redirects
  LoadResult proxy =
      parse_config(base + "upstream = \"http://opam_live\"\nhttp = \"proxy\"\n", "test.toml");
  ASSERT_TRUE(proxy.ok) << testing::PrintToString(proxy.errors);
  EXPECT_TRUE(proxy.config.sites[0].http_proxy);
  auto errors = [&](const std::string& site_lines) {
    return testing::PrintToString(parse_config(base + site_lines, "test.toml").errors);
  };
  EXPECT_EQ(errors("http = \"proxy\"\n"),
            testing::PrintToString(std::vector<std::string>{
                "test.toml:9:8: site[0].http: \"proxy\" needs an upstream"}));
  EXPECT_EQ(errors("upstream = \"http://a\"\nhttp = \"pass\"\n"),
            testing::PrintToString(std::vector<std::string>{
                "test.toml:10:8: site[0].http: must be \"redirect\" or \"proxy\""}));
}

TEST(ParseConfig, SiteErrorsNameTheSiteAndKey) {
  std::string base =
      "[http]\nlisten = [\"127.0.0.1:8080\"]\nacme_webroot = \"/w\"\n"
      "[https]\nlisten = [\"127.0.0.1:8443\"]\n";
  LoadResult result =
      parse_config(base +
                       "[[site]]\nhosts = [\"a b\"]\ncertificate = \"relative\"\nstatus = 299\n"
                       "hsts = \"x\\r\\ny\"\ncolour = 1\n",
                   "test.toml");
  ASSERT_FALSE(result.ok);
  std::string all = testing::PrintToString(result.errors);
  EXPECT_NE(all.find("test.toml:7:10: site[0].hosts[0]: \\\"a b\\\" is not a host name"),
            std::string::npos)
      << all;
  EXPECT_NE(
      all.find("test.toml:8:15: site[0].certificate: \\\"relative\\\" must be an absolute path"),
      std::string::npos)
      << all;
  EXPECT_NE(all.find("test.toml:9:10: site[0].status: must be one of"), std::string::npos) << all;
  EXPECT_NE(all.find("test.toml:10:8: site[0].hsts: must be a header value"), std::string::npos)
      << all;
  EXPECT_NE(all.find("test.toml:11:1: site[0].colour: unknown key"), std::string::npos) << all;

  LoadResult missing = parse_config(base + "[[site]]\nstatus = 200\n", "test.toml");
  std::string text = testing::PrintToString(missing.errors);
  EXPECT_NE(text.find("site[0].hosts: required key is missing"), std::string::npos) << text;
  EXPECT_NE(text.find("site[0].certificate: required key is missing"), std::string::npos) << text;
}

TEST(ParseConfig, HttpsAndSitesMustComeTogether) {
  std::string http = "[http]\nlisten = [\"127.0.0.1:8080\"]\nacme_webroot = \"/w\"\n";
  LoadResult no_sites =
      parse_config(http + "[https]\nlisten = [\"127.0.0.1:8443\"]\n", "test.toml");
  EXPECT_EQ(testing::PrintToString(no_sites.errors),
            testing::PrintToString(std::vector<std::string>{
                "test.toml:1:1: site: [https] needs at least one [[site]]"}));
  LoadResult no_https =
      parse_config(http + "[[site]]\nhosts = \"a.test\"\ncertificate = \"/c\"\n", "test.toml");
  EXPECT_FALSE(no_https.ok);
  LoadResult bad_default =
      parse_config(http +
                       "[https]\nlisten = [\"127.0.0.1:8443\"]\ndefault_host = \"z.test\"\n"
                       "[[site]]\nhosts = \"a.test\"\ncertificate = \"/c\"\n",
                   "test.toml");
  EXPECT_NE(testing::PrintToString(bad_default.errors).find("\\\"z.test\\\" is not a host of any"),
            std::string::npos);
}

}  // namespace
}  // namespace ringway::config
