// The interfaces, their addresses and the qdiscs attached to them, read over
// rtnetlink (three dumps: links, addresses, qdiscs), as `ip` and `tc` do.
// default_qdisc only applies to qdiscs created after it is set, so what is
// attached is what counts.

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <vector>

#include "ringway/preflight/host_facts.h"

namespace ringway::preflight {
namespace {

class NetlinkSocket {
 public:
  NetlinkSocket() : fd_(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)) {}
  NetlinkSocket(const NetlinkSocket&) = delete;
  NetlinkSocket& operator=(const NetlinkSocket&) = delete;
  ~NetlinkSocket() {
    if (fd_ >= 0) close(fd_);
  }
  int fd() const { return fd_; }

 private:
  int fd_;
};

using MessageHandler = std::function<void(const nlmsghdr&)>;

// Sends one dump request with `payload` and hands every reply message to
// `handle`. Returns 0, or the errno that ended it.
int dump(int fd, std::uint16_t type, const void* payload, std::size_t payload_bytes,
         std::uint32_t sequence, const MessageHandler& handle) {
  alignas(nlmsghdr) char request[NLMSG_SPACE(sizeof(tcmsg))] = {};
  auto* header = reinterpret_cast<nlmsghdr*>(request);
  header->nlmsg_len = static_cast<std::uint32_t>(NLMSG_LENGTH(payload_bytes));
  header->nlmsg_type = type;
  header->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  header->nlmsg_seq = sequence;
  std::memcpy(NLMSG_DATA(header), payload, payload_bytes);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd, request, header->nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel),
             sizeof kernel) < 0) {
    return errno;
  }
  // Large enough for any dump part the kernel sends (it sizes them to 32 KB at most).
  constexpr std::size_t buffer_bytes = std::size_t{64} * 1024;
  std::vector<nlmsghdr> buffer(buffer_bytes / sizeof(nlmsghdr));
  for (;;) {
    ssize_t received = recv(fd, buffer.data(), buffer_bytes, 0);
    if (received < 0 && errno == EINTR) continue;
    if (received < 0) return errno;
    auto length = static_cast<std::size_t>(received);
    const auto* bytes = reinterpret_cast<const char*>(buffer.data());
    // NLMSG_OK/NLMSG_NEXT, spelled out without their signed comparisons.
    for (std::size_t offset = 0; length - offset >= sizeof(nlmsghdr);) {
      const auto* message = reinterpret_cast<const nlmsghdr*>(bytes + offset);
      if (message->nlmsg_len < sizeof(nlmsghdr) || message->nlmsg_len > length - offset) break;
      offset += std::min<std::size_t>(NLMSG_ALIGN(message->nlmsg_len), length - offset);
      if (message->nlmsg_seq != sequence) continue;
      if (message->nlmsg_type == NLMSG_DONE) return 0;
      if (message->nlmsg_type == NLMSG_ERROR) {
        const auto* error = static_cast<const nlmsgerr*>(NLMSG_DATA(message));
        if (error->error != 0) return -error->error;
        continue;
      }
      handle(*message);
    }
  }
}

// Calls `handle(type, data, bytes)` for each attribute after a fixed header.
template <typename Header, typename Handle>
void for_each_attribute(const nlmsghdr& message, Handle handle) {
  const auto* bytes = reinterpret_cast<const char*>(&message);
  std::size_t length = message.nlmsg_len;
  // RTA_OK/RTA_NEXT, spelled out like the loop in dump().
  for (std::size_t offset = NLMSG_LENGTH(NLMSG_ALIGN(sizeof(Header)));
       length > offset && length - offset >= sizeof(rtattr);) {
    const auto* attribute = reinterpret_cast<const rtattr*>(bytes + offset);
    if (attribute->rta_len < sizeof(rtattr) || attribute->rta_len > length - offset) return;
    handle(attribute->rta_type, bytes + offset + RTA_LENGTH(0),
           static_cast<std::size_t>(attribute->rta_len - RTA_LENGTH(0)));
    offset += RTA_ALIGN(attribute->rta_len);
  }
}

std::string attribute_text(const char* data, std::size_t bytes) {
  return std::string(data, strnlen(data, bytes));
}

InterfaceQdiscs* find_interface(Interfaces& interfaces, int index) {
  for (InterfaceQdiscs& interface : interfaces.list) {
    if (interface.index == index) return &interface;
  }
  return nullptr;
}

