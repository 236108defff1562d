#include "ringway/acme/hop_marker.h"

#include <gtest/gtest.h>

#include <string>

#include "ringway/http/request_parser.h"

namespace ringway::acme {
namespace {

bool marked(const std::string& request) {
  http::RequestHead head;
  http::ParseResult result = http::parse_request_head(request, head, http::ParserLimits{});
  EXPECT_EQ(result.status, http::ParseStatus::complete) << request;
  return carries_hop_marker(head);
}

TEST(HopMarker, ARequestFromThePeerIsRecognisedWhateverTheCase) {
  EXPECT_TRUE(marked("GET / HTTP/1.1\r\nHost: a\r\nX-Ringway-Hop: 1\r\n\r\n"));
  EXPECT_TRUE(marked("GET / HTTP/1.1\r\nHost: a\r\nx-ringway-hop: 2\r\n\r\n"));
  EXPECT_FALSE(marked("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
  EXPECT_FALSE(marked("GET / HTTP/1.1\r\nHost: a\r\nX-Ringway-Hops: 1\r\n\r\n"));
}

}  // namespace
}  // namespace ringway::acme
