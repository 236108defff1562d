#include "ringway/control/service_notify.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <optional>
#include <string>

namespace ringway::control {
namespace {

// A service manager's end: an AF_UNIX datagram socket that asks for the
// sender's credentials, as systemd's does, bound to a path or an abstract name.
class Receiver {
 public:
  // address in $NOTIFY_SOCKET notation ("/path" or "@name").
  explicit Receiver(const std::string& address) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int on = 1;
    setsockopt(fd_, SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
    sockaddr_un bound{};
    bound.sun_family = AF_UNIX;
    std::memcpy(bound.sun_path, address.data(), address.size());
    if (address[0] == '@') bound.sun_path[0] = '\0';
    socklen_t length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address.size());
    bound_ = bind(fd_, reinterpret_cast<const sockaddr*>(&bound), length) == 0;
  }
  ~Receiver() { close(fd_); }
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  bool bound() const { return bound_; }

  // The next datagram within a second, with the PID the kernel vouches for.
  std::optional<std::string> receive(pid_t* sender = nullptr) {
    pollfd wait{fd_, POLLIN, 0};
    if (poll(&wait, 1, 1000) != 1) return std::nullopt;
    char data[4096];
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred))];
    iovec vector{data, sizeof data};
    msghdr message{};
    message.msg_iov = &vector;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    ssize_t received = recvmsg(fd_, &message, 0);
    if (received < 0) return std::nullopt;
    for (cmsghdr* header = CMSG_FIRSTHDR(&message); header != nullptr;
         header = CMSG_NXTHDR(&message, header)) {
      if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_CREDENTIALS &&
          sender != nullptr) {
        ucred credentials{};
        std::memcpy(&credentials, CMSG_DATA(header), sizeof credentials);
        *sender = credentials.pid;
      }
    }
    return std::string(data, static_cast<std::size_t>(received));
  }

 private:
  int fd_ = -1;
  bool bound_ = false;
};

class ServiceNotifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/ringway-notify-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    directory_ = pattern;
    path_ = directory_ + "/notify";
  }
  void TearDown() override {
    unlink(path_.c_str());
    rmdir(directory_.c_str());
  }

  // An abstract name no other test process uses.
  static std::string abstract_name(const char* tag) {
    return "@ringway-notify-test-" + std::to_string(getpid()) + "-" + tag;
  }

  std::string directory_;
  std::string path_;
};

std::uint64_t monotonic_us() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::uint64_t>(now.tv_sec) * 1000000 +
         static_cast<std::uint64_t>(now.tv_nsec) / 1000;
}

TEST_F(ServiceNotifyTest, ReadyReachesAPathSocketAsOneDatagramFromThisProcess) {
  Receiver receiver(path_);
  ASSERT_TRUE(receiver.bound());
  ServiceNotifier notifier(path_);
  EXPECT_TRUE(notifier.enabled());
  EXPECT_TRUE(notifier.ready("serving 2 of 3 HTTPS sites"));
  pid_t sender = 0;
  EXPECT_EQ(receiver.receive(&sender), "READY=1\nSTATUS=serving 2 of 3 HTTPS sites");
  // NotifyAccess=main: systemd believes only datagrams whose credentials name its main PID.
  EXPECT_EQ(sender, getpid());
  EXPECT_EQ(receiver.receive(), std::nullopt);
}

TEST_F(ServiceNotifyTest, AtMeansTheAbstractNamespace) {
  std::string name = abstract_name("abstract");
  Receiver receiver(name);
  ASSERT_TRUE(receiver.bound());
  ServiceNotifier notifier(name);
  EXPECT_TRUE(notifier.stopping());
  std::optional<std::string> received = receiver.receive();
  ASSERT_TRUE(received.has_value());
  EXPECT_EQ(received->rfind("STOPPING=1\n", 0), 0U) << *received;
}

TEST_F(ServiceNotifyTest, AbstractNameOfTheLongestLengthFitsOneLongerDoesNot) {
  // sun_path holds 108 bytes: the leading NUL and 107 of name, no terminator.
  std::string longest = abstract_name("long");
  longest.append(sizeof(sockaddr_un::sun_path) - longest.size(), 'x');
  ASSERT_EQ(longest.size(), 108U);
  Receiver receiver(longest);
  ASSERT_TRUE(receiver.bound());
  EXPECT_TRUE(ServiceNotifier(longest).status("long"));
  EXPECT_EQ(receiver.receive(), "STATUS=long");
  EXPECT_FALSE(ServiceNotifier(longest + "x").status("too long"));
}

TEST_F(ServiceNotifyTest, ReloadingCarriesTheMonotonicTimeOfTheReload) {
  Receiver receiver(path_);
  ASSERT_TRUE(receiver.bound());
  std::uint64_t before_us = monotonic_us();
  EXPECT_TRUE(ServiceNotifier(path_).reloading());
  std::uint64_t after_us = monotonic_us();
  std::optional<std::string> received = receiver.receive();
  ASSERT_TRUE(received.has_value());
  const std::string prefix = "RELOADING=1\nMONOTONIC_USEC=";
  ASSERT_EQ(received->rfind(prefix, 0), 0U) << *received;
  std::string digits = received->substr(prefix.size());
  ASSERT_FALSE(digits.empty());
  EXPECT_EQ(digits.find_first_not_of("0123456789"), std::string::npos) << digits;
  std::uint64_t stamp_us = std::strtoull(digits.c_str(), nullptr, 10);
  EXPECT_GE(stamp_us, before_us);
  EXPECT_LE(stamp_us, after_us);
}

TEST_F(ServiceNotifyTest, FromEnvironmentFollowsNotifySocket) {
  Receiver receiver(path_);
  ASSERT_TRUE(receiver.bound());
  ASSERT_EQ(setenv("NOTIFY_SOCKET", path_.c_str(), 1), 0);
  ServiceNotifier notifier = ServiceNotifier::from_environment();
  unsetenv("NOTIFY_SOCKET");
  EXPECT_TRUE(notifier.enabled());
  EXPECT_TRUE(notifier.status("from the environment"));
  EXPECT_EQ(receiver.receive(), "STATUS=from the environment");

  ServiceNotifier unset = ServiceNotifier::from_environment();
  EXPECT_FALSE(unset.enabled());
  EXPECT_TRUE(unset.ready("nobody listens"));  // not under systemd: nothing to do
  EXPECT_EQ(receiver.receive(), std::nullopt);
}

TEST_F(ServiceNotifyTest, UnusableAddressesAndAGoneManagerFail) {
  EXPECT_FALSE(ServiceNotifier("relative/notify").ready("x"));
  EXPECT_FALSE(ServiceNotifier("vsock:2:1234").ready("x"));
  EXPECT_FALSE(ServiceNotifier("/" + std::string(200, 'p')).ready("x"));
  // Nobody bound there (the manager went away): refused, not silently dropped.
  ServiceNotifier gone(path_);
  EXPECT_FALSE(gone.ready("x"));
  EXPECT_FALSE(gone.ready("x"));  // and again, logged only once
}

TEST(ServingStatus, CountsSitesWithCertificates) {
  EXPECT_EQ(serving_status(0, 0), "serving port 80 (no HTTPS sites configured)");
  EXPECT_EQ(serving_status(2, 2), "serving 2 of 2 HTTPS sites");
  EXPECT_EQ(serving_status(1, 3), "serving 1 of 3 HTTPS sites (2 without a usable certificate)");
}

}  // namespace
}  // namespace ringway::control
