#pragma once
// ringway's configuration as plain values. Loading validates everything up
// front so nothing downstream needs to check again.

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ringway::config {

struct ListenAddress {
  std::string text;  // as written, e.g. "0.0.0.0:80" or "[::]:80"
  sockaddr_storage address{};
  socklen_t address_length = 0;
  bool ipv6 = false;
};

enum class AccessLogFormat { combined, json };

struct AccessLog {
  bool enabled = true;
  std::string path = "-";  // "-" is standard output
  AccessLogFormat format = AccessLogFormat::combined;
};

// Where a site's requests go: "http://opam_live:80", "http://127.0.0.1:8080".
struct Upstream {
  bool tls = false;  // https://
  std::string host;  // a DNS name, or an IP literal without brackets
  std::uint16_t port = 80;
  bool literal = false;        // host is an IP address: no DNS
  sockaddr_storage address{};  // with literal: host and port as a socket address
  socklen_t address_length = 0;
  std::string authority;  // host[:port] as written, for a Host field naming the upstream
};

// The plain-HTTP front end: ACME challenges and the redirect to HTTPS.
struct HttpFront {
  std::vector<ListenAddress> listen;
  std::string acme_webroot;  // challenges are read below <acme_webroot>/.well-known/acme-challenge
  std::uint16_t redirect_port = 443;  // port of the HTTPS Location; 443 is left out of it
  // The other host of a round-robin pair: a challenge missing here is asked for there.
  bool has_acme_peer = false;
  Upstream acme_peer;
};

// The HTTPS front end: TLS on these addresses for every [[site]].
struct HttpsFront {
  std::vector<ListenAddress> listen;
  // The site for clients without SNI, or with a name no site has; empty: the first site.
  std::string default_host;
  // TLS 1.3 session tickets (resumption without a full handshake); off: every
  // handshake is a full one, as nginx's ssl_session_tickets off.
  bool session_tickets = true;
};

// Where an https fallback's certificate is verified when the site names no CA of its own.
inline constexpr std::string_view system_ca_file = "/etc/ssl/certs/ca-certificates.crt";

// The Host field sent upstream: the client's (the default) or the upstream's own.
enum class UpstreamHost { client, upstream };

// One [[site]]: the names it answers, their certificates, and where requests go
// (an upstream, or else the status it answers with).
struct Site {
  std::vector<std::string> hosts;  // exact names, or one leading wildcard label "*.example.org"
  // certbot live/<name>/ directories (fullchain.pem + privkey.pem); an ECDSA and
  // an RSA one may both be given for the same names.
  std::vector<std::string> certificates;
  int status = 200;
  std::string hsts;  // Strict-Transport-Security value, e.g. "max-age=31536000"; empty: none
  bool has_upstream = false;
  Upstream upstream;  // always http://: the local backend
  UpstreamHost upstream_host = UpstreamHost::client;
  // Plain-HTTP requests for the site: redirected to HTTPS (the default) or, with
  // http = "proxy", proxied to the upstream like HTTPS ones (challenges come first).
  bool http_proxy = false;
  std::uint64_t request_body_bytes_max = 1 << 20;  // 413 past it
  // The sibling host, used only when the local upstream refuses or cannot be
  // reached: http:// or https:// (verified against fallback_ca), always with the
  // client's Host. Needs an upstream.
  bool has_fallback = false;
  Upstream fallback;
  std::string fallback_ca = std::string(system_ca_file);
};

struct Timeouts {
  std::uint32_t upstream_connect_ms = 5000;
  std::uint32_t upstream_response_ms = 60000;  // from the request sent to the response head
  std::uint32_t upstream_idle_ms = 300000;  // idle pooled upstream connections (below IPVS's 900 s)
  std::uint32_t request_head_ms = 10000;    // from connection or previous response to a full head
  std::uint32_t keepalive_ms = 75000;       // idle between requests
  std::uint32_t shutdown_ms = 10000;  // how long a graceful stop waits for in-flight responses
};

struct Limits {
  std::uint32_t connections_per_worker = 16384;
  std::uint32_t request_head_bytes = 16384;
  std::uint32_t header_count = 64;
};

// Per-socket TCP settings, set on every listening socket (accepted sockets inherit
// them) so ringway behaves the same whatever the host's sysctls say.
struct Tcp {
  std::string congestion = "bbr";           // TCP_CONGESTION; empty leaves the system default
  std::uint32_t keepalive_idle_s = 60;      // TCP_KEEPIDLE: idle time before the first probe
  std::uint32_t keepalive_interval_s = 10;  // TCP_KEEPINTVL: between unanswered probes
  std::uint32_t keepalive_count = 6;        // TCP_KEEPCNT: unanswered probes before reset
};

// What a failing startup check does: nothing, a warning line, or refusing to start.
enum class CheckPolicy { off, warn, enforce };

// The names a [preflight.checks] table may override; see ringway/preflight/preflight.h.
inline constexpr std::array<std::string_view, 11> preflight_check_names = {
    "sysctl_files", "fq",        "bbr",   "keepalive", "sysctl", "io_uring",
    "nofile",       "somaxconn", "ports", "aesni",     "socket",
};

struct CheckOverride {
  std::string check;  // one of preflight_check_names
  CheckPolicy policy = CheckPolicy::warn;
};

struct Preflight {
  CheckPolicy policy = CheckPolicy::warn;        // for every check without an override
  std::string sysctl_dir = "/usr/lib/sysctl.d";  // where the installed sysctl/*.conf live
  std::vector<CheckOverride> checks;             // [preflight.checks], in file order
};

// One DNS server from [resolver] servers: a numeric address and port.
struct ResolverServer {
  std::string text;  // as written, e.g. "127.0.0.11:53", "127.0.0.11" or "[::1]:5353"
  sockaddr_storage address{};
  socklen_t address_length = 0;
};

// [resolver]: where upstream names are resolved and how long an answer is used.
// An answer is used for its TTL, or for `valid_ms` when set, clamped to
// valid_min_ms..valid_max_ms; a failing lookup is retried from valid_min_ms on.
struct Resolver {
  std::vector<ResolverServer> servers;       // asked in order; empty: names cannot be resolved
  std::uint32_t valid_ms = 0;                // 0: the answer's TTL
  std::uint32_t valid_min_ms = 1000;         // floor, and the first retry after a failure
  std::uint32_t valid_max_ms = 3600 * 1000;  // ceiling
  std::uint32_t timeout_ms = 2000;           // how long each server has to answer one query
};

struct Config {
  std::string source;         // the file it came from, or "<built-in demo>"
  std::uint32_t workers = 0;  // 0: one per CPU in the affinity mask
  HttpFront http;
  HttpsFront https;
  std::vector<Site> sites;
  Timeouts timeouts;
  Limits limits;
  AccessLog access_log;
  Tcp tcp;
  Preflight preflight;
  Resolver resolver;
};

// The policy that applies to `check`: its override, else the global policy.
CheckPolicy policy_for(const Preflight& preflight, std::string_view check);

struct LoadResult {
  bool ok = false;
  Config config;
  std::vector<std::string> errors;  // each "file:line:column: key: what is wrong"
};

// Reads and validates a TOML config file. Never throws.
LoadResult load_config_file(const std::string& path);

// Parses config text; source_name is used in error messages. Never throws.
LoadResult parse_config(std::string_view text, const std::string& source_name);

// The built-in demo config: loopback high ports, webroot given by the caller.
Config demo_config(const std::string& acme_webroot);

// The demo config as TOML text, so `ringway check` and docs can show it.
std::string demo_config_text(const std::string& acme_webroot);

}  // namespace ringway::config
