#include "ringway/control/service_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "ringway/log/error_log.h"

namespace ringway::control {

namespace {

// Fills address from systemd's notation; returns its length for sendto, 0 when unusable.
socklen_t socket_address(const std::string& text, sockaddr_un& address) {
  address = {};
  address.sun_family = AF_UNIX;
  if (text.empty() || (text[0] != '/' && text[0] != '@')) return 0;
  // An abstract name is neither NUL-terminated nor limited by one: its length
  // is in the address length alone. A path needs room for its terminator.
  std::size_t room = sizeof address.sun_path - (text[0] == '/' ? 1 : 0);
  if (text.size() > room) return 0;
  std::memcpy(address.sun_path, text.data(), text.size());
  if (text[0] == '@') address.sun_path[0] = '\0';
  std::size_t length = offsetof(sockaddr_un, sun_path) + text.size() + (text[0] == '/' ? 1 : 0);
  return static_cast<socklen_t>(length);
}

std::uint64_t monotonic_us() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::uint64_t>(now.tv_sec) * 1000000 +
         static_cast<std::uint64_t>(now.tv_nsec) / 1000;
}

}  // namespace

ServiceNotifier ServiceNotifier::from_environment() {
  const char* address = std::getenv("NOTIFY_SOCKET");
  return ServiceNotifier(address == nullptr ? std::string() : std::string(address));
}

bool ServiceNotifier::send(std::string_view state) const {
  if (!enabled()) return true;
  sockaddr_un address{};
  socklen_t address_length = socket_address(address_, address);
  const char* failure = nullptr;
  int error = 0;
  if (address_length == 0) {
    failure = "not an absolute path or @abstract name that fits a socket address";
  } else {
    // A socket per message: a handful are sent in the process's life. The
    // manager learns the sender's PID from the kernel's credentials, so the
    // datagram needs nothing else.
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ssize_t sent = -1;
    if (fd >= 0) {
      sent = sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                    reinterpret_cast<const sockaddr*>(&address), address_length);
    }
    error = errno;
    if (fd >= 0) close(fd);
    if (sent == static_cast<ssize_t>(state.size())) return true;
    failure = std::strerror(error);
  }
  if (!failure_logged_) {
    failure_logged_ = true;
    log::write_line(log::Level::warning, "service manager: NOTIFY_SOCKET %s: %s", address_.c_str(),
                    failure);
  }
  return false;
}

bool ServiceNotifier::ready(std::string_view status) const {
  return send("READY=1\nSTATUS=" + std::string(status));
}

bool ServiceNotifier::reloading() const {
  // Newer systemd (253, Type=notify-reload) wants the reload's start time with it.
  return send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(monotonic_us()));
}

bool ServiceNotifier::stopping() const {
  return send("STOPPING=1\nSTATUS=stopping: finishing in-flight responses");
}

bool ServiceNotifier::status(std::string_view status) const {
  return send("STATUS=" + std::string(status));
}

std::string serving_status(std::size_t sites_serving, std::size_t sites_configured) {
  if (sites_configured == 0) return "serving port 80 (no HTTPS sites configured)";
  std::string text = "serving " + std::to_string(sites_serving) + " of " +
                     std::to_string(sites_configured) + " HTTPS sites";
  if (sites_serving < sites_configured) {
    text +=
        " (" + std::to_string(sites_configured - sites_serving) + " without a usable certificate)";
  }
  return text;
}

}  // namespace ringway::control
