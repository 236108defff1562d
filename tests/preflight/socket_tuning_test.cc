// Real sockets on loopback: the options take, and an accepted socket inherits
// them from the listener that app::open_tuned_listener tuned.

#include "ringway/preflight/socket_tuning.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "ringway/app/listeners.h"

namespace ringway::preflight {
namespace {

int get_int(int fd, int level, int name) {
  int value = -1;
  socklen_t length = sizeof value;
  EXPECT_EQ(getsockopt(fd, level, name, &value, &length), 0) << std::strerror(errno);
  return value;
}

std::string congestion_of(int fd) {
  char name[16] = {};
  socklen_t length = sizeof name;
  EXPECT_EQ(getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, &length), 0);
  return std::string(name, strnlen(name, length));
}

// reno is always built in; a test that asked for bbr would depend on the kernel.
config::Tcp reno_tuning() {
  config::Tcp tcp;
  tcp.congestion = "reno";
  tcp.keepalive_idle_s = 37;
  tcp.keepalive_interval_s = 7;
  tcp.keepalive_count = 4;
  return tcp;
}

TEST(ApplyTcpTuning, SetsEveryOption) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  TcpTuningResult result = apply_tcp_tuning(fd, reno_tuning());
  EXPECT_TRUE(result.all_ok());
  EXPECT_EQ(get_int(fd, SOL_SOCKET, SO_KEEPALIVE), 1);
  EXPECT_EQ(get_int(fd, IPPROTO_TCP, TCP_KEEPIDLE), 37);
  EXPECT_EQ(get_int(fd, IPPROTO_TCP, TCP_KEEPINTVL), 7);
  EXPECT_EQ(get_int(fd, IPPROTO_TCP, TCP_KEEPCNT), 4);
  EXPECT_EQ(congestion_of(fd), "reno");
  close(fd);
}

TEST(ApplyTcpTuning, ReportsWhatDidNotTake) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  config::Tcp tcp = reno_tuning();
  tcp.congestion = "no_such_cc";
  TcpTuningResult result = apply_tcp_tuning(fd, tcp);
  EXPECT_EQ(result.congestion_error, ENOENT);
  EXPECT_EQ(result.keepalive_idle_error, 0);
  EXPECT_FALSE(result.all_ok());
  close(fd);
  // Not a socket at all: every option fails, nothing throws or crashes.
  EXPECT_EQ(apply_tcp_tuning(-1, tcp).keepalive_error, EBADF);
}

TEST(ProbeTcpTuning, ReadsEveryOptionBack) {
  TcpTuningProbe probe = probe_tcp_tuning(reno_tuning());
  ASSERT_EQ(probe.socket_error, 0);
  EXPECT_TRUE(probe.set.all_ok());
  EXPECT_EQ(probe.keepalive, 1);
  EXPECT_EQ(probe.keepalive_idle_s, 37);
  EXPECT_EQ(probe.keepalive_interval_s, 7);
  EXPECT_EQ(probe.keepalive_count, 4);
  EXPECT_EQ(probe.congestion, "reno");
}

TEST(OpenListener, AcceptedSocketsInheritTheTuning) {
  config::LoadResult loaded = config::parse_config(
      "[http]\nlisten = [\"127.0.0.1:1\"]\nacme_webroot = \"/srv\"\n", "test.toml");
  ASSERT_TRUE(loaded.ok);
  config::ListenAddress address = loaded.config.http.listen[0];
  reinterpret_cast<sockaddr_in*>(&address.address)->sin_port = 0;  // any free port
  io::ListenResult listener = app::open_tuned_listener(address, 16, reno_tuning());
  ASSERT_GE(listener.fd, 0) << listener.error;
  sockaddr_in bound{};
  socklen_t length = sizeof bound;
  ASSERT_EQ(getsockname(listener.fd, reinterpret_cast<sockaddr*>(&bound), &length), 0);

  int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_EQ(connect(client, reinterpret_cast<sockaddr*>(&bound), sizeof bound), 0);
  int accepted = accept4(listener.fd, nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(accepted, 0);
  EXPECT_EQ(get_int(accepted, SOL_SOCKET, SO_KEEPALIVE), 1);
  EXPECT_EQ(get_int(accepted, IPPROTO_TCP, TCP_KEEPIDLE), 37);
  EXPECT_EQ(get_int(accepted, IPPROTO_TCP, TCP_KEEPINTVL), 7);
  EXPECT_EQ(get_int(accepted, IPPROTO_TCP, TCP_KEEPCNT), 4);
  EXPECT_EQ(congestion_of(accepted), "reno");
  // The client side is untouched: the tuning is ringway's, not the system's.
  EXPECT_EQ(get_int(client, SOL_SOCKET, SO_KEEPALIVE), 0);
  close(accepted);
  close(client);
  close(listener.fd);
}

}  // namespace
}  // namespace ringway::preflight
