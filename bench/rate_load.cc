// An open-loop, fixed-rate HTTP/1.1 load for bench/harness.py's proxy-latency scenario (wrk
// keeps every connection busy, so it measures throughput, not latency at a given rate):
//
//   rate_load --port P --rate R [--connections 64] [--duration 10] [--address 127.0.0.1]
//             [--host localhost] [--path /] [--timeout 5]
//
// Request i is due at start + i / R, whatever happened before it. A due request goes out on an
// idle keepalive connection (one request per connection at a time, no pipelining); when all of
// them are busy it waits its turn. Its latency runs from the time it was DUE to the end of its
// response, so a server that stalls is charged for every request that queued behind the stall
// (no coordinated omission). After --duration no new request is due; the ones still queued or
// in flight get --timeout seconds to finish. Responses must carry Content-Length.
// Output: one JSON line: requests due, completed, errors, non-2xx answers, requests that never
// finished, the rate achieved, and latency percentiles p50/p99/p99.9/max in milliseconds.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "command_flags.h"

namespace {

constexpr std::size_t receive_bytes = 64 * 1024;
constexpr int epoll_batch = 256;

struct Options {
  std::string address = "127.0.0.1";
  std::string host = "localhost";
  std::string path = "/";
  int port = 0;
  double rate = 0;
  int connections = 64;
  double duration_seconds = 10;
  double timeout_seconds = 5;
};

struct Connection {
  int fd = -1;
  bool connected = false;
  bool busy = false;
  std::uint64_t due_ns = 0;  // of the request in flight
  std::string received;
};

std::uint64_t now_ns() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::uint64_t>(now.tv_sec) * 1'000'000'000u +
         static_cast<std::uint64_t>(now.tv_nsec);
}

// A complete response at the front of `text`: its status and size, or a size of 0 while it is
// incomplete; a status of -1 when it is not HTTP or has no Content-Length.
struct Framed {
  int status = 0;
  std::size_t bytes = 0;
};

Framed frame_response(const std::string& text) {
  std::size_t head_end = text.find("\r\n\r\n");
  if (head_end == std::string::npos) return {};
  if (text.size() < 12 || text.compare(0, 5, "HTTP/") != 0) return {-1, 0};
  int status = std::atoi(text.c_str() + 9);
  constexpr std::string_view name = "\r\ncontent-length:";
  auto lower_equal = [](char text_char, char name_char) {
    return std::tolower(static_cast<unsigned char>(text_char)) == name_char;
  };
  auto field = std::search(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(head_end),
                           name.begin(), name.end(), lower_equal);
  if (field == text.begin() + static_cast<std::ptrdiff_t>(head_end)) return {-1, 0};
  std::size_t length = std::strtoul(&*field + name.size(), nullptr, 10);
  std::size_t total = head_end + 4 + length;
  return {status, text.size() >= total ? total : 0};
}

class RateLoad {
 public:
  explicit RateLoad(const Options& options);
  ~RateLoad();
  RateLoad(const RateLoad&) = delete;
  RateLoad& operator=(const RateLoad&) = delete;

  int run();

 private:
  bool connect_all();
  void dispatch(std::uint64_t now);
  void send_request(Connection& connection, std::uint64_t due_ns);
  void on_readable(Connection& connection);
  void fail(Connection& connection, const std::string& error);
  bool wait(std::uint64_t until_ns);
  std::uint64_t due_time_ns(std::uint64_t index) const;
  void print(double seconds) const;

  const Options& options_;
  int epoll_ = epoll_create1(EPOLL_CLOEXEC);
  sockaddr_in server_{};
  std::string request_;
  std::vector<Connection> connections_;
  std::vector<std::size_t> idle_;  // indices of connected connections with nothing in flight
  std::uint64_t start_ns_ = 0;
  std::uint64_t total_due_ = 0;  // requests due over the whole duration
  std::uint64_t sent_ = 0;       // requests sent so far, in the order they were due
  std::uint64_t completed_ = 0;
  std::uint64_t errors_ = 0;  // connections that failed
  std::uint64_t lost_ = 0;    // requests in flight on them
  std::uint64_t bad_status_ = 0;
  std::vector<std::uint64_t> latency_ns_;
  std::string first_error_;
};

