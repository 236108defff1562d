#include "ringway/dns/dns_error.h"

#include <string>

namespace ringway::dns {
namespace {

class DnsCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "dns"; }

  std::string message(int code) const override {
    switch (static_cast<DnsError>(code)) {
      case DnsError::not_found:
        return "name does not exist (NXDOMAIN)";
      case DnsError::no_addresses:
        return "name has no A or AAAA records";
      case DnsError::timeout:
        return "no answer from the DNS servers in time";
      case DnsError::refused:
        return "DNS server refused the query (REFUSED)";
      case DnsError::server_failure:
        return "DNS server failed to answer (SERVFAIL)";
      case DnsError::unreachable:
        return "DNS servers unreachable (connection refused)";
      case DnsError::bad_response:
        return "malformed DNS response";
      case DnsError::bad_name:
        return "not a valid DNS name";
      case DnsError::no_servers:
        return "no DNS servers configured ([resolver] servers)";
      case DnsError::out_of_memory:
        return "out of memory";
      case DnsError::cancelled:
        return "lookup cancelled";
      case DnsError::other:
        return "DNS lookup failed";
    }
    return code == 0 ? "success" : "unknown DNS error " + std::to_string(code);
  }
};

}  // namespace

const std::error_category& dns_category() {
  static const DnsCategory category;
  return category;
}

}  // namespace ringway::dns
