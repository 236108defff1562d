#include "ringway/acme/challenge.h"

namespace ringway::acme {

namespace {

bool is_base64url(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

}  // namespace

Challenge match_challenge(std::string_view path) {
  // "/.well-known/acme-challenge" without the slash is a directory too.
  if (path == challenge_prefix.substr(0, challenge_prefix.size() - 1)) {
    return {ChallengeMatch::invalid_token, {}};
  }
  if (path.substr(0, challenge_prefix.size()) != challenge_prefix) return {};
  std::string_view token = path.substr(challenge_prefix.size());
  if (token.empty() || token.size() > token_bytes_max) return {ChallengeMatch::invalid_token, {}};
  for (char c : token) {
    if (!is_base64url(c)) return {ChallengeMatch::invalid_token, {}};
  }
  return {ChallengeMatch::token, token};
}

}  // namespace ringway::acme
