// The client bench/harness.py drives for its TLS scenarios, where wrk does not fit:
//
//   tls_load handshake --port P [--concurrency 64] [--duration 10]
//     Keeps C connections in flight; each is a new TCP connection, a full TLS 1.3 handshake
//     (a new wolfSSL session every time, no session or ticket offered, so nothing can be
//     resumed), one `GET / HTTP/1.1` with `Connection: close`, the response, and the server's
//     close. wrk cannot do this: it keeps one SSL object per connection slot and reuses its
//     session after SSL_clear, so against a server that issues tickets it resumes.
//   tls_load idle --port P [--connections 10000] [--parallel 100]
//     Opens N connections (handshake, one keepalive request, its response), then holds them
//     idle, prints a JSON "ready" line, and waits for standard input to close; then it says how
//     many the server closed meanwhile and resets them all.
//
// Both: --plain (no TLS), --address 127.0.0.1, --host localhost (SNI and Host), --path /,
// --sources K (spread connections over source addresses 127.0.0.1..K, for more than the
// ephemeral port range), --timeout S (per connection, 10), --verbose (each failure on standard
// error). Output: JSON on standard output.
// The client offers TLS 1.3 only, X25519 then P-256, ALPN http/1.1, and verifies nothing
// (it measures servers, not certificates); it counts every handshake the library reports as
// resumed, which must stay zero.

#include <wolfssl/options.h>
// wolfSSL's options.h must come first.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <wolfssl/error-ssl.h>
#include <wolfssl/ssl.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "command_flags.h"

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint64_t stdin_marker = ~std::uint64_t{0};
constexpr int ip_bind_address_no_port = 24;  // IP_BIND_ADDRESS_NO_PORT, Linux 4.2
constexpr int ports_per_source = 20000;      // of the 28k ephemeral ports by default
constexpr std::size_t max_errors_without_success = 1000;

struct Options {
  std::string mode;
  std::string address = "127.0.0.1";
  std::string host = "localhost";
  std::string path = "/";
  int port = 0;
  bool tls = true;
  int concurrency = 64;
  double duration = 10;
  int connections = 10000;
  int parallel = 100;
  int sources = 1;
  double timeout = 10;
  bool verbose = false;
};

enum class State { unused, connecting, handshaking, writing, reading, idle };

struct Connection {
  int fd = -1;
  WOLFSSL* ssl = nullptr;
  State state = State::unused;
  std::string received;
  std::size_t sent = 0;
  bool response_done = false;
  Clock::time_point started;
  std::uint32_t interest = 0;
};

struct Stats {
  std::uint64_t completed = 0;
  std::uint64_t resumed = 0;
  std::uint64_t errors = 0;
  std::uint64_t bad_status = 0;
  std::uint64_t reset_after_response = 0;
  std::uint64_t closed_during_hold = 0;
  std::vector<std::uint32_t> latency_us;
  std::string first_error;
  std::string version, cipher, curve, alpn;
  int first_status = 0;
};

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// A complete response in `text`: its status, or 0 while incomplete. Content-Length framing only
// (every server in the harness answers with one).
int complete_response(const std::string& text) {
  std::size_t head_end = text.find("\r\n\r\n");
  if (head_end == std::string::npos) return 0;
  if (text.size() < 12 || text.compare(0, 5, "HTTP/") != 0) return -1;
  int status = std::atoi(text.c_str() + 9);
  std::size_t length = 0;
  std::size_t line = text.find("\r\n");
  while (line < head_end) {
    std::size_t start = line + 2;
    line = text.find("\r\n", start);
    constexpr std::string_view name = "content-length:";
    if (line - start > name.size() &&
        std::equal(
            name.begin(), name.end(), text.begin() + static_cast<std::ptrdiff_t>(start),
            [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); })) {
      length = std::strtoul(text.c_str() + start + name.size(), nullptr, 10);
    }
  }
  return text.size() >= head_end + 4 + length ? status : 0;
}

std::string tls_error(WOLFSSL* ssl, int result) {
  int code = wolfSSL_get_error(ssl, result);
  char text[WOLFSSL_MAX_ERROR_SZ];
  wolfSSL_ERR_error_string_n(static_cast<unsigned long>(code), text, sizeof text);
  return "TLS error " + std::to_string(code) + " (" + text + ")";
}

