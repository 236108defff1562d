#include "ringway/http/response_parser.h"

#include <algorithm>
#include <limits>

#include "field_syntax.h"

namespace ringway::http {
namespace {

using syntax::equals_lowercase;
using syntax::has_class;
using syntax::is_digit;
using syntax::is_whitespace;
using Status = ResponseParseStatus;

// Clears what a previous parse left, without touching headers[] (see request_parser.cc).
void reset(ResponseHead& head) {
  head.version_minor = 1;
  head.status = 0;
  head.reason = {};
  head.keep_alive = true;
  head.chunked = false;
  head.has_content_length = false;
  head.content_length = 0;
  head.has_strict_transport_security = false;
  head.header_count = 0;
}

// Internally, Status::complete from a step means "this part is fine, go on".
class Parser {
 public:
  Parser(const char* begin, const char* end, ResponseHead& head, std::size_t header_count_max)
      : begin_(begin),
        position_(begin),
        end_(end),
        head_(head),
        header_count_max_(header_count_max) {}

  Status parse();
  std::size_t consumed_bytes() const { return static_cast<std::size_t>(position_ - begin_); }

 private:
  Status consume_line_end();
  Status parse_status_line();
  Status parse_field_line(bool& head_ended);
  Status apply_field(std::string_view name, std::string_view value);
  Status apply_content_length(std::string_view value);
  Status apply_transfer_encoding(std::string_view value);
  Status apply_connection(std::string_view value);
  Status finish();

