// A worker on the real ring (io_uring), stopped with nothing to drain: its
// listening socket must be closed once run() returns, not left accepting
// until the process exits (the fake ring found it; this checks the kernel).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <memory>

#include <thread>

#include "ringway/app/serving_snapshot.h"
#include "ringway/app/worker.h"
#include "ringway/base/published.h"
#include "ringway/config/config.h"
#include "ringway/io/listener.h"
#include "ringway/io/ring.h"

namespace ringway::app {
namespace {

TEST(WorkerStop, ClosesItsListenerWhenNothingIsLeftToDrain) {
  std::string missing = io::probe_kernel_support();
  if (!missing.empty()) GTEST_SKIP() << missing;
  config::LoadResult loaded = config::parse_config(
      "[http]\nlisten = [\"127.0.0.1:80\"]\nacme_webroot = \"/tmp\"\n[log]\naccess = \"off\"\n",
      "stop.toml");
  ASSERT_TRUE(loaded.ok) << ::testing::PrintToString(loaded.errors);
  base::Published<ServingSnapshot> serving;
  serving.publish(make_serving_snapshot(std::make_shared<const config::Config>(loaded.config)));
  // The configured address is not used: the listener gets a free port.
  sockaddr_storage any_port{};
  auto& inet = reinterpret_cast<sockaddr_in&>(any_port);
  inet.sin_family = AF_INET;
  inet.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  io::ListenResult listener = io::open_listener(any_port, sizeof inet, "127.0.0.1:0", 16);
  ASSERT_GE(listener.fd, 0) << listener.error;
  sockaddr_in address{};
  socklen_t length = sizeof address;
  ASSERT_EQ(getsockname(listener.fd, reinterpret_cast<sockaddr*>(&address), &length), 0);

  WorkerSettings settings;
  settings.config = &loaded.config;
  settings.listeners.push_back({listener.fd, false});
  settings.serving = &serving;
  Worker worker(std::move(settings));
  std::string error;
  std::thread thread([&] {
    error = worker.open();
    if (error.empty()) worker.run();
  });
  usleep(100 * 1000);
  worker.request_stop();
  thread.join();
  ASSERT_TRUE(error.empty()) << error;

  int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(client, 0);
  int result = connect(client, reinterpret_cast<sockaddr*>(&address), sizeof address);
  int connect_error = errno;
  close(client);
  EXPECT_NE(result, 0) << "the stopped worker's listener still accepts connections";
  EXPECT_EQ(connect_error, ECONNREFUSED);
}

}  // namespace
}  // namespace ringway::app
