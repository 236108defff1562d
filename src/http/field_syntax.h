#pragma once
// Byte classes and field-value helpers (RFC 9110 5) shared by the response-head
// parser, the chunked scanner and the head rewriters. Private to src/http/.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace ringway::http::syntax {

enum ByteClass : std::uint8_t {
  token_class = 1,  // tchar, RFC 9110 5.6.2
  value_class = 2,  // field-vchar, obs-text, SP and HT, RFC 9110 5.5
  hex_class = 4,    // HEXDIG
};

constexpr std::array<std::uint8_t, 256> make_byte_classes() {
  std::array<std::uint8_t, 256> classes{};
  constexpr std::string_view delimiters = "\"(),/:;<=>?@[\\]{}";
  constexpr std::string_view hex_digits = "0123456789abcdefABCDEF";
  for (int byte = 0; byte < 256; ++byte) {
    const bool visible = byte >= 0x21 && byte <= 0x7e;
    const auto as_char = static_cast<char>(byte);
    std::uint8_t bits = 0;
    if (visible || byte >= 0x80 || byte == ' ' || byte == '\t') bits |= value_class;
    if (visible && delimiters.find(as_char) == std::string_view::npos) bits |= token_class;
    if (hex_digits.find(as_char) != std::string_view::npos) bits |= hex_class;
    classes[static_cast<std::size_t>(byte)] = bits;
  }
  return classes;
}

inline constexpr std::array<std::uint8_t, 256> byte_classes = make_byte_classes();

inline bool has_class(char byte, ByteClass byte_class) {
  return (byte_classes[static_cast<unsigned char>(byte)] & byte_class) != 0;
}

inline bool is_digit(char byte) {
  return byte >= '0' && byte <= '9';
}

inline bool is_whitespace(char byte) {
  return byte == ' ' || byte == '\t';
}

// 0-15 for a byte of hex_class.
inline unsigned hex_value(char byte) {
  if (is_digit(byte)) return static_cast<unsigned>(byte - '0');
  return static_cast<unsigned>((byte | 0x20) - 'a' + 10);
}

inline bool is_token(std::string_view text) {
  if (text.empty()) return false;
  for (const char byte : text) {
    if (!has_class(byte, token_class)) return false;
  }
  return true;
}

// lower holds lowercase letters, digits and '-'. OR-ing 0x20 folds letters onto
// letters and nothing a token may hold onto a digit or '-'; callers compare
// tokens only, so CR (which folds onto '-') never reaches here.
inline bool equals_lowercase(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) return false;
  for (std::size_t index = 0; index < text.size(); ++index) {
    if ((text[index] | 0x20) != lower[index]) return false;
  }
  return true;
}

inline std::string_view trim_whitespace(std::string_view text) {
  while (!text.empty() && is_whitespace(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_whitespace(text.back())) text.remove_suffix(1);
  return text;
}

// Word-at-a-time scanning (the "haszero" bit trick, as in request_parser.cc):
// stops before the first eight bytes that hold anything but 0x20-0x7E and
// obs-text; the byte loop that follows finds the exact stopping byte.
inline const char* skip_plain_value_words(const char* position, const char* end) {
  constexpr std::uint64_t ones = 0x0101010101010101u;
  constexpr std::uint64_t high_bits = ones * 0x80;
  while (end - position >= 8) {
    std::uint64_t word;
    std::memcpy(&word, position, sizeof word);
    const std::uint64_t below_space = (word - ones * 0x20) & ~word & high_bits;
    const std::uint64_t del = word ^ (ones * 0x7f);
    const std::uint64_t has_del = (del - ones) & ~del & high_bits;
    if ((below_space | has_del) != 0) break;
    position += 8;
  }
  return position;
}

// Takes the next element of a comma-separated list (RFC 9110 5.6.1) off the front
// of rest, trimmed; empty elements come back empty and are for the caller to skip.
inline std::string_view next_list_element(std::string_view& rest) {
  const std::size_t comma = rest.find(',');
  const std::string_view element = rest.substr(0, comma);
  rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
  return trim_whitespace(element);
}

}  // namespace ringway::http::syntax
