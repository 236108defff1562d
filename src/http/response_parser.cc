#include "ringway/http/response_parser.h"

#include <algorithm>

#include "field_section.h"
#include "field_syntax.h"

namespace ringway::http {
namespace {

using syntax::equals_lowercase;
using syntax::has_class;
using syntax::is_digit;
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
  Status parse_status_line();
  Status parse_field_line(bool& head_ended);
  Status apply_field(std::string_view name, std::string_view value);
  Status finish();

  const char* begin_;
  const char* position_;
  const char* end_;
  ResponseHead& head_;
  std::size_t header_count_max_;
  syntax::FramingFields framing_;
};

Status status_of(syntax::Step step) {
  switch (step) {
    case syntax::Step::ok:
      return Status::complete;
    case syntax::Step::partial:
      return Status::partial;
    case syntax::Step::invalid:
      break;
  }
  return Status::invalid;
}

Status complete_or_invalid(bool fine) {
  return fine ? Status::complete : Status::invalid;
}

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
  return status_of(syntax::consume_line_end(position_, end_));
}

Status Parser::parse_field_line(bool& head_ended) {
  syntax::FieldLine line;
  const Status status = status_of(syntax::read_field_line(position_, end_, line));
  head_ended = line.head_ended;
  if (status != Status::complete || head_ended) return status;
  if (head_.header_count == header_count_max_) return Status::too_large;
  head_.headers[head_.header_count++] = Header{line.name, line.value};
  return apply_field(line.name, line.value);
}

Status Parser::apply_field(std::string_view name, std::string_view value) {
  switch (name.size()) {
    case 10:
      if (equals_lowercase(name, "connection")) {
        return complete_or_invalid(framing_.add_connection(value));
      }
      break;
    case 14:
      if (equals_lowercase(name, "content-length")) {
        return complete_or_invalid(framing_.add_content_length(value));
      }
      break;
    case 17:
      if (equals_lowercase(name, "transfer-encoding")) {
        return complete_or_invalid(framing_.add_transfer_encoding(value, head_.version_minor));
      }
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

Status Parser::finish() {
  if (!framing_.transfer_codings_valid()) return Status::invalid;
  head_.chunked = framing_.has_transfer_encoding;
  head_.has_content_length = framing_.has_content_length;
  head_.content_length = framing_.content_length;
  head_.keep_alive = framing_.keep_alive(head_.version_minor);
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
