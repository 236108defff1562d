#include "channel.h"

#include <ares.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>
#include <cstring>

#include "ringway/dns/dns_error.h"

namespace ringway::dns {
namespace {

constexpr int class_internet = 1;  // C_IN
constexpr int type_ipv4 = 1;       // T_A
constexpr int type_ipv6 = 28;      // T_AAAA
constexpr int addresses_max = 64;  // per family; more are dropped
constexpr char no_file[] = "/dev/null";
constexpr char dns_only[] = "b";  // never /etc/hosts

DnsError error_from_status(int status) {
  switch (status) {
    case ARES_ENOTFOUND:
      return DnsError::not_found;
    case ARES_ENODATA:
      return DnsError::no_addresses;
    case ARES_ETIMEOUT:
      return DnsError::timeout;
    case ARES_EREFUSED:
      return DnsError::refused;
    case ARES_ESERVFAIL:
    case ARES_ENOTIMP:
    case ARES_EFORMERR:
      return DnsError::server_failure;
    case ARES_ECONNREFUSED:
      return DnsError::unreachable;
    case ARES_EBADRESP:
    case ARES_EBADFAMILY:
      return DnsError::bad_response;
    case ARES_EBADNAME:
    case ARES_EBADQUERY:
      return DnsError::bad_name;
    case ARES_ENOMEM:
      return DnsError::out_of_memory;
    case ARES_ECANCELLED:
    case ARES_EDESTRUCTION:
      return DnsError::cancelled;
    default:
      return DnsError::other;
  }
}

void on_socket_state(void* data, ares_socket_t fd, int readable, int writable) {
  static_cast<SocketWatcher*>(data)->on_socket_state(fd, readable != 0, writable != 0);
}

// Each query carries its sink, family and port through c-ares' void* argument.
struct PendingQuery {
  AnswerSink* sink;
  int family;
  std::uint16_t port;
};

template <typename Record>
FamilyAnswer collect(const Record* records, int count, std::uint16_t port) {
  FamilyAnswer answer;
  for (int index = 0; index < count; ++index) {
    sockaddr_storage address{};
    if constexpr (std::is_same_v<Record, ares_addrttl>) {
      auto& ipv4 = reinterpret_cast<sockaddr_in&>(address);
      ipv4.sin_family = AF_INET;
      ipv4.sin_port = htons(port);
      ipv4.sin_addr = records[index].ipaddr;
    } else {
      auto& ipv6 = reinterpret_cast<sockaddr_in6&>(address);
      ipv6.sin6_family = AF_INET6;
      ipv6.sin6_port = htons(port);
      std::memcpy(&ipv6.sin6_addr, &records[index].ip6addr, sizeof ipv6.sin6_addr);
    }
    auto ttl_s = static_cast<std::uint32_t>(std::max(records[index].ttl, 0));
    answer.ttl_s = index == 0 ? ttl_s : std::min(answer.ttl_s, ttl_s);
    answer.addresses.push_back(address);
  }
  return answer;
}

FamilyAnswer parse_answer(int family, std::uint16_t port, const unsigned char* buffer, int length) {
  int count = addresses_max;
  int status = ARES_SUCCESS;
  FamilyAnswer answer;
  if (family == AF_INET) {
    std::array<ares_addrttl, addresses_max> records{};
    status = ares_parse_a_reply(buffer, length, nullptr, records.data(), &count);
    if (status == ARES_SUCCESS) answer = collect(records.data(), count, port);
  } else {
    std::array<ares_addr6ttl, addresses_max> records{};
    status = ares_parse_aaaa_reply(buffer, length, nullptr, records.data(), &count);
    if (status == ARES_SUCCESS) answer = collect(records.data(), count, port);
  }
  if (status != ARES_SUCCESS) answer.error = error_from_status(status);
  if (!answer.error && answer.addresses.empty()) answer.error = DnsError::no_addresses;
  return answer;
}

void on_query_done(void* argument, int status, int /*timeouts*/, unsigned char* buffer,
                   int length) {
  auto* pending = static_cast<PendingQuery*>(argument);
  // The channel is closing: its owner is going away and wants no calls.
  if (status == ARES_EDESTRUCTION) {
    delete pending;
    return;
  }
  FamilyAnswer answer;
  if (status == ARES_SUCCESS) {
    answer = parse_answer(pending->family, pending->port, buffer, length);
  } else {
    answer.error = error_from_status(status);
  }
  AnswerSink* sink = pending->sink;
  delete pending;
  sink->on_answer(std::move(answer));
}

// c-ares keeps its own copy of the list.
int set_servers(ares_channel channel, const std::vector<config::ResolverServer>& servers) {
  std::vector<ares_addr_port_node> nodes(servers.size());
  for (std::size_t index = 0; index < servers.size(); ++index) {
    ares_addr_port_node& node = nodes[index];
    const sockaddr_storage& address = servers[index].address;
    node.next = index + 1 < nodes.size() ? &nodes[index + 1] : nullptr;
    node.family = address.ss_family;
    if (address.ss_family == AF_INET) {
      const auto& ipv4 = reinterpret_cast<const sockaddr_in&>(address);
      node.addr.addr4 = ipv4.sin_addr;
      node.udp_port = node.tcp_port = ntohs(ipv4.sin_port);
    } else {
      const auto& ipv6 = reinterpret_cast<const sockaddr_in6&>(address);
      std::memcpy(&node.addr.addr6, &ipv6.sin6_addr, sizeof ipv6.sin6_addr);
      node.udp_port = node.tcp_port = ntohs(ipv6.sin6_port);
    }
  }
  return ares_set_servers_ports(channel, nodes.empty() ? nullptr : nodes.data());
}

}  // namespace

std::string Channel::open(const config::Resolver& settings, SocketWatcher& watcher) {
  close();
  int status = ares_library_init(ARES_LIB_INIT_ALL);
  if (status != ARES_SUCCESS) return std::string("c-ares: ") + ares_strerror(status);
  library_ready_ = true;

  ares_options options{};
  int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_NDOTS |
             ARES_OPT_DOMAINS | ARES_OPT_LOOKUPS | ARES_OPT_RESOLVCONF | ARES_OPT_FLAGS |
             ARES_OPT_NOROTATE;
  options.sock_state_cb = on_socket_state;
  options.sock_state_cb_data = &watcher;
  // Each server gets one try of `timeout`: the refresh schedule retries, not c-ares.
  options.timeout = static_cast<int>(settings.timeout_ms);
  options.tries = 1;
  options.ndots = 1;
  options.ndomains = 0;  // no search list: names are looked up as written
  // Every option c-ares could take from the system is given here, and resolv.conf
  // is pointed at an empty file, so nothing of the host's resolver leaks in.
  options.lookups = const_cast<char*>(dns_only);
  options.resolvconf_path = const_cast<char*>(no_file);
  // NOCHECKRESP: a SERVFAIL or REFUSED answer ends the query with that cause.
  // Without it c-ares 1.18 moves on to the next server and, when none is left,
  // reports every such answer as "connection refused", which misleads. Servers
  // that cannot be reached or time out are still skipped within one query.
  options.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES | ARES_FLAG_NOCHECKRESP;
  ares_channel channel = nullptr;
  status = ares_init_options(&channel, &options, mask);
  if (status != ARES_SUCCESS) {
    close();
    return std::string("c-ares: ") + ares_strerror(status);
  }
  channel_ = channel;
  status = set_servers(channel_, settings.servers);
  if (status != ARES_SUCCESS) {
    close();
    return std::string("c-ares: setting the servers: ") + ares_strerror(status);
  }
  return {};
}

void Channel::query(const std::string& name, int family, std::uint16_t port, AnswerSink& sink) {
  auto* pending = new PendingQuery{&sink, family, port};
  ares_query(channel_, name.c_str(), class_internet, family == AF_INET ? type_ipv4 : type_ipv6,
             on_query_done, pending);
}

void Channel::process(int readable_fd, int writable_fd) {
  ares_process_fd(channel_, readable_fd < 0 ? ARES_SOCKET_BAD : readable_fd,
                  writable_fd < 0 ? ARES_SOCKET_BAD : writable_fd);
}

std::optional<std::uint64_t> Channel::timeout_ms() {
  timeval wait{};
  if (channel_ == nullptr || ares_timeout(channel_, nullptr, &wait) == nullptr) return {};
  // Rounded up: waking a little early would find nothing due and spin.
  return static_cast<std::uint64_t>(wait.tv_sec) * 1000 +
         (static_cast<std::uint64_t>(wait.tv_usec) + 999) / 1000;
}

void Channel::close() {
  if (channel_ != nullptr) ares_destroy(channel_);
  channel_ = nullptr;
  if (library_ready_) ares_library_cleanup();
  library_ready_ = false;
}

}  // namespace ringway::dns