  const char* begin_;
  const char* position_;
  const char* end_;
  ResponseHead& head_;
  std::size_t header_count_max_;
  bool has_transfer_encoding_ = false;
  bool last_coding_chunked_ = false;
  int chunked_count_ = 0;
  bool connection_close_ = false;
  bool connection_keep_alive_ = false;
};

Status Parser::parse() {
  Status status = parse_status_line();
  if (status != Status::complete) return status;
  bool head_ended = false;
  while (!head_ended) {
    status = parse_field_line(head_ended);
    if (status != Status::complete) return status;
  }
  return finish();
}

// A CR or LF on its own is a response-splitting vector (RFC 9112 2.2).
Status Parser::consume_line_end() {
  if (position_ == end_) return Status::partial;
  if (*position_ != '\r') return Status::invalid;
  if (position_ + 1 == end_) return Status::partial;
  if (position_[1] != '\n') return Status::invalid;
  position_ += 2;
  return Status::complete;
}

// "HTTP/1.x 200 OK\r\n". The fixed-width prefix is compared as far as it has
// arrived, so garbage fails on its first bytes instead of waiting for a CRLF.
Status Parser::parse_status_line() {
  constexpr std::string_view prefix = "HTTP/1.";
  constexpr std::size_t fixed_bytes = prefix.size() + 6;  // "x 200 "
  const auto available_bytes = static_cast<std::size_t>(end_ - position_);
  const std::size_t checked_bytes = std::min(available_bytes, fixed_bytes);
  for (std::size_t index = 0; index < checked_bytes; ++index) {
    const char byte = position_[index];
    bool fits = false;
    if (index < prefix.size()) {
      fits = byte == prefix[index];
    } else if (index == prefix.size()) {
      fits = byte == '0' || byte == '1';
    } else if (index == prefix.size() + 1 || index == fixed_bytes - 1) {
      fits = byte == ' ';
    } else {
      fits = is_digit(byte);
    }
    if (!fits) return Status::invalid;
  }
  if (available_bytes < fixed_bytes) return Status::partial;
  head_.version_minor = static_cast<std::uint8_t>(position_[prefix.size()] - '0');
  const char* digits = position_ + prefix.size() + 2;
  const int status = (digits[0] - '0') * 100 + (digits[1] - '0') * 10 + (digits[2] - '0');
  if (status < 100 || status > 599) return Status::invalid;  // RFC 9110 15
  head_.status = static_cast<std::uint16_t>(status);
  position_ += fixed_bytes;

  // reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ), kept as sent.
  const char* reason_begin = position_;
  position_ = syntax::skip_plain_value_words(position_, end_);
  while (position_ != end_ && has_class(*position_, syntax::value_class)) ++position_;
  head_.reason = {reason_begin, static_cast<std::size_t>(position_ - reason_begin)};
  return consume_line_end();
}

// One "name: value" line, or the empty line that ends the head. A line starting
// with SP or HT (obs-fold) has an empty name and is refused.
Status Parser::parse_field_line(bool& head_ended) {
  if (position_ == end_) return Status::partial;
  if (*position_ == '\r' || *position_ == '\n') {
    const Status status = consume_line_end();
    head_ended = status == Status::complete;
    return status;
  }
  const char* name_begin = position_;
  while (position_ != end_ && has_class(*position_, syntax::token_class)) ++position_;
  if (position_ == end_) return Status::partial;
  if (position_ == name_begin || *position_ != ':') return Status::invalid;
  const std::string_view name{name_begin, static_cast<std::size_t>(position_ - name_begin)};
  ++position_;

  while (position_ != end_ && is_whitespace(*position_)) ++position_;
  const char* value_begin = position_;
  position_ = syntax::skip_plain_value_words(position_, end_);
  while (position_ != end_ && has_class(*position_, syntax::value_class)) ++position_;
  const char* value_end = position_;
  while (value_end != value_begin && is_whitespace(value_end[-1])) --value_end;
  const Status status = consume_line_end();
  if (status != Status::complete) return status;

  if (head_.header_count == header_count_max_) return Status::too_large;
  const std::string_view value{value_begin, static_cast<std::size_t>(value_end - value_begin)};
  head_.headers[head_.header_count++] = Header{name, value};
  return apply_field(name, value);
}

Status Parser::apply_field(std::string_view name, std::string_view value) {
  switch (name.size()) {
    case 10:
      if (equals_lowercase(name, "connection")) return apply_connection(value);
      break;
    case 14:
      if (equals_lowercase(name, "content-length")) return apply_content_length(value);
      break;
    case 17:
      if (equals_lowercase(name, "transfer-encoding")) return apply_transfer_encoding(value);
      break;
    case 25:
      if (equals_lowercase(name, "strict-transport-security")) {
        head_.has_strict_transport_security = true;
      }
      break;
    default:
      break;
  }
  return Status::complete;
}

// Any doubt about where the body ends lets one upstream response poison the next
// on a reused connection, so duplicates are refused even when equal (RFC 9110 8.6
// allows accepting them; the request parser refuses them too).
Status Parser::apply_content_length(std::string_view value) {
  if (head_.has_content_length || has_transfer_encoding_ || value.empty()) return Status::invalid;
  std::uint64_t length = 0;
  constexpr std::uint64_t length_max = std::numeric_limits<std::uint64_t>::max();
  for (const char byte : value) {
    if (!is_digit(byte)) return Status::invalid;
    const auto digit = static_cast<std::uint64_t>(byte - '0');
    if (length > (length_max - digit) / 10) return Status::invalid;
    length = length * 10 + digit;
  }
  head_.has_content_length = true;
  head_.content_length = length;
  return Status::complete;
}

// Codings may be split over several lines; finish() checks that chunked comes last,
// exactly once. An HTTP/1.0 message has no chunked coding (RFC 9112 6.1).
Status Parser::apply_transfer_encoding(std::string_view value) {
  if (head_.version_minor == 0 || head_.has_content_length) return Status::invalid;
  has_transfer_encoding_ = true;
  bool saw_coding = false;
  while (!value.empty()) {
    const std::string_view element = syntax::next_list_element(value);
    if (element.empty()) continue;
    const std::string_view coding = syntax::trim_whitespace(element.substr(0, element.find(';')));
    if (!syntax::is_token(coding)) return Status::invalid;
    // Compared whole: "chunked;x=1" is not the chunked coding, which has no parameters.
    last_coding_chunked_ = equals_lowercase(element, "chunked");
    if (last_coding_chunked_) ++chunked_count_;
    saw_coding = true;
  }
  return saw_coding ? Status::complete : Status::invalid;
}

Status Parser::apply_connection(std::string_view value) {
  while (!value.empty()) {
    const std::string_view option = syntax::next_list_element(value);
    if (option.empty()) continue;
    if (!syntax::is_token(option)) return Status::invalid;
    if (equals_lowercase(option, "close")) connection_close_ = true;
    if (equals_lowercase(option, "keep-alive")) connection_keep_alive_ = true;
  }
  return Status::complete;
}

Status Parser::finish() {
  if (has_transfer_encoding_ && (!last_coding_chunked_ || chunked_count_ != 1)) {
    return Status::invalid;
  }
  head_.chunked = has_transfer_encoding_;
  const bool persistent_by_default = head_.version_minor == 1;
  head_.keep_alive = !connection_close_ && (persistent_by_default || connection_keep_alive_);
  return Status::complete;
}

}  // namespace

ResponseParseResult parse_response_head(std::string_view input, ResponseHead& head,
                                        const ResponseParserLimits& limits) {
  reset(head);
  const std::size_t window_bytes = std::min(input.size(), limits.head_bytes_max);
  const std::size_t header_count_max =
      std::min(limits.header_count_max, response_header_count_limit);
  Parser parser(input.data(), input.data() + window_bytes, head, header_count_max);
  ResponseParseResult result;
  result.status = parser.parse();
  if (result.status == Status::partial && input.size() > limits.head_bytes_max) {
    result.status = Status::too_large;
  }
  if (result.status == Status::complete) result.head_bytes = parser.consumed_bytes();
  return result;
}

}  // namespace ringway::http
