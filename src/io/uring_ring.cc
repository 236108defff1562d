#include "ringway/io/uring_ring.h"

#include <arpa/inet.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cassert>
#include <cstring>

#include "ringway/base/clock.h"

namespace ringway::io {

namespace {

constexpr std::uint16_t receive_group_id = 0;

}  // namespace

UringRing::~UringRing() {
  if (wake_fd_ >= 0) close(wake_fd_);
  if (open_) {
    receive_buffers_.close();  // unregistered while the ring still exists
    io_uring_queue_exit(&ring_);
  }
}

std::string UringRing::open(const UringRingSettings& settings) {
  wake_fd_ = eventfd(0, EFD_CLOEXEC);
  if (wake_fd_ < 0) return std::string("eventfd: ") + std::strerror(errno);
  io_uring_params params{};
  // SINGLE_ISSUER (6.0) and DEFER_TASKRUN (6.1): only this thread touches the
  // ring, and completion work runs when we wait instead of interrupting us.
  // COOP_TASKRUN (5.19) avoids IPIs; SUBMIT_ALL (5.18) keeps going past a bad SQE.
  params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
                 IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL;
  // Four completions per submission slot, so that multishot operations never
  // overflow the completion queue.
  params.cq_entries = settings.entries * 4;
  params.flags |= IORING_SETUP_CQSIZE;
  int result = io_uring_queue_init_params(settings.entries, &ring_, &params);
  if (result == -EINVAL) {
    params = io_uring_params{};
    params.flags = IORING_SETUP_CQSIZE;
    params.cq_entries = settings.entries * 4;
    result = io_uring_queue_init_params(settings.entries, &ring_, &params);
  } else {
    features_.single_issuer_defer_taskrun = true;
  }
  if (result < 0) {
    return std::string("io_uring_setup failed: ") + std::strerror(-result) +
           (result == -EPERM ? " (is kernel.io_uring_disabled set?)" : "");
  }
  open_ = true;
  // 5.18: a registered ring fd saves an fget/fput on every io_uring_enter.
  features_.registered_ring_fd = io_uring_register_ring_fd(&ring_) == 1;
  if (settings.receive_buffer_count == 0) return {};
  receive_buffer_count_ = settings.receive_buffer_count;
  return receive_buffers_.open(&ring_, receive_group_id, settings.receive_buffer_count,
                               settings.receive_buffer_bytes);
}

io_uring_sqe* UringRing::next_submission(Operation operation) {
  io_uring_sqe* submission = io_uring_get_sqe(&ring_);
  if (submission == nullptr) {
    io_uring_submit(&ring_);
    early_submit_ = true;
    submission = io_uring_get_sqe(&ring_);
    // Only a completion queue that overflowed refuses submissions; it is sized
    // four times the submission queue so that this does not happen.
    assert(submission != nullptr && "io_uring submission queue stuck full");
  }
  io_uring_sqe_set_data64(submission, operation.pack());
  return submission;
}

void UringRing::prep_accept_multishot(Operation operation, int listen_fd) {
  io_uring_prep_multishot_accept(next_submission(operation), listen_fd, nullptr, nullptr,
                                 SOCK_CLOEXEC);
}

void UringRing::prep_receive_multishot(Operation operation, int fd) {
  io_uring_sqe* submission = next_submission(operation);
  io_uring_prep_recv_multishot(submission, fd, nullptr, 0, 0);
  submission->flags |= IOSQE_BUFFER_SELECT;
  submission->buf_group = receive_group_id;
}

void UringRing::prep_receive_one_buffer(Operation operation, int fd) {
  io_uring_sqe* submission = next_submission(operation);
  io_uring_prep_recv(submission, fd, nullptr, 0, 0);
  submission->flags |= IOSQE_BUFFER_SELECT;
  submission->buf_group = receive_group_id;
}

void UringRing::prep_receive_into(Operation operation, int fd, std::span<char> area) {
  io_uring_prep_recv(next_submission(operation), fd, area.data(), area.size(), 0);
}

void UringRing::prep_send(Operation operation, int fd, const char* data, std::uint32_t bytes) {
  io_uring_prep_send(next_submission(operation), fd, data, bytes, MSG_NOSIGNAL);
}

void UringRing::prep_connect(Operation operation, int fd, const sockaddr* address,
                             socklen_t length) {
  io_uring_prep_connect(next_submission(operation), fd, address, length);
}

void UringRing::prep_open_beneath(Operation operation, int directory_fd, const char* path,
                                  const open_how* how) {
  io_uring_prep_openat2(next_submission(operation), directory_fd, path, const_cast<open_how*>(how));
}

void UringRing::prep_read(Operation operation, int fd, char* data, std::uint32_t bytes,
                          std::uint64_t offset) {
  io_uring_prep_read(next_submission(operation), fd, data, bytes, offset);
}

void UringRing::prep_write(Operation operation, int fd, const char* data, std::uint32_t bytes,
                           std::uint64_t offset) {
  io_uring_prep_write(next_submission(operation), fd, data, bytes, offset);
}

void UringRing::prep_close(Operation operation, int fd) {
  io_uring_prep_close(next_submission(operation), fd);
}

void UringRing::prep_cancel_and_close(Operation operation, int fd) {
  io_uring_sqe* cancel = next_submission({OperationKind::ignored, 0, 0});
  io_uring_prep_cancel_fd(cancel, fd, IORING_ASYNC_CANCEL_ALL);
  cancel->flags |= IOSQE_IO_HARDLINK;
  io_uring_prep_close(next_submission(operation), fd);
}

void UringRing::prep_cancel(Operation target) {
  io_uring_prep_cancel64(next_submission({OperationKind::ignored, 0, 0}), target.pack(), 0);
}

void UringRing::prep_poll(Operation operation, int fd, unsigned events, bool multishot) {
  io_uring_sqe* submission = next_submission(operation);
  if (multishot) {
    io_uring_prep_poll_multishot(submission, fd, events);
  } else {
    io_uring_prep_poll_add(submission, fd, events);
  }
}

void UringRing::prep_poll_remove(Operation target) {
  io_uring_prep_poll_remove(next_submission({OperationKind::ignored, 0, 0}), target.pack());
}

void UringRing::prep_wake_wait(Operation operation) {
  io_uring_prep_read(next_submission(operation), wake_fd_, &wake_value_, sizeof wake_value_, 0);
}

void UringRing::wake() {
  std::uint64_t one = 1;
  ssize_t ignored = write(wake_fd_, &one, sizeof one);
  (void)ignored;
}

int UringRing::submit_and_wait(unsigned wait_count, std::uint64_t timeout_ms) {
  if (receive_buffer_count_ > 0) receive_buffers_.publish();
  __kernel_timespec timeout{};
  timeout.tv_sec = static_cast<long long>(timeout_ms / 1000);
  timeout.tv_nsec = static_cast<long long>((timeout_ms % 1000) * 1000000);
  io_uring_cqe* completion = nullptr;
  int result = io_uring_submit_and_wait_timeout(&ring_, &completion, wait_count, &timeout, nullptr);
  if (result == -ETIME || result == -EINTR) return 0;
  return result < 0 ? result : 0;
}

bool UringRing::next_completion(Completion& completion) {
  io_uring_cqe* cqe = nullptr;
  if (io_uring_peek_cqe(&ring_, &cqe) != 0 || cqe == nullptr) return false;
  completion.operation = Operation::unpack(cqe->user_data);
  completion.result = cqe->res;
  completion.more = (cqe->flags & IORING_CQE_F_MORE) != 0;
  completion.has_buffer = (cqe->flags & IORING_CQE_F_BUFFER) != 0;
  completion.buffer_id = static_cast<std::uint16_t>(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
  io_uring_cqe_seen(&ring_, cqe);
  return true;
}

int UringRing::open_stream_socket(int family) {
  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  return fd < 0 ? -errno : fd;
}

void UringRing::shutdown_write(int fd) {
  ::shutdown(fd, SHUT_WR);
}

void UringRing::close_now(int fd) {
  ::close(fd);
}

void UringRing::reset_on_close(int fd) {
  linger abortive{.l_onoff = 1, .l_linger = 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
}

void UringRing::peer_address(int fd, std::span<char> text) {
  if (text.empty()) return;
  text[0] = '\0';
  sockaddr_storage peer{};
  socklen_t length = sizeof peer;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length) < 0) return;
  auto size = static_cast<socklen_t>(text.size());
  if (peer.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&peer)->sin_addr, text.data(), size);
  } else if (peer.ss_family == AF_INET6) {
    auto* peer6 = reinterpret_cast<sockaddr_in6*>(&peer);
    if (IN6_IS_ADDR_V4MAPPED(&peer6->sin6_addr)) {
      inet_ntop(AF_INET, &peer6->sin6_addr.s6_addr[12], text.data(), size);
    } else {
      inet_ntop(AF_INET6, &peer6->sin6_addr, text.data(), size);
    }
  }
}

std::uint64_t UringRing::now_ms() {
  return base::monotonic_ms();
}

std::int64_t UringRing::now_unix_ns() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec;
}

}  // namespace ringway::io
