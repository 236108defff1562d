#include "field_section.h"

#include <limits>

#include "field_syntax.h"

namespace ringway::http::syntax {

bool FramingFields::add_content_length(std::string_view value) {
  if (has_content_length || has_transfer_encoding || value.empty()) return false;
  std::uint64_t length = 0;
  constexpr std::uint64_t length_max = std::numeric_limits<std::uint64_t>::max();
  for (const char byte : value) {
    if (!is_digit(byte)) return false;
    const auto digit = static_cast<std::uint64_t>(byte - '0');
    if (length > (length_max - digit) / 10) return false;
    length = length * 10 + digit;
  }
  has_content_length = true;
  content_length = length;
  return true;
}

bool FramingFields::add_transfer_encoding(std::string_view value, std::uint8_t version_minor) {
  if (version_minor == 0 || has_content_length) return false;
  has_transfer_encoding = true;
  bool saw_coding = false;
  while (!value.empty()) {
    const std::string_view element = next_list_element(value);
    if (element.empty()) continue;
    const std::string_view coding = trim_whitespace(element.substr(0, element.find(';')));
    if (!is_token(coding)) return false;
    // Compared whole: "chunked;x=1" is not the chunked coding, which has no parameters.
    last_coding_chunked_ = equals_lowercase(element, "chunked");
    if (last_coding_chunked_) ++chunked_count_;
    saw_coding = true;
  }
  return saw_coding;
}

bool FramingFields::add_connection(std::string_view value) {
  while (!value.empty()) {
    const std::string_view option = next_list_element(value);
    if (option.empty()) continue;
    if (!is_token(option)) return false;
    if (equals_lowercase(option, "close")) connection_close = true;
    if (equals_lowercase(option, "keep-alive")) connection_keep_alive = true;
  }
  return true;
}

}  // namespace ringway::http::syntax
