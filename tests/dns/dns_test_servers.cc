#include "dns_test_servers.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <vector>

extern char** environ;

namespace ringway::dns::testing {
namespace {

constexpr char server_program[] = "pebble-challtestsrv";
constexpr std::uint64_t startup_wait_ms = 5000;

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

bool bind_loopback(int fd, std::uint16_t port) {
  sockaddr_in address = loopback(port);
  return bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
}

std::uint16_t bound_port(int fd) {
  sockaddr_in address{};
  socklen_t length = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  return ntohs(address.sin_port);
}

bool on_path(const char* program) {
  const char* path = std::getenv("PATH");
  std::string directories = path != nullptr ? path : "/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= directories.size()) {
    std::size_t end = directories.find(':', start);
    if (end == std::string::npos) end = directories.size();
    std::string candidate = directories.substr(start, end - start) + "/" + program;
    if (access(candidate.c_str(), X_OK) == 0) return true;
    start = end + 1;
  }
  return false;
}

// One A query for "ready.test." with the given id.
std::vector<unsigned char> probe_query() {
  std::vector<unsigned char> query = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  for (const char* label : {"ready", "test"}) {
    query.push_back(static_cast<unsigned char>(std::strlen(label)));
    query.insert(query.end(), label, label + std::strlen(label));
  }
  query.insert(query.end(), {0, 0, 1, 0, 1});
  return query;
}

bool dns_answers(std::uint16_t port) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in address = loopback(port);
  std::vector<unsigned char> query = probe_query();
  sendto(fd, query.data(), query.size(), 0, reinterpret_cast<sockaddr*>(&address), sizeof address);
  pollfd ready{fd, POLLIN, 0};
  unsigned char reply[512];
  bool answered = poll(&ready, 1, 100) == 1 && recv(fd, reply, sizeof reply, 0) > 0;
  close(fd);
  return answered;
}

int connect_tcp(std::uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address = loopback(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

std::uint64_t monotonic_ms() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::uint64_t>(now.tv_sec) * 1000 +
         static_cast<std::uint64_t>(now.tv_nsec) / 1000000;
}

std::uint16_t free_port() {
  for (int attempt = 0; attempt < 20; ++attempt) {
    int udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int tcp = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    std::uint16_t port = bind_loopback(udp, 0) ? bound_port(udp) : 0;
    bool both = port != 0 && bind_loopback(tcp, port);
    close(udp);
    close(tcp);
    if (both) return port;
  }
  return 0;
}

std::string ChallTestServer::start(std::uint16_t dns_port) {
  stop();
  if (!on_path(server_program)) {
    return "pebble-challtestsrv is not installed (Debian package pebble: apt-get install pebble; "
           "CI's .ci/install-deps installs it)";
  }
  dns_port_ = dns_port != 0 ? dns_port : free_port();
  management_port_ = free_port();
  std::string dns = "127.0.0.1:" + std::to_string(dns_port_);
  std::string management = "127.0.0.1:" + std::to_string(management_port_);
  std::vector<std::string> words = {server_program,
                                    "-dns01",
                                    dns,
                                    "-http01",
                                    "",
                                    "-https01",
                                    "",
                                    "-tlsalpn01",
                                    "",
                                    "-management",
                                    management,
                                    "-defaultIPv4",
                                    "",
                                    "-defaultIPv6",
                                    ""};
  std::vector<char*> argv;
  for (std::string& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  int failed = posix_spawnp(&pid_, server_program, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (failed != 0) {
    pid_ = -1;
    return std::string("cannot start pebble-challtestsrv: ") + std::strerror(failed);
  }
  std::uint64_t deadline_ms = monotonic_ms() + startup_wait_ms;
  while (monotonic_ms() < deadline_ms) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return "pebble-challtestsrv exited at startup (ports " + dns + ", " + management + ")";
    }
    int management_fd = connect_tcp(management_port_);
    if (management_fd >= 0) close(management_fd);
    if (management_fd >= 0 && dns_answers(dns_port_)) return {};
    usleep(20 * 1000);
  }
  stop();
  return "pebble-challtestsrv did not answer within 5 s on " + dns + " and " + management;
}

void ChallTestServer::stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

bool ChallTestServer::post(std::string_view path, std::string_view body) const {
  int fd = connect_tcp(management_port_);
  if (fd < 0) return false;
  std::string request = "POST " + std::string(path) +
                        " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                        "Content-Type: application/json\r\nContent-Length: " +
                        std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
  bool sent = write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size());
  std::string response;
  char buffer[512];
  ssize_t count = 0;
  while (sent && (count = read(fd, buffer, sizeof buffer)) > 0) response.append(buffer, count);
  close(fd);
  return response.starts_with("HTTP/1.1 200");
}

bool ChallTestServer::set_a(std::string_view host, std::string_view addresses_json) const {
  std::string name = "{\"host\":\"" + std::string(host) + "\"";
  return post("/clear-a", name + "}") &&
         post("/add-a", name + ",\"addresses\":" + std::string(addresses_json) + "}");
}

bool ChallTestServer::set_aaaa(std::string_view host, std::string_view addresses_json) const {
  std::string name = "{\"host\":\"" + std::string(host) + "\"";
  return post("/clear-aaaa", name + "}") &&
         post("/add-aaaa", name + ",\"addresses\":" + std::string(addresses_json) + "}");
}

FakeDnsServer::FakeDnsServer() {
  fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ >= 0 && bind_loopback(fd_, 0)) port_ = bound_port(fd_);
  thread_ = std::thread([this] { serve(); });
}

FakeDnsServer::~FakeDnsServer() {
  stopping_ = true;
  thread_.join();
  close(fd_);
}

void FakeDnsServer::serve() {
  while (!stopping_) {
    pollfd ready{fd_, POLLIN, 0};
    if (poll(&ready, 1, 20) != 1) continue;
    unsigned char query[512];
    sockaddr_in peer{};
    socklen_t peer_length = sizeof peer;
    ssize_t length =
        recvfrom(fd_, query, sizeof query, 0, reinterpret_cast<sockaddr*>(&peer), &peer_length);
    if (length < 12) continue;
    ++queries_;
    int rcode = rcode_;
    if (rcode == silent) continue;
    // The question ends after its name's zero label, the type and the class.
    std::size_t end = 12;
    while (end < static_cast<std::size_t>(length) && query[end] != 0) end += query[end] + 1;
    end += 5;
    if (end > static_cast<std::size_t>(length)) continue;
    std::vector<unsigned char> reply(query, query + end);
    bool is_a = query[end - 3] == 1;
    std::uint32_t ipv4 = ipv4_;
    bool answer = rcode == 0 && is_a && ipv4 != 0;
    reply[2] = 0x81;                                      // QR, RD
    reply[3] = static_cast<unsigned char>(0x80 | rcode);  // RA, response code
    reply[6] = 0;
    reply[7] = answer ? 1 : 0;
    std::fill(reply.begin() + 8, reply.begin() + 12, 0);
    if (answer) {
      // Name: pointer to the question; A, IN, TTL 0, 4 bytes of address.
      reply.insert(reply.end(), {0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4});
      for (int shift = 24; shift >= 0; shift -= 8) {
        reply.push_back(static_cast<unsigned char>(ipv4 >> shift));
      }
    }
    sendto(fd_, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&peer), peer_length);
  }
}

}  // namespace ringway::dns::testing
