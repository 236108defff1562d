#include "ringway/proxy/router.h"

#include <optional>

#include "ringway/acme/challenge.h"
#include "ringway/http/host.h"

namespace ringway::proxy {

namespace {

struct SplitTarget {
  bool ok = false;
  std::string_view authority;  // empty for origin-form
  std::string_view path_and_query;
};

SplitTarget split_target(std::string_view target) {
  if (!target.empty() && target.front() == '/') return {true, {}, target};
  constexpr std::string_view http_scheme = "http://";
  if (target.size() <= http_scheme.size()) return {};
  for (std::size_t i = 0; i < http_scheme.size(); ++i) {
    char c = target[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != http_scheme[i]) return {};
  }
  std::string_view rest = target.substr(http_scheme.size());
  std::size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  std::string_view path =
      slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
  if (!path.empty() && path.front() == '?') return {};  // "http://host?q" has no path: refuse
  return {true, authority, path};
}

}  // namespace

FrontDecision route_front(const http::RequestHead& head) {
  SplitTarget split = split_target(head.target);
  if (!split.ok) return {};
  std::string_view path = split.path_and_query.substr(0, split.path_and_query.find('?'));
  acme::Challenge challenge = acme::match_challenge(path);
  if (challenge.match != acme::ChallengeMatch::not_challenge) {
    if (head.method != http::Method::get && head.method != http::Method::head) {
      return {FrontAction::method_not_allowed, {}, {}, {}};
    }
    if (challenge.match == acme::ChallengeMatch::invalid_token) {
      return {FrontAction::not_found, {}, {}, {}};
    }
    return {FrontAction::challenge, {}, {}, challenge.token};
  }
  std::string_view host_field = split.authority.empty() ? head.host : split.authority;
  std::optional<std::string_view> host = http::host_without_port(host_field);
  if (!host) return {};
  return {FrontAction::redirect, *host, split.path_and_query, {}};
}

}  // namespace ringway::proxy
