#include "ringway/acme/challenge.h"

#include <gtest/gtest.h>

#include <string>

namespace ringway::acme {
namespace {

struct Case {
  const char* path;
  ChallengeMatch match;
  const char* token;
};

TEST(MatchChallenge, ClassifiesPaths) {
  const std::string longest(token_bytes_max, 'a');
  const std::string too_long(token_bytes_max + 1, 'a');
  const std::string longest_path = std::string(challenge_prefix) + longest;
  const std::string too_long_path = std::string(challenge_prefix) + too_long;
  const Case cases[] = {
      {"/", ChallengeMatch::not_challenge, ""},
      {"/index.html", ChallengeMatch::not_challenge, ""},
      {"/.well-known/other", ChallengeMatch::not_challenge, ""},
      {"/.well-known/acme-challengeX", ChallengeMatch::not_challenge, ""},
      {"/.well-known/acme-challenge", ChallengeMatch::invalid_token, ""},
      {"/.well-known/acme-challenge/", ChallengeMatch::invalid_token, ""},
      {"/.well-known/acme-challenge/..", ChallengeMatch::invalid_token, ""},
      {"/.well-known/acme-challenge/%2e%2e", ChallengeMatch::invalid_token, ""},
      {"/.well-known/acme-challenge/a/b", ChallengeMatch::invalid_token, ""},
      {"/.well-known/acme-challenge/a.b", ChallengeMatch::invalid_token, ""},
      {"/.well-known/acme-challenge/a%00", ChallengeMatch::invalid_token, ""},
      {"/.well-known/acme-challenge/../secret", ChallengeMatch::invalid_token, ""},
      {too_long_path.c_str(), ChallengeMatch::invalid_token, ""},
      {"/.well-known/acme-challenge/Ab9_-x", ChallengeMatch::token, "Ab9_-x"},
      {longest_path.c_str(), ChallengeMatch::token, longest.c_str()},
  };
  for (const Case& item : cases) {
    Challenge challenge = match_challenge(item.path);
    EXPECT_EQ(challenge.match, item.match) << item.path;
    EXPECT_EQ(challenge.token, item.token) << item.path;
  }
}

TEST(MatchChallenge, EmbeddedNulIsInvalid) {
  std::string path = std::string(challenge_prefix) + "ab";
  path.push_back('\0');
  path += "cd";
  EXPECT_EQ(match_challenge(path).match, ChallengeMatch::invalid_token);
}

}  // namespace
}  // namespace ringway::acme