class Load {
 public:
  Load(const Options& options, WOLFSSL_CTX* context)
      : options_(options), context_(context), epoll_(epoll_create1(EPOLL_CLOEXEC)) {
    request_ = "GET " + options.path + " HTTP/1.1\r\nHost: " + options.host + "\r\n" +
               (options.mode == "handshake" ? "Connection: close\r\n" : "") + "\r\n";
    std::memset(&server_, 0, sizeof server_);
    server_.sin_family = AF_INET;
    server_.sin_port = htons(static_cast<std::uint16_t>(options.port));
    inet_pton(AF_INET, options.address.c_str(), &server_.sin_addr);
  }

  int run_handshakes();
  int run_idle();

 private:
  void start(std::size_t index);
  void advance(std::size_t index);
  void finish(std::size_t index, bool success, const std::string& error = {});
  void watch(Connection& c, std::size_t index, std::uint32_t events);
  void close_connection(Connection& c, bool reset);
  void expire(Clock::time_point now);
  bool wait_and_dispatch(int timeout_ms);
  void print_common(std::FILE* out) const;

  const Options& options_;
  WOLFSSL_CTX* context_;
  int epoll_;
  sockaddr_in server_;
  std::string request_;
  std::vector<Connection> connections_;
  Stats stats_;
  std::size_t in_progress_ = 0;
  std::uint64_t started_ = 0;
  bool hold_ended_ = false;
  Clock::time_point begin_ = Clock::now();
};

void Load::watch(Connection& c, std::size_t index, std::uint32_t events) {
  if (events == c.interest) return;
  epoll_event event{};
  event.events = events;
  event.data.u64 = index;
  epoll_ctl(epoll_, c.interest == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, c.fd, &event);
  c.interest = events;
}

void Load::close_connection(Connection& c, bool reset) {
  if (c.ssl != nullptr) wolfSSL_free(c.ssl);  // frees without sending anything
  if (c.fd >= 0) {
    if (reset) {
      linger abort{1, 0};
      setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
    }
    close(c.fd);
  }
  c = Connection{};
}

void Load::start(std::size_t index) {
  Connection& c = connections_[index];
  c.started = Clock::now();
  c.state = State::connecting;
  ++in_progress_;
  ++started_;
  c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c.fd < 0) return finish(index, false, std::string("socket: ") + std::strerror(errno));
  int one = 1;
  setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (options_.sources > 1) {
    setsockopt(c.fd, IPPROTO_IP, ip_bind_address_no_port, &one, sizeof one);
    sockaddr_in source{};
    source.sin_family = AF_INET;
    source.sin_addr.s_addr =
        htonl(0x7F000001u + static_cast<std::uint32_t>(started_ % options_.sources));
    if (bind(c.fd, reinterpret_cast<sockaddr*>(&source), sizeof source) != 0) {
      return finish(index, false, std::string("bind: ") + std::strerror(errno));
    }
  }
  if (connect(c.fd, reinterpret_cast<sockaddr*>(&server_), sizeof server_) != 0 &&
      errno != EINPROGRESS) {
    return finish(index, false, std::string("connect: ") + std::strerror(errno));
  }
  watch(c, index, EPOLLOUT);
}

void Load::finish(std::size_t index, bool success, const std::string& error) {
  Connection& c = connections_[index];
  --in_progress_;
  if (success) {
    ++stats_.completed;
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - c.started);
    stats_.latency_us.push_back(static_cast<std::uint32_t>(micros.count()));
  } else {
    ++stats_.errors;
    if (stats_.first_error.empty()) stats_.first_error = error;
    if (options_.verbose) {
      std::fprintf(stderr, "tls_load: at %.3f s, %.3f ms into the connection, %zu bytes in: %s\n",
                   seconds_since(begin_), seconds_since(c.started) * 1000, c.received.size(),
                   error.c_str());
    }
  }
  if (success && options_.mode == "idle") {
    // Idle: the TLS state is no longer needed on this side; the socket stays open and
    // watched, so a close by the server is noticed.
    if (c.ssl != nullptr) wolfSSL_free(c.ssl);
    c.ssl = nullptr;
    c.state = State::idle;
    watch(c, index, EPOLLIN);
    return;
  }
  // After a complete exchange the server has closed: a plain close leaves no TIME_WAIT here.
  close_connection(c, !success);
}

