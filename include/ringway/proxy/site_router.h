#pragma once
// Picks the site an HTTPS request is for, by its Host. Built once from the
// config; lookups allocate nothing.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ringway/http/host_table.h"
#include "ringway/http/request_head.h"

namespace ringway::proxy {

struct SiteAnswer {
  int status = 200;           // what the site answers until it proxies somewhere
  std::string extra_headers;  // whole header lines, e.g. "Strict-Transport-Security: ...\r\n"
};

struct SiteEntry {
  std::vector<std::string> hosts;  // exact names or one leading wildcard label "*.example.org"
  SiteAnswer answer;
  bool proxied = false;       // requests go to the site's upstream (config::Site), not answer
  bool http_proxied = false;  // plain-HTTP requests for it are proxied too, not redirected
};

class SiteRouter {
 public:
  SiteRouter() = default;
  // default_site answers requests whose Host matches no site (like nginx's default_server).
  SiteRouter(std::vector<SiteEntry> sites, std::size_t default_site);

  bool empty() const { return sites_.empty(); }
  std::size_t size() const { return sites_.size(); }
  // Whether any site is proxied from plain HTTP: when none is, a port-80 request
  // goes to the redirect without a site lookup.
  bool proxies_plain_http() const { return proxies_plain_http_; }
  const SiteEntry& site(std::size_t index) const { return sites_[index]; }

  // The site for a request: its Host (the parser puts an absolute-form target's
  // authority there), port removed by http::host_without_port, then found by
  // http::HostTable as SNI finds it: exact names first, then wildcards, then the
  // default site. Requires !empty().
  std::size_t route(const http::RequestHead& head) const;
  // The same for a host without port.
  std::size_t route_host(std::string_view host) const;
  // The same without the default: nullopt when no site names the host.
  std::optional<std::size_t> match_host(std::string_view host) const;

 private:
  std::vector<SiteEntry> sites_;
  http::HostTable hosts_;  // entry i is sites_[i]; its default is the default site
  bool proxies_plain_http_ = false;
};

}  // namespace ringway::proxy
