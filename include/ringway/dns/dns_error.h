#pragma once
// Why a lookup failed, as a std::error_code in the "dns" category. c-ares' many
// status codes are folded into these (src/dns/channel.cc), so callers and logs
// see a handful of causes that say what to check.

#include <system_error>

namespace ringway::dns {

enum class DnsError {
  // 0 is success, as for every error_code.
  not_found = 1,   // NXDOMAIN: the name does not exist
  no_addresses,    // the name exists but has no A or AAAA record
  timeout,         // no server answered within the timeout
  refused,         // a server answered REFUSED
  server_failure,  // a server answered SERVFAIL (or another failure code)
  unreachable,     // no server could be reached (connection refused, network down)
  bad_response,    // an answer that could not be parsed
  bad_name,        // not a name that can be looked up
  no_servers,      // [resolver] lists no servers
  out_of_memory,
  cancelled,  // the resolver shut down with the query in flight
  other,      // any other c-ares failure
};

const std::error_category& dns_category();

inline std::error_code make_error_code(DnsError error) {
  return {static_cast<int>(error), dns_category()};
}

}  // namespace ringway::dns

template <>
struct std::is_error_code_enum<ringway::dns::DnsError> : std::true_type {};
