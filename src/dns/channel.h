#pragma once
// Private to src/dns/: one c-ares channel whose sockets someone else polls.
// channel.cc is the only file that includes ares.h.

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "ringway/config/config.h"

struct ares_channeldata;  // c-ares' channel, opaque here

namespace ringway::dns {

// One query's answer for one address family.
struct FamilyAnswer {
  std::error_code error;                    // empty when addresses were found
  std::vector<sockaddr_storage> addresses;  // in answer order, each with the query's port
  std::uint32_t ttl_s = 0;                  // the smallest TTL among them
};

// Receives the answer of one query.
class AnswerSink {
 public:
  virtual void on_answer(FamilyAnswer answer) = 0;

 protected:
  ~AnswerSink() = default;
};

// Told when c-ares opens a socket, closes it, or wants it watched differently.
// Both flags false: stop watching `fd` (c-ares closes it right after).
class SocketWatcher {
 public:
  virtual void on_socket_state(int fd, bool readable, bool writable) = 0;

 protected:
  ~SocketWatcher() = default;
};

class Channel {
 public:
  Channel() = default;
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;
  ~Channel() { close(); }

  // Creates the channel with `settings`' servers and per-server timeout. No system
  // resolver configuration is read (resolv.conf, hosts, environment). Returns an
  // empty string on success, else a message for people.
  std::string open(const config::Resolver& settings, SocketWatcher& watcher);

  // Sends an A (AF_INET) or AAAA (AF_INET6) query for `name`. `sink` gets the answer
  // exactly once, maybe inside this call, and must live until then; a channel closed
  // with the query in flight never calls it.
  void query(const std::string& name, int family, std::uint16_t port, AnswerSink& sink);

  // Reads from and writes to ready sockets (-1: none), then handles timeouts.
  void process(int readable_fd, int writable_fd);

  // How long until process() must run for a timeout; nothing when no query waits.
  std::optional<std::uint64_t> timeout_ms();

  // Ends every query without calling its sink, closes the sockets (telling the watcher).
  void close();

 private:
  ares_channeldata* channel_ = nullptr;
  bool library_ready_ = false;
};

}  // namespace ringway::dns
