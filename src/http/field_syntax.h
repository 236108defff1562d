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
  token_class = 1,   // tchar, RFC 9110 5.6.2
  value_class = 2,   // field-vchar, obs-text, SP and HT, RFC 9110 5.5
  hex_class = 4,     // HEXDIG
  target_class = 8,  // visible ASCII, what a request-target may hold
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
    if (visible) bits |= target_class;
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

// Word-at-a-time scanning (the "haszero" bit trick): a head is mostly long runs
// of ordinary bytes, and checking eight per step cuts a third off parsing a
// browser request. The tests are exact as booleans; the byte loops that follow
// find the exact stopping byte.
constexpr std::uint64_t every_byte(std::uint8_t byte) {
  return 0x0101010101010101u * byte;
}

inline bool has_zero_byte(std::uint64_t word) {
  return ((word - every_byte(0x01)) & ~word & every_byte(0x80)) != 0;
}

// limit must be at most 0x80.
inline bool has_byte_below(std::uint64_t word, std::uint8_t limit) {
  return ((word - every_byte(limit)) & ~word & every_byte(0x80)) != 0;
}

// Stops before the first eight bytes that hold anything but 0x20-0x7E and obs-text.
inline const char* skip_plain_value_words(const char* position, const char* end) {
  while (end - position >= 8) {
    std::uint64_t word;
    std::memcpy(&word, position, sizeof word);
    if (has_byte_below(word, 0x20) || has_zero_byte(word ^ every_byte(0x7f))) break;
    position += 8;
  }
  return position;
}

// Stops before the first eight bytes that hold anything but 0x21-0x7E.
inline const char* skip_plain_target_words(const char* position, const char* end) {
  while (end - position >= 8) {
    std::uint64_t word;
    std::memcpy(&word, position, sizeof word);
    if ((word & every_byte(0x80)) != 0 || has_byte_below(word, 0x21) ||
        has_zero_byte(word ^ every_byte(0x7f))) {
      break;
    }
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
