#include "seed_runner.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#endif

namespace ringway::fake {

namespace {

constexpr std::size_t failures_shown_max = 3;
constexpr std::size_t log_bytes_shown_max = 16384;

// For the crash handler, which may only use what is async-signal-safe.
int saved_stderr = -1;
int capture_fd = -1;
char crash_note[128];

void write_all(int fd, const char* data, std::size_t bytes) {
  while (bytes > 0) {
    ssize_t written = ::write(fd, data, bytes);
    if (written <= 0) return;
    data += written;
    bytes -= static_cast<std::size_t>(written);
  }
}

void dump_capture() {
  if (saved_stderr < 0) return;
  write_all(saved_stderr, crash_note, std::strlen(crash_note));
  if (capture_fd < 0) return;
  char block[4096];
  lseek(capture_fd, 0, SEEK_SET);
  for (ssize_t got; (got = ::read(capture_fd, block, sizeof block)) > 0;) {
    write_all(saved_stderr, block, static_cast<std::size_t>(got));
  }
}

void on_crash(int signal_number) {
  dump_capture();
  ::signal(signal_number, SIG_DFL);
  ::raise(signal_number);
}

std::string captured_log() {
  std::string text;
  char block[4096];
  lseek(capture_fd, 0, SEEK_SET);
  for (ssize_t got; (got = ::read(capture_fd, block, sizeof block)) > 0;) {
    text.append(block, static_cast<std::size_t>(got));
  }
  return text;
}

std::uint64_t environment_number(const char* name, std::uint64_t otherwise) {
  const char* text = std::getenv(name);
  return text != nullptr && *text != '\0' ? std::strtoull(text, nullptr, 10) : otherwise;
}

}  // namespace

bool run_seeds(std::string_view scenario, std::uint64_t default_count,
               const std::function<std::string(std::uint64_t)>& one_seed) {
  if (std::getenv("RINGWAY_FAKE_SEED") != nullptr) {
    std::uint64_t seed = environment_number("RINGWAY_FAKE_SEED", 0);
    std::string failure = one_seed(seed);
    std::printf("%.*s seed %llu: %s\n", static_cast<int>(scenario.size()), scenario.data(),
                static_cast<unsigned long long>(seed), failure.empty() ? "ok" : failure.c_str());
    return failure.empty();
  }
  std::uint64_t count = environment_number("RINGWAY_FAKE_SEEDS", default_count);
  saved_stderr = dup(STDERR_FILENO);
  capture_fd = memfd_create("worker-log", MFD_CLOEXEC);
  ::signal(SIGABRT, on_crash);
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_set_death_callback(dump_capture);
#else
  ::signal(SIGSEGV, on_crash);
#endif
  std::size_t failures = 0;
  for (std::uint64_t seed = 1; seed <= count && failures < failures_shown_max; ++seed) {
    std::snprintf(crash_note, sizeof crash_note, "\n%.*s seed %llu crashed; its log:\n",
                  static_cast<int>(scenario.size()), scenario.data(),
                  static_cast<unsigned long long>(seed));
    ftruncate(capture_fd, 0);
    lseek(capture_fd, 0, SEEK_SET);
    dup2(capture_fd, STDERR_FILENO);
    std::string failure = one_seed(seed);
    dup2(saved_stderr, STDERR_FILENO);
    std::string log = captured_log();
    if (failure.empty() && log.find("runtime error:") != std::string::npos) {
      failure = "undefined behaviour (see the log)";
    }
    if (failure.empty()) continue;
    ++failures;
    if (log.size() > log_bytes_shown_max)
      log = "...\n" + log.substr(log.size() - log_bytes_shown_max);
    std::printf("%.*s seed %llu: %s\n  replay: RINGWAY_FAKE_SEED=%llu\n  worker log:\n%s\n",
                static_cast<int>(scenario.size()), scenario.data(),
                static_cast<unsigned long long>(seed), failure.c_str(),
                static_cast<unsigned long long>(seed), log.c_str());
  }
  ::signal(SIGABRT, SIG_DFL);
#if !defined(__SANITIZE_ADDRESS__)
  ::signal(SIGSEGV, SIG_DFL);
#endif
  close(capture_fd);
  close(saved_stderr);
  capture_fd = saved_stderr = -1;
  return failures == 0;
}

}  // namespace ringway::fake
