#pragma once
// Tells the service manager how the daemon is doing, with systemd's notification
// protocol (sd_notify(3)) spoken directly instead of linking libsystemd: one
// datagram of newline-separated KEY=VALUE lines to the AF_UNIX socket named by
// $NOTIFY_SOCKET. Without that variable (not run by systemd as Type=notify) a
// notifier sends nothing.

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace ringway::control {

class ServiceNotifier {
 public:
  // A notifier that sends nothing.
  ServiceNotifier() = default;
  // address as systemd writes $NOTIFY_SOCKET: an absolute path, or '@' followed
  // by the name of a socket in the abstract namespace. Empty: sends nothing.
  explicit ServiceNotifier(std::string address) : address_(std::move(address)) {}
  // The socket $NOTIFY_SOCKET names, read once now.
  static ServiceNotifier from_environment();

  bool enabled() const { return !address_.empty(); }

  // Sends state (lines like "READY=1", no trailing newline needed) as one
  // datagram. True when sent or when disabled; false when the address is not
  // usable or the send failed, logged once per notifier since a manager that
  // went away keeps failing the same way.
  bool send(std::string_view state) const;

  // The states ringway reports. status is the STATUS= text (one line).
  bool ready(std::string_view status) const;
  // Before a reload the operator asked for; ready() again when it is done.
  bool reloading() const;
  bool stopping() const;
  bool status(std::string_view status) const;

 private:
  std::string address_;
  mutable bool failure_logged_ = false;
};

// The STATUS= text: how many of the configured sites serve HTTPS (have certificates).
std::string serving_status(std::size_t sites_serving, std::size_t sites_configured);

}  // namespace ringway::control