RateLoad::RateLoad(const Options& options) : options_(options) {
  request_ = "GET " + options.path + " HTTP/1.1\r\nHost: " + options.host + "\r\n\r\n";
  server_.sin_family = AF_INET;
  server_.sin_port = htons(static_cast<std::uint16_t>(options.port));
  inet_pton(AF_INET, options.address.c_str(), &server_.sin_addr);
  total_due_ = static_cast<std::uint64_t>(options.rate * options.duration_seconds);
  latency_ns_.reserve(total_due_);
}

RateLoad::~RateLoad() {
  for (Connection& connection : connections_) {
    if (connection.fd >= 0) close(connection.fd);
  }
  close(epoll_);
}

std::uint64_t RateLoad::due_time_ns(std::uint64_t index) const {
  return start_ns_ + static_cast<std::uint64_t>(static_cast<double>(index) * 1e9 / options_.rate);
}

void RateLoad::fail(Connection& connection, const std::string& error) {
  ++errors_;
  if (connection.busy) ++lost_;
  if (first_error_.empty()) first_error_ = error;
  if (connection.fd >= 0) close(connection.fd);  // also leaves the epoll set
  connection.fd = -1;
  connection.busy = false;
}

// Opens every connection before the first request is due, so the schedule measures requests,
// not TCP handshakes.
bool RateLoad::connect_all() {
  connections_.resize(static_cast<std::size_t>(options_.connections));
  for (std::size_t index = 0; index < connections_.size(); ++index) {
    Connection& connection = connections_[index];
    connection.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(connection.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(connection.fd, reinterpret_cast<const sockaddr*>(&server_), sizeof server_) != 0) {
      fail(connection, std::string("connect: ") + std::strerror(errno));
      continue;
    }
    fcntl(connection.fd, F_SETFL, fcntl(connection.fd, F_GETFL) | O_NONBLOCK);
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = index;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, connection.fd, &event);
    connection.connected = true;
    idle_.push_back(index);
  }
  return !idle_.empty();
}

void RateLoad::send_request(Connection& connection, std::uint64_t due_ns) {
  connection.busy = true;
  connection.due_ns = due_ns;
  ssize_t written = send(connection.fd, request_.data(), request_.size(), MSG_NOSIGNAL);
  if (written != static_cast<ssize_t>(request_.size())) {
    fail(connection, written < 0 ? std::string("send: ") + std::strerror(errno)
                                 : std::string("send: short write"));
  }
}

// Every request due by `now` that an idle connection can take goes out, oldest first.
void RateLoad::dispatch(std::uint64_t now) {
  while (sent_ < total_due_ && !idle_.empty()) {
    std::uint64_t due = due_time_ns(sent_);
    if (due > now) return;
    Connection& connection = connections_[idle_.back()];
    idle_.pop_back();
    if (connection.fd < 0) continue;  // failed while idle
    ++sent_;
    send_request(connection, due);
  }
}

void RateLoad::on_readable(Connection& connection) {
  char buffer[receive_bytes];
  ssize_t received = recv(connection.fd, buffer, sizeof buffer, 0);
  if (received <= 0) {
    if (received < 0 && (errno == EAGAIN || errno == EINTR)) return;
    return fail(connection, received == 0 ? std::string("the server closed a connection")
                                          : std::string("recv: ") + std::strerror(errno));
  }
  if (!connection.busy) return fail(connection, "bytes with no request in flight");
  connection.received.append(buffer, static_cast<std::size_t>(received));
  Framed framed = frame_response(connection.received);
  if (framed.status < 0) return fail(connection, "a response without Content-Length");
  if (framed.bytes == 0) return;
  if (framed.bytes != connection.received.size()) return fail(connection, "bytes past a response");
  std::uint64_t now = now_ns();
  latency_ns_.push_back(now - connection.due_ns);
  ++completed_;
  if (framed.status < 200 || framed.status > 299) ++bad_status_;
  connection.received.clear();
  connection.busy = false;
  idle_.push_back(static_cast<std::size_t>(&connection - connections_.data()));
  dispatch(now);
}

