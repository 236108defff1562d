// The built-in demo config, as values and as the TOML text that yields them.
// The text is rendered from the values so the two cannot drift apart.

#include <cstdlib>
#include <optional>

#include <fmt/format.h>

#include "duration.h"
#include "listen_address.h"
#include "ringway/config/config.h"

namespace ringway::config {
namespace {

// A TOML basic string: quotes, backslashes and control characters escaped.
std::string toml_quoted(std::string_view text) {
  std::string quoted = "\"";
  for (char character : text) {
    auto byte = static_cast<unsigned char>(character);
    if (character == '"' || character == '\\') {
      quoted += '\\';
      quoted += character;
    } else if (byte < 0x20 || byte == 0x7f) {
      quoted += fmt::format("\\u{:04X}", byte);
    } else {
      quoted += character;
    }
  }
  quoted += '"';
  return quoted;
}

ListenAddress demo_listen_address(std::string_view text) {
  std::string error;
  std::optional<ListenAddress> address = parse_listen_address(text, error);
  // Fixed, known-good literals: failing here is a bug in this file.
  if (!address) std::abort();
  return *address;
}

}  // namespace

Config demo_config(const std::string& acme_webroot) {
  Config config;
  config.source = "<built-in demo>";
  config.workers = 0;
  // High ports on loopback: the demo runs without root and is not reachable from outside.
  config.http.listen.push_back(demo_listen_address("127.0.0.1:8080"));
  config.http.listen.push_back(demo_listen_address("[::1]:8080"));
  config.http.acme_webroot = acme_webroot;
  config.http.redirect_port = 8443;
  config.access_log.enabled = true;
  config.access_log.path = "-";
  config.access_log.format = AccessLogFormat::combined;
  return config;
}

std::string demo_config_text(const std::string& acme_webroot) {
  const Config config = demo_config(acme_webroot);
  return fmt::format(
      R"(# ringway demo config: loopback only and high ports, so no root is needed.
workers = "auto"  # one worker per CPU

[http]
listen = [{}, {}]
acme_webroot = {}  # ACME HTTP-01 challenge files are served from here
redirect_port = {}  # every other request is redirected to HTTPS on this port

[timeouts]
request_head = "{}"  # to receive a complete request head
keepalive = "{}"  # idle time allowed between requests
shutdown = "{}"  # how long a graceful stop waits for responses in flight

[limits]
connections_per_worker = {}
request_head_bytes = {}
header_count = {}

[log]
access = {}  # "-" is standard output; "off" or an absolute file path also work
format = "{}"  # or "json"

[tcp]  # set on every socket, whatever the host's sysctls say
congestion = {}  # "" leaves the system default
keepalive_idle = "{}s"  # silence before the first keepalive probe
keepalive_interval = "{}s"  # between unanswered probes
keepalive_count = {}  # unanswered probes before the connection is dropped

[preflight]  # startup checks of the kernel settings in sysctl/
policy = "{}"  # or "{}": refuse to start when a check fails
)",
      toml_quoted(config.http.listen[0].text), toml_quoted(config.http.listen[1].text),
      toml_quoted(config.http.acme_webroot), config.http.redirect_port,
      format_duration(config.timeouts.request_head_ms),
      format_duration(config.timeouts.keepalive_ms), format_duration(config.timeouts.shutdown_ms),
      config.limits.connections_per_worker, config.limits.request_head_bytes,
      config.limits.header_count, toml_quoted(config.access_log.path),
      config.access_log.format == AccessLogFormat::json ? "json" : "combined",
      toml_quoted(config.tcp.congestion), config.tcp.keepalive_idle_s,
      config.tcp.keepalive_interval_s, config.tcp.keepalive_count,
      config.preflight.policy == CheckPolicy::enforce ? "enforce" : "warn",
      config.preflight.policy == CheckPolicy::enforce ? "warn" : "enforce");
}

}  // namespace ringway::config
