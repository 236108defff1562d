#include "ringway/http/host.h"

#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "guarded_buffer.h"

namespace ringway::http {
namespace {

using namespace std::literals;
using test_support::GuardedBuffer;

struct HostCase {
  const char* name;
  std::string_view field;
  std::optional<std::string_view> host;  // nullopt: rejected
};

void PrintTo(const HostCase& host_case, std::ostream* out) {
  *out << host_case.name;
}

const std::string label_63 = std::string(63, 'a');
// 63 + 1 + 63 + 1 + 63 + 1 + 61 = 253 bytes, the longest name allowed.
const std::string name_253 =
    label_63 + "." + label_63 + "." + label_63 + "." + std::string(61, 'b');
const std::string name_254 = name_253 + "c";
const std::string name_253_with_root = name_253 + ".";

// One row per case reads better than one field per line.
// clang-format off
const HostCase host_cases[] = {
    {"dns_name", "example.com", "example.com"},
    {"dns_name_with_port", "example.com:443", "example.com"},
    {"single_label", "localhost", "localhost"},
    {"mixed_case_kept", "ExAmPle.COM", "ExAmPle.COM"},
    {"underscore_and_hyphen", "_srv.my-host.example", "_srv.my-host.example"},
    {"punycode", "xn--bcher-kva.example", "xn--bcher-kva.example"},
    {"leading_hyphen_label", "-bad-.com", std::nullopt},
    {"trailing_hyphen_label", "bad-.example.com", std::nullopt},
    {"leading_hyphen_first_label", "-x.example.com", std::nullopt},
    {"trailing_hyphen_last_label", "example.com-", std::nullopt},
    {"trailing_root_dot", "example.com.:80", "example.com."},
    {"numeric_inner_label", "123.example", "123.example"},
    {"label_of_63", label_63, label_63},
    {"name_of_253", name_253, name_253},
    {"name_of_253_with_root_dot", name_253_with_root, name_253_with_root},
    {"ipv4", "192.0.2.1", "192.0.2.1"},
    {"ipv4_with_port", "127.0.0.1:8080", "127.0.0.1"},
    {"ipv4_zeros", "0.0.0.0", "0.0.0.0"},
    {"ipv4_max", "255.255.255.255", "255.255.255.255"},
    {"ipv6_loopback", "[::1]", "[::1]"},
    {"ipv6_with_port", "[2001:db8::1]:443", "[2001:db8::1]"},
    {"ipv6_mapped_ipv4", "[::ffff:192.0.2.1]", "[::ffff:192.0.2.1]"},
    {"ipv6_full", "[2001:0db8:0000:0000:0000:ff00:0042:8329]",
     "[2001:0db8:0000:0000:0000:ff00:0042:8329]"},
    {"port_max", "a:65535", "a"},
    {"port_zero", "a:0", "a"},
    {"port_leading_zeros", "a:00080", "a"},

    {"empty", "", std::nullopt},
    {"port_only", ":80", std::nullopt},
    {"empty_port", "example.com:", std::nullopt},
    {"port_too_big", "example.com:65536", std::nullopt},
    {"port_too_long", "example.com:000080", std::nullopt},
    {"port_negative", "example.com:-1", std::nullopt},
    {"port_not_digits", "example.com:8a", std::nullopt},
    {"two_ports", "example.com:80:80", std::nullopt},
    {"space_inside", "exa mple.com", std::nullopt},
    {"trailing_space", "example.com ", std::nullopt},
    {"tab", "exa\tmple.com", std::nullopt},
    {"crlf_injection", "example.com\r\nSet-Cookie: a=b", std::nullopt},
    {"nul", "example.com\0.evil"sv, std::nullopt},
    {"userinfo", "user@example.com", std::nullopt},
    {"userinfo_with_password", "user:pass@example.com", std::nullopt},
    {"path", "example.com/evil", std::nullopt},
    {"backslash", "example.com\\evil", std::nullopt},
    {"percent", "exa%41mple.com", std::nullopt},
    {"query", "example.com?x", std::nullopt},
    {"wildcard", "*.example.com", std::nullopt},
    {"non_ascii", "caf\xc3\xa9.example", std::nullopt},
    {"empty_label", "a..b", std::nullopt},
    {"leading_dot", ".example.com", std::nullopt},
    {"two_trailing_dots", "example.com..", std::nullopt},
    {"only_dot", ".", std::nullopt},
    {"name_of_254", name_254, std::nullopt},
    {"ipv4_part_over_255", "256.1.1.1", std::nullopt},
    {"ipv4_three_parts", "1.2.3", std::nullopt},
    {"ipv4_five_parts", "1.2.3.4.5", std::nullopt},
    {"ipv4_leading_zero", "01.2.3.4", std::nullopt},
    {"ipv4_shorthand", "127.1", std::nullopt},
    {"ipv4_as_integer", "2130706433", std::nullopt},
    {"ipv4_hex_part", "0x7f.0.0.1", std::nullopt},
    {"ipv4_trailing_dot", "1.2.3.4.", std::nullopt},
    {"numeric_last_label", "example.123", std::nullopt},
    {"ipv6_without_brackets", "::1", std::nullopt},
    {"ipv6_unclosed", "[::1", std::nullopt},
    {"ipv6_text_after_bracket", "[::1]x", std::nullopt},
    {"ipv6_empty_port", "[::1]:", std::nullopt},
    {"ipv6_zone", "[fe80::1%25eth0]", std::nullopt},
    {"ipv6_invalid", "[2001:db8:::1]", std::nullopt},
    {"ipv6_not_an_address", "[example.com]", std::nullopt},
    {"ipv6_empty", "[]", std::nullopt},
    {"ipv6_nul_inside", "[::1\0]"sv, std::nullopt},
    {"ipv6_too_long", "[0000:0000:0000:0000:0000:0000:0000:0000:0000:0000]", std::nullopt},
    {"ipv6_future_form", "[v1.fe80::a+en1]", std::nullopt},
};
// clang-format on

class HostTable : public ::testing::TestWithParam<HostCase> {};

TEST_P(HostTable, accepts_only_safe_hosts) {
  const HostCase& host_case = GetParam();
  const GuardedBuffer buffer(host_case.field);
  const std::optional<std::string_view> host = host_without_port(buffer.view());
  ASSERT_EQ(host.has_value(), host_case.host.has_value());
  if (!host) return;
  EXPECT_EQ(*host, *host_case.host);
  // The result is a view of the start of the field, not a copy.
  EXPECT_EQ(host->data(), buffer.view().data());
}

INSTANTIATE_TEST_SUITE_P(Cases, HostTable, ::testing::ValuesIn(host_cases),
                         [](const ::testing::TestParamInfo<HostCase>& info) {
                           return std::string(info.param.name);
                         });

TEST(HostWithoutPort, rejects_a_label_of_64) {
  EXPECT_TRUE(host_without_port(label_63 + ".example"));
  EXPECT_FALSE(host_without_port(label_63 + "a.example"));
  EXPECT_FALSE(host_without_port("example." + label_63 + "a"));
}

TEST(AbsoluteFormAuthority, takes_the_authority_of_http_and_https_targets) {
  EXPECT_EQ(absolute_form_authority("http://a.test/x"), std::optional<std::string_view>("a.test"));
  EXPECT_EQ(absolute_form_authority("HTTPS://a.test:8443?q"),
            std::optional<std::string_view>("a.test:8443"));
  EXPECT_EQ(absolute_form_authority("http://[::1]:80/"),
            std::optional<std::string_view>("[::1]:80"));
  EXPECT_EQ(absolute_form_authority("https://a.test"), std::optional<std::string_view>("a.test"));
  EXPECT_EQ(absolute_form_authority("http:///x"), std::optional<std::string_view>(""));
  EXPECT_EQ(absolute_form_authority("http://"), std::optional<std::string_view>(""));
  EXPECT_EQ(absolute_form_authority("/http://a.test/"), std::nullopt);
  EXPECT_EQ(absolute_form_authority("*"), std::nullopt);
  EXPECT_EQ(absolute_form_authority("a.test:443"), std::nullopt);
  EXPECT_EQ(absolute_form_authority("ftp://a.test/"), std::nullopt);
  EXPECT_EQ(absolute_form_authority("http:/a.test/"), std::nullopt);
  EXPECT_EQ(absolute_form_authority(""), std::nullopt);
}

}  // namespace
}  // namespace ringway::http