// Waits for responses until `until_ns` (or the next one arrives); false on an epoll failure.
bool RateLoad::wait(std::uint64_t until_ns) {
  std::uint64_t now = now_ns();
  std::uint64_t wait_ns = until_ns > now ? until_ns - now : 0;
  timespec timeout{static_cast<time_t>(wait_ns / 1'000'000'000u),
                   static_cast<long>(wait_ns % 1'000'000'000u)};
  epoll_event events[epoll_batch];
  int ready = epoll_pwait2(epoll_, events, epoll_batch, &timeout, nullptr);
  if (ready < 0) return errno == EINTR;
  for (int index = 0; index < ready; ++index) {
    Connection& connection = connections_[events[index].data.u64];
    if (connection.fd >= 0) on_readable(connection);
  }
  return true;
}

int RateLoad::run() {
  if (!connect_all()) {
    std::fprintf(stderr, "rate_load: no connection: %s\n", first_error_.c_str());
    return 1;
  }
  start_ns_ = now_ns();
  std::uint64_t end_ns = start_ns_ + static_cast<std::uint64_t>(options_.duration_seconds * 1e9);
  std::uint64_t give_up_ns = end_ns + static_cast<std::uint64_t>(options_.timeout_seconds * 1e9);
  while (completed_ + lost_ < total_due_) {
    std::uint64_t now = now_ns();
    if (now >= give_up_ns) break;
    dispatch(now);
    std::uint64_t next = sent_ < total_due_ && !idle_.empty() ? due_time_ns(sent_) : give_up_ns;
    if (!wait(std::min(next, give_up_ns))) break;
    bool any_alive = std::any_of(connections_.begin(), connections_.end(),
                                 [](const Connection& c) { return c.fd >= 0; });
    if (!any_alive) break;
  }
  print(static_cast<double>(now_ns() - start_ns_) / 1e9);
  return 0;
}

double percentile_ms(const std::vector<std::uint64_t>& sorted, double fraction) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<std::size_t>(fraction * static_cast<double>(sorted.size() - 1) + 0.5);
  return static_cast<double>(sorted[rank]) / 1e6;
}

void RateLoad::print(double seconds) const {
  std::vector<std::uint64_t> sorted = latency_ns_;
  std::sort(sorted.begin(), sorted.end());
  std::string error;
  for (char c : first_error_) error += c == '"' || c == '\\' ? '\'' : c;
  std::printf(
      "{\"rate\": %.1f, \"due\": %llu, \"completed\": %llu, \"errors\": %llu, "
      "\"lost\": %llu, \"bad_status\": %llu, \"unfinished\": %llu, \"seconds\": %.3f, "
      "\"achieved_rate\": %.1f, "
      "\"latency_p50_ms\": %.3f, \"latency_p99_ms\": %.3f, \"latency_p999_ms\": %.3f, "
      "\"latency_max_ms\": %.3f, \"first_error\": \"%s\"}\n",
      options_.rate, static_cast<unsigned long long>(total_due_),
      static_cast<unsigned long long>(completed_), static_cast<unsigned long long>(errors_),
      static_cast<unsigned long long>(lost_), static_cast<unsigned long long>(bad_status_),
      static_cast<unsigned long long>(total_due_ - completed_ - lost_), seconds,
      static_cast<double>(completed_) / options_.duration_seconds, percentile_ms(sorted, 0.5),
      percentile_ms(sorted, 0.99), percentile_ms(sorted, 0.999),
      sorted.empty() ? 0.0 : static_cast<double>(sorted.back()) / 1e6, error.c_str());
}

[[noreturn]] void usage(const char* problem) {
  std::fprintf(stderr,
               "rate_load: %s\nusage: rate_load --port P --rate R [--connections 64] "
               "[--duration 10] [--address 127.0.0.1] [--host localhost] [--path /] "
               "[--timeout 5]\n",
               problem);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options options;
  const bench::Flag flags[] = {
      {"--port", &options.port},
      {"--rate", &options.rate},
      {"--connections", &options.connections},
      {"--duration", &options.duration_seconds},
      {"--timeout", &options.timeout_seconds},
      {"--address", &options.address},
      {"--host", &options.host},
      {"--path", &options.path},
  };
  bench::parse_flags(argc, argv, 1, flags, usage);
  in_addr probe{};
  if (options.port <= 0 || options.port > 65535 || options.rate <= 0 || options.connections < 1 ||
      options.duration_seconds <= 0 || options.timeout_seconds <= 0 ||
      inet_pton(AF_INET, options.address.c_str(), &probe) != 1) {
    usage("bad value");
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  Options options = parse(argc, argv);
  RateLoad load(options);
  return load.run();
}
