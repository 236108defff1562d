#include "ringway/http/host.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

namespace ringway::http {
namespace {

constexpr std::size_t dns_name_bytes_max = 253;
constexpr std::size_t dns_label_bytes_max = 63;
constexpr std::size_t port_digits_max = 5;
constexpr unsigned port_max = 65535;

bool is_digit(char byte) {
  return byte >= '0' && byte <= '9';
}

bool is_letter(char byte) {
  return (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z');
}

bool is_hex_digit(char byte) {
  return is_digit(byte) || (byte >= 'a' && byte <= 'f') || (byte >= 'A' && byte <= 'F');
}

// '_' is not in LDH names but appears in real host names (SRV-style labels).
bool is_dns_name_byte(char byte) {
  return is_letter(byte) || is_digit(byte) || byte == '-' || byte == '_';
}

bool is_port(std::string_view text) {
  if (text.empty() || text.size() > port_digits_max) return false;
  unsigned port = 0;
  for (const char byte : text) {
    if (!is_digit(byte)) return false;
    port = port * 10 + static_cast<unsigned>(byte - '0');
  }
  return port <= port_max;
}

// Strict dotted quad. Leading zeros are refused because inet_aton and browsers
// read "010" as octal, so the same text would name two different hosts.
bool is_ipv4_address(std::string_view text) {
  int part_count = 0;
  std::size_t index = 0;
  while (true) {
    const std::size_t part_begin = index;
    unsigned part = 0;
    while (index < text.size() && is_digit(text[index]) && index - part_begin < 3) {
      part = part * 10 + static_cast<unsigned>(text[index] - '0');
      ++index;
    }
    const std::size_t part_digits = index - part_begin;
    if (part_digits == 0 || part > 255) return false;
    if (part_digits > 1 && text[part_begin] == '0') return false;
    ++part_count;
    if (index == text.size()) return part_count == 4;
    if (text[index] != '.' || part_count == 4) return false;
    ++index;
  }
}

bool is_dns_name(std::string_view text) {
  // One trailing dot names the root and is allowed; an empty label anywhere else is not.
  if (!text.empty() && text.back() == '.') text.remove_suffix(1);
  if (text.empty() || text.size() > dns_name_bytes_max) return false;
  std::size_t label_bytes = 0;
  bool label_is_numeric = true;
  char previous = '.';
  for (const char byte : text) {
    if (byte == '.') {
      // RFC 1123: a label neither starts nor ends with a hyphen.
      if (label_bytes == 0 || previous == '-') return false;
      label_bytes = 0;
      label_is_numeric = true;
      previous = byte;
      continue;
    }
    if (!is_dns_name_byte(byte) || ++label_bytes > dns_label_bytes_max) return false;
    if (byte == '-' && previous == '.') return false;
    label_is_numeric = label_is_numeric && is_digit(byte);
    previous = byte;
  }
  if (previous == '-') return false;
  // A numeric last label is what IPv4 shorthand looks like ("127.1", "2130706433",
  // "0x7f.1"); only a strict dotted quad may be numeric, and that was tried first.
  return label_bytes != 0 && !label_is_numeric;
}

// text includes the brackets. inet_pton needs a NUL-terminated copy; checking the
// alphabet first keeps an embedded NUL from cutting the literal short, and keeps
// zone identifiers ("%25eth0") out.
bool is_ipv6_literal(std::string_view text) {
  if (text.size() < 2 || text.front() != '[' || text.back() != ']') return false;
  const std::string_view inside = text.substr(1, text.size() - 2);
  if (inside.empty() || inside.size() >= INET6_ADDRSTRLEN) return false;
  const bool valid_alphabet = std::all_of(inside.begin(), inside.end(), [](char byte) {
    return is_hex_digit(byte) || byte == ':' || byte == '.';
  });
  if (!valid_alphabet) return false;
  char terminated[INET6_ADDRSTRLEN] = {};
  std::memcpy(terminated, inside.data(), inside.size());
  in6_addr address{};
  return inet_pton(AF_INET6, terminated, &address) == 1;
}

bool starts_with_ignoring_case(std::string_view text, std::string_view lower_prefix) {
  if (text.size() < lower_prefix.size()) return false;
  return std::equal(lower_prefix.begin(), lower_prefix.end(), text.begin(),
                    [](char lower, char byte) {
                      return lower == (is_letter(byte) ? static_cast<char>(byte | 0x20) : byte);
                    });
}

}  // namespace

std::optional<std::string_view> absolute_form_authority(std::string_view target) {
  std::string_view rest;
  if (starts_with_ignoring_case(target, "http://")) {
    rest = target.substr(7);
  } else if (starts_with_ignoring_case(target, "https://")) {
    rest = target.substr(8);
  } else {
    return std::nullopt;
  }
  return rest.substr(0, rest.find_first_of("/?"));
}

std::optional<std::string_view> host_without_port(std::string_view host_field) {
  std::string_view host;
  std::string_view after_host;
  if (!host_field.empty() && host_field.front() == '[') {
    const std::size_t close = host_field.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = host_field.substr(0, close + 1);
    after_host = host_field.substr(close + 1);
    if (!is_ipv6_literal(host)) return std::nullopt;
  } else {
    host = host_field.substr(0, host_field.find(':'));
    after_host = host_field.substr(host.size());
    if (!is_ipv4_address(host) && !is_dns_name(host)) return std::nullopt;
  }
  if (!after_host.empty() && (after_host.front() != ':' || !is_port(after_host.substr(1)))) {
    return std::nullopt;
  }
  return host;
}

}  // namespace ringway::http