void on_link(Interfaces& interfaces, const nlmsghdr& message) {
  if (message.nlmsg_type != RTM_NEWLINK) return;
  const auto* info = static_cast<const ifinfomsg*>(NLMSG_DATA(&message));
  InterfaceQdiscs interface;
  interface.index = info->ifi_index;
  interface.up = (info->ifi_flags & IFF_UP) != 0;
  interface.loopback = (info->ifi_flags & IFF_LOOPBACK) != 0;
  for_each_attribute<ifinfomsg>(message, [&](unsigned type, const char* data, std::size_t bytes) {
    if (type == IFLA_IFNAME) interface.name = attribute_text(data, bytes);
  });
  interfaces.list.push_back(std::move(interface));
}

void on_address(Interfaces& interfaces, const nlmsghdr& message) {
  if (message.nlmsg_type != RTM_NEWADDR) return;
  const auto* info = static_cast<const ifaddrmsg*>(NLMSG_DATA(&message));
  InterfaceQdiscs* interface = find_interface(interfaces, static_cast<int>(info->ifa_index));
  if (interface == nullptr) return;
  std::string local;
  std::string address;
  for_each_attribute<ifaddrmsg>(message, [&](unsigned type, const char* data, std::size_t bytes) {
    if (type != IFA_LOCAL && type != IFA_ADDRESS) return;
    if (bytes != (info->ifa_family == AF_INET ? 4u : 16u)) return;
    char text[INET6_ADDRSTRLEN] = {};
    if (inet_ntop(info->ifa_family, data, text, sizeof text) == nullptr) return;
    (type == IFA_LOCAL ? local : address) = text;
  });
  // On point-to-point links IFA_ADDRESS is the peer; IFA_LOCAL is ours when present.
  std::string& ours = local.empty() ? address : local;
  if (!ours.empty()) interface->addresses.push_back(std::move(ours));
}

struct QdiscEntry {
  int index;
  std::uint32_t handle;
  std::uint32_t parent;
  std::string kind;
};

void on_qdisc(std::vector<QdiscEntry>& qdiscs, const nlmsghdr& message) {
  if (message.nlmsg_type != RTM_NEWQDISC) return;
  const auto* info = static_cast<const tcmsg*>(NLMSG_DATA(&message));
  QdiscEntry entry{info->tcm_ifindex, info->tcm_handle, info->tcm_parent, {}};
  for_each_attribute<tcmsg>(message, [&](unsigned type, const char* data, std::size_t bytes) {
    if (type == TCA_KIND) entry.kind = attribute_text(data, bytes);
  });
  qdiscs.push_back(std::move(entry));
}

// The root qdisc of each interface and, under a root with one qdisc per
// transmit queue (mq), those queue qdiscs.
void attach_qdiscs(Interfaces& interfaces, const std::vector<QdiscEntry>& qdiscs) {
  for (const QdiscEntry& root : qdiscs) {
    if (root.parent != TC_H_ROOT) continue;
    InterfaceQdiscs* interface = find_interface(interfaces, root.index);
    if (interface == nullptr) continue;
    interface->root_qdisc = root.kind;
    for (const QdiscEntry& child : qdiscs) {
      if (child.index == root.index && child.parent != TC_H_ROOT &&
          TC_H_MAJ(child.parent) == TC_H_MAJ(root.handle)) {
        interface->queue_qdiscs.push_back(child.kind);
      }
    }
  }
}

}  // namespace

Interfaces read_interfaces() {
  Interfaces interfaces;
  NetlinkSocket netlink;
  if (netlink.fd() < 0) {
    interfaces.error = std::string("rtnetlink socket: ") + std::strerror(errno);
    return interfaces;
  }
  ifinfomsg link_request{};
  link_request.ifi_family = AF_UNSPEC;
  int error = dump(netlink.fd(), RTM_GETLINK, &link_request, sizeof link_request, 1,
                   [&](const nlmsghdr& message) { on_link(interfaces, message); });
  ifaddrmsg address_request{};
  address_request.ifa_family = AF_UNSPEC;
  if (error == 0) {
    error = dump(netlink.fd(), RTM_GETADDR, &address_request, sizeof address_request, 2,
                 [&](const nlmsghdr& message) { on_address(interfaces, message); });
  }
  std::vector<QdiscEntry> qdiscs;
  tcmsg qdisc_request{};
  qdisc_request.tcm_family = AF_UNSPEC;
  if (error == 0) {
    error = dump(netlink.fd(), RTM_GETQDISC, &qdisc_request, sizeof qdisc_request, 3,
                 [&](const nlmsghdr& message) { on_qdisc(qdiscs, message); });
  }
  if (error != 0) {
    interfaces.error = std::string("rtnetlink dump: ") + std::strerror(error);
    interfaces.list.clear();
    return interfaces;
  }
  attach_qdiscs(interfaces, qdiscs);
  interfaces.read = true;
  return interfaces;
}

}  // namespace ringway::preflight
