#pragma once
// Recognises ACME HTTP-01 challenge requests (RFC 8555 section 8.3).

#include <cstddef>
#include <string_view>

namespace ringway::acme {

inline constexpr std::string_view challenge_prefix = "/.well-known/acme-challenge/";
inline constexpr std::size_t token_bytes_max = 255;

enum class ChallengeMatch {
  not_challenge,  // some other path: not ours
  invalid_token,  // under the challenge prefix but no valid token: 404 without touching files
  token,          // a well-formed token
};

struct Challenge {
  ChallengeMatch match = ChallengeMatch::not_challenge;
  std::string_view token;  // with ChallengeMatch::token: base64url characters only
};

// Classifies an origin-form path (query already removed). A token is 1 to
// token_bytes_max base64url characters; anything else under the prefix,
// including an empty token, dots, slashes and percent-escapes, is invalid.
Challenge match_challenge(std::string_view path);

}  // namespace ringway::acme
