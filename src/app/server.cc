#include "ringway/app/server.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cstring>
#include <ctime>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "ringway/app/listeners.h"
#include "ringway/app/sites.h"
#include "ringway/app/worker.h"
#include "ringway/base/clock.h"
#include "ringway/control/control_loop.h"
#include "ringway/control/signals.h"
#include "ringway/control/tls_state.h"
#include "ringway/dns/resolver.h"
#include "ringway/io/ring.h"
#include "ringway/log/error_log.h"
#include "ringway/proxy/site_router.h"
#include "ringway/proxy/upstream_routes.h"
#include "ringway/tls/client_context.h"
#include "ringway/tls/crypto_build.h"

namespace ringway::app {

namespace {

using log::Level;
using log::write_line;

constexpr std::uint64_t ticket_key_rotation_ms = std::uint64_t{3600} * 1000;

struct WorkerThread {
  std::unique_ptr<Worker> worker;
  std::thread thread;
};

int open_access_log(const config::AccessLog& access_log) {
  if (!access_log.enabled) return -1;
  if (access_log.path == "-") return fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
  return open(access_log.path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

// This worker's own SO_REUSEPORT sockets for every listen address.
bool open_listeners(const config::Config& config, WorkerSettings& settings) {
  auto open_all = [&](const std::vector<config::ListenAddress>& addresses, bool tls) {
    for (const config::ListenAddress& address : addresses) {
      io::ListenResult listener = open_tuned_listener(address, io::listen_backlog, config.tcp);
      if (listener.fd < 0) {
        write_line(Level::error, "%s", listener.error.c_str());
        return false;
      }
      settings.listeners.push_back({listener.fd, tls});
    }
    return true;
  };
  if (open_all(config.http.listen, false) && open_all(config.https.listen, true)) return true;
  for (const ListenerSocket& listener : settings.listeners) close(listener.fd);
  settings.listeners.clear();
  return false;
}

// Starts every worker on its own thread; false (with the reasons logged) when any failed.
bool start_workers(std::vector<WorkerThread>& workers) {
  std::vector<std::future<std::string>> started;
  for (WorkerThread& entry : workers) {
    auto opened = std::make_shared<std::promise<std::string>>();
    started.push_back(opened->get_future());
    Worker* worker = entry.worker.get();
    entry.thread = std::thread([worker, opened] {
      std::string error = worker->open();
      bool ok = error.empty();
      opened->set_value(std::move(error));
      if (ok) worker->run();
    });
  }
  bool all_started = true;
  for (std::future<std::string>& result : started) {
    std::string error = result.get();
    if (!error.empty()) {
      write_line(Level::error, "worker: %s", error.c_str());
      all_started = false;
    }
  }
  return all_started;
}

// Per worker, per route: a TLS client context for each https upstream, each
// worker its own. False (the reason logged) when a CA bundle cannot be loaded.
bool make_upstream_tls(const config::Config& config,
                       const std::vector<proxy::UpstreamRoute>& routes, std::size_t worker_count,
                       std::vector<std::vector<std::shared_ptr<const tls::ClientContext>>>& out) {
  out.assign(worker_count, std::vector<std::shared_ptr<const tls::ClientContext>>(routes.size()));
  for (std::size_t route = 0; route < routes.size(); ++route) {
    if (routes[route].upstream == nullptr || !routes[route].upstream->tls) continue;
    for (std::size_t worker = 0; worker < worker_count; ++worker) {
      std::string error;
      out[worker][route] = tls::ClientContext::create(std::string(routes[route].ca_file), error);
      if (out[worker][route] == nullptr) {
        // Only fallbacks are https, and their CA bundle is the key's "_ca" sibling.
        write_line(Level::error, "%s: %s_ca: %s", config.source.c_str(), routes[route].key.c_str(),
                   error.c_str());
        return false;
      }
    }
  }
  return true;
}

using base::monotonic_ms;
std::string listen_summary(const config::Config& config) {
  std::string text;
  for (const config::ListenAddress& address : config.http.listen) {
    text += (text.empty() ? "" : ", ") + address.text;
  }
  for (const config::ListenAddress& address : config.https.listen) {
    text += (text.empty() ? "" : ", ") + address.text + " (https)";
  }
  return text;
}

}  // namespace

std::vector<int> allowed_cpus() {
  std::vector<int> cpus;
  cpu_set_t mask;
  if (sched_getaffinity(0, sizeof mask, &mask) == 0) {
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
      if (CPU_ISSET(cpu, &mask)) cpus.push_back(cpu);
    }
  }
  return cpus;
}

std::size_t worker_count_for(const config::Config& config, const std::vector<int>& cpus) {
  return config.workers > 0 ? config.workers : std::max<std::size_t>(1, cpus.size());
}

int run_server(const config::Config& config) {
  std::string missing = io::probe_kernel_support();
  if (!missing.empty()) {
    write_line(Level::error, "%s", missing.c_str());
    return 1;
  }
  int webroot_fd = open(config.http.acme_webroot.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (webroot_fd < 0) {
    write_line(Level::error, "%s: http.acme_webroot %s: %s", config.source.c_str(),
               config.http.acme_webroot.c_str(), std::strerror(errno));
    return 1;
  }
  int access_log_fd = open_access_log(config.access_log);
  if (config.access_log.enabled && access_log_fd < 0) {
    write_line(Level::error, "%s: log.access %s: %s", config.source.c_str(),
               config.access_log.path.c_str(), std::strerror(errno));
    return 1;
  }
  std::vector<int> cpus = allowed_cpus();
  std::size_t worker_count = worker_count_for(config, cpus);
  std::optional<control::TlsState> tls;
  if (!config.sites.empty()) {
    write_line(Level::info, "tls: %s", tls::describe(tls::crypto_build()).c_str());
    tls.emplace(config, worker_count);
  }
  proxy::SiteRouter sites = make_site_router(config);
  // Upstream names are resolved by the control loop; workers read the results.
  dns::Resolver resolver;
  // Numbered once: the resolver, the TLS contexts and every worker's pools use these indexes.
  const proxy::UpstreamRoutes numbered_routes = proxy::upstream_routes(config);
  const std::vector<proxy::UpstreamRoute>& routes = numbered_routes.routes;
  std::vector<std::vector<std::shared_ptr<const tls::ClientContext>>> upstream_tls;
  if (!make_upstream_tls(config, routes, worker_count, upstream_tls)) return 1;
  std::vector<const base::Published<dns::AddressSet>*> upstream_addresses(routes.size(), nullptr);
  bool resolving = false;
  for (std::size_t index = 0; index < routes.size(); ++index) {
    const config::Upstream* upstream = routes[index].upstream;
    if (upstream == nullptr || upstream->literal) continue;
    if (!resolving) {
      std::string error = resolver.open(config.resolver);
      if (!error.empty()) {
        write_line(Level::error, "resolver: %s", error.c_str());
        return 1;
      }
      resolving = true;
    }
    upstream_addresses[index] = &resolver.resolve(upstream->host, upstream->port, monotonic_ms());
  }

  control::block_control_signals();
  std::vector<WorkerThread> workers(worker_count);
  for (std::size_t index = 0; index < worker_count; ++index) {
    WorkerSettings settings;
    settings.config = &config;
    settings.index = index;
    settings.webroot_fd = webroot_fd;
    settings.access_log_fd = access_log_fd;
    settings.cpu = cpus.empty() ? -1 : cpus[index % cpus.size()];
    if (tls) {
      settings.certificates = &tls->certificates();
      settings.ticket_keys = &tls->ticket_keys();
    }
    settings.sites = &sites;  // HTTPS requests, and plain ones for sites with http = "proxy"
    settings.routes = &numbered_routes;
    settings.upstream_addresses = upstream_addresses;
    settings.upstream_tls = std::move(upstream_tls[index]);
    if (!open_listeners(config, settings)) return 1;  // earlier workers close their own
    workers[index].worker = std::make_unique<Worker>(std::move(settings));
  }

  bool all_started = start_workers(workers);
  if (all_started) {
    write_line(Level::info, "ringway: listening on %s with %zu workers (config %s)",
               listen_summary(config).c_str(), worker_count, config.source.c_str());
    control::ControlActions actions;
    if (resolving) actions.resolver = &resolver;
    if (tls) {
      actions.reload = [&tls](std::string_view reason) { tls->reload(reason); };
      actions.watched_directories = [&tls] { return tls->watched_directories(); };
      actions.periodic = [&tls] { tls->rotate_ticket_keys(); };
      actions.periodic_ms = ticket_key_rotation_ms;
    } else {
      actions.reload = [](std::string_view) {
        write_line(Level::info, "SIGHUP: no certificates to reload");
      };
    }
    control::run_control_loop(actions);
    write_line(Level::info, "stopping: finishing in-flight responses (up to %u ms)",
               config.timeouts.shutdown_ms);
  }
  for (WorkerThread& entry : workers) entry.worker->request_stop();
  for (WorkerThread& entry : workers) {
    if (entry.thread.joinable()) entry.thread.join();
  }
  if (all_started) write_line(Level::info, "stopped");
  return all_started ? 0 : 1;
}

}  // namespace ringway::app
