// ringway run | check | version
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "ringway/config/config.h"
#include "ringway/control/signals.h"
#include "ringway/io/listener.h"
#include "ringway/io/ring.h"
#include "ringway/io/worker.h"
#include "ringway/log/error_log.h"
#include "ringway/tls/crypto_build.h"

namespace {

using ringway::log::Level;
using ringway::log::write_line;

constexpr const char* version_text = "0.1.0";
constexpr int listen_backlog = 4096;

int usage() {
  std::fprintf(
      stderr,
      "usage: ringway run [--config FILE]   serve (built-in demo config without --config)\n"
      "       ringway check --config FILE   validate a config and exit\n"
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

int open_access_log(const ringway::config::AccessLog& access_log) {
  if (!access_log.enabled) return -1;
  if (access_log.path == "-") return fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
  return open(access_log.path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

struct WorkerThread {
  std::unique_ptr<ringway::io::Worker> worker;
  std::thread thread;
};

int serve(const ringway::config::Config& config) {
  std::string missing = ringway::io::probe_kernel_support();
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
  std::size_t worker_count =
      config.workers > 0 ? config.workers : std::max<std::size_t>(1, cpus.size());

  ringway::control::block_control_signals();
  std::vector<WorkerThread> workers(worker_count);
  for (std::size_t index = 0; index < worker_count; ++index) {
    ringway::io::WorkerSettings settings;
    settings.config = &config;
    settings.webroot_fd = webroot_fd;
    settings.access_log_fd = access_log_fd;
    settings.cpu = cpus.empty() ? -1 : cpus[index % cpus.size()];
    for (const ringway::config::ListenAddress& address : config.http.listen) {
      ringway::io::ListenResult listener = ringway::io::open_listener(address, listen_backlog);
      if (listener.fd < 0) {
        write_line(Level::error, "%s", listener.error.c_str());
        for (int fd : settings.listener_fds) close(fd);
        return 1;  // workers built so far close their own sockets
      }
      settings.listener_fds.push_back(listener.fd);
    }
    workers[index].worker = std::make_unique<ringway::io::Worker>(std::move(settings));
  }

  std::vector<std::future<std::string>> started;
  for (WorkerThread& entry : workers) {
    auto opened = std::make_shared<std::promise<std::string>>();
    started.push_back(opened->get_future());
    ringway::io::Worker* worker = entry.worker.get();
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

  if (all_started) {
    std::string addresses;
    for (const ringway::config::ListenAddress& address : config.http.listen) {
      addresses += (addresses.empty() ? "" : ", ") + address.text;
    }
    write_line(Level::info, "ringway %s: listening on %s with %zu workers (config %s)",
               version_text, addresses.c_str(), worker_count, config.source.c_str());
    for (;;) {
      int number = ringway::control::wait_for_control_signal();
      if (number == SIGTERM || number == SIGINT) break;
      write_line(Level::info, "SIGHUP: nothing to reload yet");
    }
    write_line(Level::info, "stopping: finishing in-flight responses (up to %u ms)",
               config.timeouts.shutdown_ms);
  }
  for (WorkerThread& entry : workers) entry.worker->request_stop();
  for (WorkerThread& entry : workers) entry.thread.join();
  if (all_started) write_line(Level::info, "stopped");
  return all_started ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  std::string command = argv[1];
  const char* config_path = nullptr;
  for (int index = 2; index < argc; ++index) {
    if (std::strcmp(argv[index], "--config") == 0 && index + 1 < argc) {
      config_path = argv[++index];
    } else {
      return usage();
    }
  }
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
    if (!load(config_path, config)) return 1;
    std::printf("%s: ok\n", config_path);
    return 0;
  }
  if (command != "run") return usage();
  if (config_path == nullptr) {
    config = ringway::config::demo_config(prepare_demo_webroot());
  } else if (!load(config_path, config)) {
    return 1;
  }
  return serve(config);
}
