// ringway run | check | version
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "ringway/app/server.h"
#include "ringway/config/config.h"
#include "ringway/io/listener.h"
#include "ringway/log/error_log.h"
#include "ringway/preflight/preflight.h"
#include "ringway/tls/client_context.h"
#include "ringway/tls/crypto_build.h"

namespace {

using ringway::log::Level;
using ringway::log::write_line;

constexpr const char* version_text = "0.1.0";
using ringway::io::listen_backlog;

int usage() {
  std::fprintf(
      stderr,
      "usage: ringway run [--config FILE]   serve (built-in demo config without --config)\n"
      "       ringway check --config FILE [--format table|json]\n"
      "                                     validate a config, run the preflight, exit:\n"
      "                                     0 ok, 1 bad config, 3 an enforced check fails\n"
      "       ringway version\n");
  return 2;
}

// The demo runs without root and without setup: a throwaway webroot holding
// one challenge, served on loopback high ports.
std::string prepare_demo_webroot() {
  std::string root = "/tmp/ringway-demo-webroot";
  std::string directory = root + "/.well-known/acme-challenge";
  mkdir(root.c_str(), 0755);
  mkdir((root + "/.well-known").c_str(), 0755);
  mkdir(directory.c_str(), 0755);
  if (FILE* file = std::fopen((directory + "/demo-token").c_str(), "w")) {
    std::fputs("demo-token.ringway-demo-account-thumbprint\n", file);
    std::fclose(file);
  }
  return root;
}

bool load(const char* path, ringway::config::Config& config) {
  ringway::config::LoadResult result = ringway::config::load_config_file(path);
  for (const std::string& error : result.errors) std::fprintf(stderr, "%s\n", error.c_str());
  if (!result.ok) return false;
  config = std::move(result.config);
  return true;
}

ringway::preflight::Report run_preflight(const ringway::config::Config& config) {
  ringway::preflight::PreflightOptions options;
  options.workers = static_cast<std::uint32_t>(
      ringway::app::worker_count_for(config, ringway::app::allowed_cpus()));
  options.listen_backlog = listen_backlog;
  options.has_tls_listeners = !config.https.listen.empty();
  options.wolfssl = ringway::tls::crypto_build().aes_ni
                        ? ringway::preflight::WolfsslAesni::with_aesni
                        : ringway::preflight::WolfsslAesni::without_aesni;
  return ringway::preflight::run_preflight(config, options);
}

// Raises the soft open-file limit to what the connection limits need, as far as
// the hard limit allows; the preflight reports when that is not enough.
void raise_open_files_limit(const ringway::config::Config& config) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  std::uint64_t needed = ringway::preflight::open_files_needed(
      static_cast<std::uint32_t>(
          ringway::app::worker_count_for(config, ringway::app::allowed_cpus())),
      config.limits.connections_per_worker, config.http.listen.size() + config.https.listen.size());
  if (limit.rlim_cur >= needed) return;
  limit.rlim_cur = std::min<rlim_t>(needed, limit.rlim_max);
  setrlimit(RLIMIT_NOFILE, &limit);
}

// One log line per check that is not ok; false when an enforced one fails.
bool preflight_allows_start(const ringway::config::Config& config) {
  raise_open_files_limit(config);
  ringway::preflight::Report report = run_preflight(config);
  for (const ringway::preflight::Row& row : report.rows) {
    if (!ringway::preflight::is_failure(row.finding.verdict)) continue;
    write_line(row.refuses ? Level::error : Level::warning, "%s",
               ringway::preflight::startup_line(row).c_str());
  }
  if (!report.refuses) return true;
  write_line(Level::error,
             "preflight: refusing to start: enforced checks fail (policy in [preflight] of %s)",
             config.source.c_str());
  return false;
}

// What run would refuse beyond the config's syntax: CA bundles of https fallbacks
// that do not load. One "file: site[N].fallback_ca: reason" line each.
std::vector<std::string> unloadable_fallback_cas(const ringway::config::Config& config) {
  std::vector<std::string> errors;
  for (std::size_t index = 0; index < config.sites.size(); ++index) {
    const ringway::config::Site& site = config.sites[index];
    if (!site.has_fallback || !site.fallback.tls) continue;
    std::string error;
    if (ringway::tls::ClientContext::create(site.fallback_ca, error) == nullptr) {
      errors.push_back(config.source + ": site[" + std::to_string(index) +
                       "].fallback_ca: " + error);
    }
  }
  return errors;
}

int check(const char* config_path, bool json) {
  ringway::config::LoadResult result = ringway::config::load_config_file(config_path);
  if (result.ok) {
    result.errors = unloadable_fallback_cas(result.config);
    result.ok = result.errors.empty();
  }
  for (const std::string& error : result.errors) std::fprintf(stderr, "%s\n", error.c_str());
  if (!result.ok) {
    if (json) {
      std::string text = ringway::preflight::format_json_errors(config_path, result.errors);
      std::fputs(text.c_str(), stdout);
    }
    return 1;
  }
  ringway::preflight::Report report = run_preflight(result.config);
  if (json) {
    std::fputs(ringway::preflight::format_json(report, config_path).c_str(), stdout);
  } else {
    std::printf("%s: ok\n", config_path);
    std::fputs(ringway::preflight::format_table(report).c_str(), stdout);
  }
  return report.refuses ? ringway::preflight::refused_exit_code : 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  std::string command = argv[1];
  const char* config_path = nullptr;
  const char* format = nullptr;
  for (int index = 2; index < argc; ++index) {
    if (std::strcmp(argv[index], "--config") == 0 && index + 1 < argc) {
      config_path = argv[++index];
    } else if (std::strcmp(argv[index], "--format") == 0 && index + 1 < argc &&
               command == "check") {
      format = argv[++index];
    } else {
      return usage();
    }
  }
  bool json = format != nullptr && std::strcmp(format, "json") == 0;
  if (format != nullptr && !json && std::strcmp(format, "table") != 0) return usage();
  if (command == "version") {
    std::printf("ringway %s\n", version_text);
    ringway::tls::CryptoBuild crypto = ringway::tls::crypto_build();
    std::printf("%s\n", ringway::tls::describe(crypto).c_str());
    if (ringway::tls::slow_crypto_build(crypto)) {
      std::printf("warning: this CPU has AES-NI but this wolfSSL build does not use it\n");
    }
    return 0;
  }
  ringway::config::Config config;
  if (command == "check") {
    if (config_path == nullptr) return usage();
    return check(config_path, json);
  }
  if (command != "run") return usage();
  if (config_path == nullptr) {
    config = ringway::config::demo_config(prepare_demo_webroot());
  } else if (!load(config_path, config)) {
    return 1;
  }
  if (!preflight_allows_start(config)) return ringway::preflight::refused_exit_code;
  return ringway::app::run_server(config);
}
