#include "ringway/dns/address_set.h"

#include <gtest/gtest.h>
#include <netinet/in.h>

#include "ringway/dns/dns_error.h"

namespace ringway::dns {
namespace {

TEST(ParseLiteral, NumericAddressesOnly) {
  auto ipv4 = parse_literal("192.0.2.7", 8080);
  ASSERT_TRUE(ipv4);
  EXPECT_EQ(format_address(*ipv4), "192.0.2.7:8080");
  EXPECT_EQ(address_length(*ipv4), sizeof(sockaddr_in));
  auto ipv6 = parse_literal("[2001:db8::1]", 80);
  ASSERT_TRUE(ipv6);
  EXPECT_EQ(format_address(*ipv6), "[2001:db8::1]:80");
  EXPECT_EQ(address_length(*ipv6), sizeof(sockaddr_in6));
  EXPECT_EQ(format_address(*parse_literal("::1", 443)), "[::1]:443");
  for (const char* name : {"opam_live", "backend.test", "", "[]", "1.2.3", "::g", "[::1"}) {
    EXPECT_FALSE(parse_literal(name, 80)) << name;
  }
}

TEST(AddressSet, ContainsAndSameAddresses) {
  AddressSet set;
  set.addresses = {*parse_literal("127.0.0.2", 80), *parse_literal("::2", 80)};
  EXPECT_TRUE(contains(set, *parse_literal("::2", 80)));
  EXPECT_FALSE(contains(set, *parse_literal("::2", 81)));  // the port counts
  EXPECT_FALSE(contains(set, *parse_literal("127.0.0.3", 80)));
  EXPECT_EQ(format_addresses(set), "127.0.0.2:80, [::2]:80");

  AddressSet reordered;
  reordered.addresses = {set.addresses[1], set.addresses[0]};
  EXPECT_FALSE(same_addresses(set, reordered));
  reordered.addresses = set.addresses;
  EXPECT_TRUE(same_addresses(set, reordered));
}

TEST(DnsError, MessagesNameTheCause) {
  std::error_code nxdomain = DnsError::not_found;
  EXPECT_EQ(nxdomain.category().name(), std::string("dns"));
  EXPECT_EQ(nxdomain.message(), "name does not exist (NXDOMAIN)");
  EXPECT_EQ(std::error_code(DnsError::timeout).message(), "no answer from the DNS servers in time");
  EXPECT_EQ(std::error_code(DnsError::refused).message(), "DNS server refused the query (REFUSED)");
  EXPECT_EQ(std::error_code(DnsError::no_addresses).message(), "name has no A or AAAA records");
  EXPECT_TRUE(nxdomain == DnsError::not_found);
  EXPECT_FALSE(std::error_code());
}

}  // namespace
}  // namespace ringway::dns