void Load::advance(std::size_t index) {
  Connection& c = connections_[index];
  if (c.state == State::connecting) {
    int error = 0;
    socklen_t size = sizeof error;
    getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &error, &size);
    if (error == EINPROGRESS || error == EALREADY) return;
    if (error != 0) return finish(index, false, std::string("connect: ") + std::strerror(error));
    if (options_.tls) {
      c.ssl = wolfSSL_new(context_);
      if (c.ssl == nullptr) return finish(index, false, "wolfSSL_new failed");
      wolfSSL_set_fd(c.ssl, c.fd);
      wolfSSL_UseSNI(c.ssl, WOLFSSL_SNI_HOST_NAME, options_.host.data(),
                     static_cast<unsigned short>(options_.host.size()));
      char alpn[] = "http/1.1";
      wolfSSL_UseALPN(c.ssl, alpn, sizeof alpn - 1, WOLFSSL_ALPN_CONTINUE_ON_MISMATCH);
      wolfSSL_UseKeyShare(c.ssl, WOLFSSL_ECC_X25519);
      c.state = State::handshaking;
    } else {
      c.state = State::writing;
    }
  }
  if (c.state == State::handshaking) {
    int result = wolfSSL_connect(c.ssl);
    if (result != WOLFSSL_SUCCESS) {
      int code = wolfSSL_get_error(c.ssl, result);
      if (code == WOLFSSL_ERROR_WANT_READ) return watch(c, index, EPOLLIN);
      if (code == WOLFSSL_ERROR_WANT_WRITE) return watch(c, index, EPOLLOUT);
      return finish(index, false, "handshake: " + tls_error(c.ssl, result));
    }
    if (wolfSSL_session_reused(c.ssl)) ++stats_.resumed;
    if (stats_.version.empty()) {
      stats_.version = wolfSSL_get_version(c.ssl);
      const char* cipher = wolfSSL_get_cipher_name(c.ssl);
      const char* curve = wolfSSL_get_curve_name(c.ssl);
      stats_.cipher = cipher != nullptr ? cipher : "";
      stats_.curve = curve != nullptr ? curve : "";
      char* protocol = nullptr;
      unsigned short size = 0;
      if (wolfSSL_ALPN_GetProtocol(c.ssl, &protocol, &size) == WOLFSSL_SUCCESS) {
        stats_.alpn.assign(protocol, size);
      }
    }
    c.state = State::writing;
  }
  if (c.state == State::writing) {
    while (c.sent < request_.size()) {
      const char* data = request_.data() + c.sent;
      int left = static_cast<int>(request_.size() - c.sent);
      int written;
      if (c.ssl != nullptr) {
        written = wolfSSL_write(c.ssl, data, left);
        if (written <= 0) {
          int code = wolfSSL_get_error(c.ssl, written);
          if (code == WOLFSSL_ERROR_WANT_WRITE) return watch(c, index, EPOLLOUT);
          if (code == WOLFSSL_ERROR_WANT_READ) return watch(c, index, EPOLLIN);
          return finish(index, false, "write: " + tls_error(c.ssl, written));
        }
      } else {
        written = static_cast<int>(send(c.fd, data, static_cast<std::size_t>(left), MSG_NOSIGNAL));
        if (written < 0 && errno == EAGAIN) return watch(c, index, EPOLLOUT);
        if (written < 0) return finish(index, false, std::string("send: ") + std::strerror(errno));
      }
      c.sent += static_cast<std::size_t>(written);
    }
    c.state = State::reading;
  }
  if (c.state != State::reading) return;
  char buffer[4096];
  for (;;) {
    bool end = false;
    bool reset = false;
    std::string error;
    if (c.ssl != nullptr) {
      int result = wolfSSL_read(c.ssl, buffer, sizeof buffer);
      if (result > 0) {
        c.received.append(buffer, static_cast<std::size_t>(result));
      } else {
        int code = wolfSSL_get_error(c.ssl, result);
        if (code == WOLFSSL_ERROR_WANT_READ) return watch(c, index, EPOLLIN);
        if (code == WOLFSSL_ERROR_WANT_WRITE) return watch(c, index, EPOLLOUT);
        end = true;
        reset = code != WOLFSSL_ERROR_ZERO_RETURN && code != SOCKET_PEER_CLOSED_E;
        error = "read: " + tls_error(c.ssl, result);
      }
    } else {
      ssize_t result = recv(c.fd, buffer, sizeof buffer, 0);
      if (result > 0) {
        c.received.append(buffer, static_cast<std::size_t>(result));
      } else if (result < 0 && errno == EAGAIN) {
        return watch(c, index, EPOLLIN);
      } else {
        end = true;
        reset = result < 0;
        error = std::string("read: ") + (result < 0 ? std::strerror(errno) : "end of stream");
      }
    }
    if (!c.response_done) {
      int status = complete_response(c.received);
      if (status != 0) {
        c.response_done = true;
        if (stats_.first_status == 0) stats_.first_status = status;
        if (status < 200 || status >= 400) {
          ++stats_.bad_status;
          return finish(index, false, "response: " + c.received.substr(0, c.received.find('\r')));
        }
        // Idle: the connection is kept open after its one keepalive exchange.
        if (options_.mode == "idle") return finish(index, true);
      }
    }
    if (end) {
      if (!c.response_done) return finish(index, false, error + " before a complete response");
      if (reset) ++stats_.reset_after_response;
      return finish(index, true);
    }
  }
}

