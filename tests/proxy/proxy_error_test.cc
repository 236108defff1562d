#include "ringway/proxy/proxy_error.h"

#include <gtest/gtest.h>

namespace ringway::proxy {
namespace {

struct Row {
  ProxyError error;
  ErrorSource source;
  int status;
  bool logged;  // a line of its own in the error log
  bool fails_over;
};

constexpr Row rows[] = {
    {ProxyError::request_body_invalid, ErrorSource::downstream, 400, true, false},
    {ProxyError::request_body_too_large, ErrorSource::downstream, 413, false, false},
    {ProxyError::request_too_large, ErrorSource::internal, 502, true, false},
    {ProxyError::upstream_unreachable, ErrorSource::upstream, 502, false, true},
    {ProxyError::upstream_closed_early, ErrorSource::upstream, 502, true, false},
    {ProxyError::upstream_invalid_response, ErrorSource::upstream, 502, true, false},
    {ProxyError::upstream_switched_protocols, ErrorSource::upstream, 502, true, false},
    {ProxyError::upstream_head_too_large, ErrorSource::internal, 502, true, false},
    {ProxyError::upstream_timed_out, ErrorSource::upstream, 504, true, false},
};

TEST(ProxyError, EachErrorHasOneSourceStatusAndFailoverRule) {
  for (const Row& row : rows) {
    SCOPED_TRACE(static_cast<int>(row.error));
    EXPECT_EQ(error_source(row.error), row.source);
    EXPECT_EQ(error_status(row.error), row.status);
    EXPECT_EQ(!error_log_text(row.error).empty(), row.logged);
    EXPECT_EQ(may_fail_over(row.error), row.fails_over);
  }
}

TEST(ProxyError, OnlyAnEarlyCloseIsRetriedAndOnlyOnce) {
  RetryFacts idempotent;
  idempotent.idempotent = true;
  EXPECT_TRUE(may_retry(ProxyError::upstream_closed_early, idempotent));
  EXPECT_FALSE(
      may_retry(ProxyError::upstream_timed_out, idempotent));  // it may have had its effect
  EXPECT_FALSE(may_retry(ProxyError::upstream_invalid_response, idempotent));

  RetryFacts once_more = idempotent;
  once_more.retried = true;
  EXPECT_FALSE(may_retry(ProxyError::upstream_closed_early, once_more));

  RetryFacts with_body = idempotent;
  with_body.has_body = true;
  EXPECT_FALSE(may_retry(ProxyError::upstream_closed_early, with_body));
}

TEST(ProxyError, APostOnAPooledConnectionIsRetriedAFreshOneIsNot) {
  RetryFacts post;
  EXPECT_FALSE(may_retry(ProxyError::upstream_closed_early, post));
  post.pooled_connection = true;  // the upstream closed it before our request could arrive
  EXPECT_TRUE(may_retry(ProxyError::upstream_closed_early, post));
}

}  // namespace
}  // namespace ringway::proxy