void Load::expire(Clock::time_point now) {
  auto limit = std::chrono::duration<double>(options_.timeout);
  for (std::size_t index = 0; index < connections_.size(); ++index) {
    Connection& c = connections_[index];
    if (c.state == State::unused || c.state == State::idle) continue;
    if (now - c.started > limit) {
      finish(index, false,
             c.response_done ? "timeout: the server did not close after Connection: close"
                             : "timeout: no complete response");
    }
  }
}

// One epoll wait; false when standard input closed (idle mode's signal to stop).
bool Load::wait_and_dispatch(int timeout_ms) {
  epoll_event events[256];
  int count = epoll_wait(epoll_, events, 256, timeout_ms);
  for (int i = 0; i < count; ++i) {
    std::uint64_t index = events[i].data.u64;
    if (index == stdin_marker) {
      char sink[256];
      if (read(STDIN_FILENO, sink, sizeof sink) <= 0) hold_ended_ = true;
      continue;
    }
    Connection& c = connections_[index];
    if (c.state == State::unused) continue;
    if (c.state == State::idle) {
      // Records after the response (a late ticket, say) are read and dropped; the end of the
      // stream or an error means the server closed the idle connection.
      char sink[4096];
      ssize_t got = recv(c.fd, sink, sizeof sink, MSG_DONTWAIT);
      if (got > 0 || (got < 0 && errno == EAGAIN)) continue;
      ++stats_.closed_during_hold;
      close_connection(c, true);
      continue;
    }
    advance(static_cast<std::size_t>(index));
  }
  return !hold_ended_;
}

void Load::print_common(std::FILE* out) const {
  std::vector<std::uint32_t> latency = stats_.latency_us;
  auto percentile = [&latency](double p) {
    if (latency.empty()) return 0.0;
    auto nth =
        latency.begin() + static_cast<std::ptrdiff_t>(p * static_cast<double>(latency.size() - 1));
    std::nth_element(latency.begin(), nth, latency.end());
    return *nth / 1000.0;
  };
  double p50 = percentile(0.50);
  double p99 = percentile(0.99);
  std::fprintf(out,
               "\"completed\": %llu, \"resumed\": %llu, \"errors\": %llu, \"bad_status\": %llu, "
               "\"reset_after_response\": %llu, \"latency_p50_ms\": %.3f, "
               "\"latency_p99_ms\": %.3f, \"first_status\": %d, \"tls\": {\"version\": %s, "
               "\"cipher\": %s, \"group\": %s, \"alpn\": %s}, \"first_error\": %s",
               static_cast<unsigned long long>(stats_.completed),
               static_cast<unsigned long long>(stats_.resumed),
               static_cast<unsigned long long>(stats_.errors),
               static_cast<unsigned long long>(stats_.bad_status),
               static_cast<unsigned long long>(stats_.reset_after_response), p50, p99,
               stats_.first_status, json_string(stats_.version).c_str(),
               json_string(stats_.cipher).c_str(), json_string(stats_.curve).c_str(),
               json_string(stats_.alpn).c_str(), json_string(stats_.first_error).c_str());
}

int Load::run_handshakes() {
  connections_.resize(static_cast<std::size_t>(options_.concurrency));
  auto begin = Clock::now();
  auto deadline = begin + std::chrono::duration_cast<Clock::duration>(
                              std::chrono::duration<double>(options_.duration));
  auto last_expiry = begin;
  for (;;) {
    auto now = Clock::now();
    bool stopping =
        now >= deadline || (stats_.completed == 0 && stats_.errors >= max_errors_without_success);
    if (!stopping) {
      for (std::size_t index = 0; index < connections_.size(); ++index) {
        if (connections_[index].state == State::unused) start(index);
      }
    }
    if (stopping && (in_progress_ == 0 || now - deadline > std::chrono::seconds(2))) break;
    if (now - last_expiry > std::chrono::milliseconds(100)) {
      expire(now);
      last_expiry = now;
    }
    wait_and_dispatch(50);
  }
  double elapsed = seconds_since(begin);
  for (Connection& c : connections_) close_connection(c, true);
  std::printf("{\"mode\": \"handshake\", \"seconds\": %.3f, ", elapsed);
  print_common(stdout);
  std::printf("}\n");
  return 0;
}

int Load::run_idle() {
  auto target = static_cast<std::size_t>(options_.connections);
  connections_.resize(target);
  auto begin = Clock::now();
  auto last_expiry = begin;
  std::size_t next = 0;
  while (stats_.completed + stats_.errors < target) {
    while (in_progress_ < static_cast<std::size_t>(options_.parallel) && next < target) {
      start(next++);
    }
    auto now = Clock::now();
    if (now - last_expiry > std::chrono::milliseconds(100)) {
      expire(now);
      last_expiry = now;
    }
    if (stats_.completed == 0 && stats_.errors >= max_errors_without_success) break;
    wait_and_dispatch(50);
  }
  std::printf("{\"mode\": \"idle\", \"event\": \"ready\", \"seconds\": %.3f, ",
              seconds_since(begin));
  print_common(stdout);
  std::printf("}\n");
  std::fflush(stdout);
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = stdin_marker;
  epoll_ctl(epoll_, EPOLL_CTL_ADD, STDIN_FILENO, &event);
  while (wait_and_dispatch(1000)) {
  }
  std::uint64_t still_open = 0;
  for (Connection& c : connections_) {
    if (c.state == State::idle) ++still_open;
    close_connection(c, true);
  }
  std::printf(
      "{\"mode\": \"idle\", \"event\": \"done\", \"closed_during_hold\": %llu, "
      "\"open_at_end\": %llu}\n",
      static_cast<unsigned long long>(stats_.closed_during_hold),
      static_cast<unsigned long long>(still_open));
  return 0;
}

void raise_file_limit(std::size_t wanted) {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_max < wanted) limit.rlim_max = wanted;  // works as root
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

[[noreturn]] void usage(const char* problem) {
  std::fprintf(stderr,
               "tls_load: %s\nusage: tls_load handshake|idle --port P [--address A] [--host H] "
               "[--path /] [--plain] [--concurrency C] [--duration S] [--connections N] "
               "[--parallel N] [--sources K] [--timeout S] [--verbose]\n",
               problem);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  if (argc < 2) usage("no mode");
  Options options;
  options.mode = argv[1];
  if (options.mode != "handshake" && options.mode != "idle") usage("mode is handshake or idle");
  const bench::Flag flags[] = {
      {"--plain", bench::Switch{&options.tls, false}},
      {"--verbose", bench::Switch{&options.verbose, true}},
      {"--port", &options.port},
      {"--address", &options.address},
      {"--host", &options.host},
      {"--path", &options.path},
      {"--concurrency", &options.concurrency},
      {"--duration", &options.duration},
      {"--connections", &options.connections},
      {"--parallel", &options.parallel},
      {"--sources", &options.sources},
      {"--timeout", &options.timeout},
  };
  bench::parse_flags(argc, argv, 2, flags, usage);
  in_addr probe{};
  if (options.port <= 0 || options.port > 65535 || options.concurrency < 1 ||
      options.duration <= 0 || options.connections < 1 || options.parallel < 1 ||
      options.sources < 1 || options.sources > 254 || options.timeout <= 0 ||
      inet_pton(AF_INET, options.address.c_str(), &probe) != 1) {
    usage("bad value");
  }
  int needed_sources = (options.connections + ports_per_source - 1) / ports_per_source;
  if (options.mode == "idle") options.sources = std::max(options.sources, needed_sources);
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  Options options = parse(argc, argv);
  std::size_t sockets = options.mode == "idle" ? static_cast<std::size_t>(options.connections)
                                               : static_cast<std::size_t>(options.concurrency);
  raise_file_limit(sockets + 64);
  WOLFSSL_CTX* context = nullptr;
  if (options.tls) {
    wolfSSL_Init();
    context = wolfSSL_CTX_new(wolfTLSv1_3_client_method());
    if (context == nullptr) usage("wolfSSL could not make a client context");
    wolfSSL_CTX_set_verify(context, WOLFSSL_VERIFY_NONE, nullptr);
    wolfSSL_CTX_set_session_cache_mode(context, WOLFSSL_SESS_CACHE_OFF);
    int groups[] = {WOLFSSL_ECC_X25519, WOLFSSL_ECC_SECP256R1};
    wolfSSL_CTX_set_groups(context, groups, 2);
  }
  Load load(options, context);
  int status = options.mode == "handshake" ? load.run_handshakes() : load.run_idle();
  if (context != nullptr) wolfSSL_CTX_free(context);
  return status;
}
