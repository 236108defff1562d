#include "ringway/http/request_parser.h"

#include "field_section.h"
#include "field_syntax.h"
#include "ringway/http/host.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace ringway::http {
namespace {

using namespace syntax;  // byte classes and field helpers shared with the response parser

Method method_from_text(std::string_view text) {
  struct Known {
    std::string_view text;
    Method method;
  };
  static constexpr Known known[] = {
      {"GET", Method::get},
      {"HEAD", Method::head},
      {"POST", Method::post},
      {"PUT", Method::put},
      {"DELETE", Method::delete_method},
      {"OPTIONS", Method::options},
      {"PATCH", Method::patch},
      {"TRACE", Method::trace},
      {"CONNECT", Method::connect},
  };
  for (const Known& candidate : known) {
    if (candidate.text == text) return candidate.method;
  }
  return Method::other;
}

// Clears what a previous parse left, without touching headers[]: zeroing its 64
// entries would cost more than parsing a typical head.
void reset(RequestHead& head) {
  head.method = Method::other;
  head.method_text = {};
  head.target = {};
  head.version_minor = 1;
  head.has_host = false;
  head.host = {};
  head.user_agent = {};
  head.referer = {};
  head.keep_alive = true;
  head.chunked = false;
  head.has_content_length = false;
  head.content_length = 0;
  head.header_count = 0;
}

// Internally, ParseStatus::complete from a step means "this part is fine, go on".
class Parser {
 public:
  Parser(const char* begin, const char* end, RequestHead& head, std::size_t header_count_max)
      : begin_(begin),
        position_(begin),
        end_(end),
        head_(head),
        header_count_max_(header_count_max) {}

  ParseStatus parse();
  std::size_t consumed_bytes() const { return static_cast<std::size_t>(position_ - begin_); }

 private:
  ParseStatus parse_request_line();
  ParseStatus parse_version();
  ParseStatus parse_field_line(bool& head_ended);
  ParseStatus apply_field(std::string_view name, std::string_view value);
  ParseStatus finish();

  const char* begin_;
  const char* position_;
  const char* end_;
  RequestHead& head_;
  std::size_t header_count_max_;
  FramingFields framing_;
};

ParseStatus status_of(Step step) {
  switch (step) {
    case Step::ok:
      return ParseStatus::complete;
    case Step::partial:
      return ParseStatus::partial;
    case Step::invalid:
      break;
  }
  return ParseStatus::bad_request;
}

ParseStatus complete_or_bad(bool fine) {
  return fine ? ParseStatus::complete : ParseStatus::bad_request;
}

ParseStatus Parser::parse() {
  ParseStatus status = parse_request_line();
  if (status != ParseStatus::complete) return status;
  bool head_ended = false;
  while (!head_ended) {
    status = parse_field_line(head_ended);
    if (status != ParseStatus::complete) return status;
  }
  return finish();
}

ParseStatus Parser::parse_request_line() {
  // RFC 9112 2.2: ignore empty lines before the request line (clients that end a
  // body with an extra CRLF). The head byte limit bounds how many.
  while (position_ != end_ && (*position_ == '\r' || *position_ == '\n')) {
    const ParseStatus status = status_of(consume_line_end(position_, end_));
    if (status != ParseStatus::complete) return status;
  }
  const char* method_begin = position_;
  while (position_ != end_ && has_class(*position_, token_class)) ++position_;
  if (position_ == end_) return ParseStatus::partial;
  if (position_ == method_begin || *position_ != ' ') return ParseStatus::bad_request;
  head_.method_text = {method_begin, static_cast<std::size_t>(position_ - method_begin)};
  head_.method = method_from_text(head_.method_text);
  ++position_;

  const char* target_begin = position_;
  position_ = skip_plain_target_words(position_, end_);
  while (position_ != end_ && has_class(*position_, target_class)) ++position_;
  if (position_ == end_) return ParseStatus::partial;
  if (position_ == target_begin) return ParseStatus::bad_request;
  head_.target = {target_begin, static_cast<std::size_t>(position_ - target_begin)};
  if (*position_ == '\r') {
    // "GET /" with no version is an HTTP/0.9 request line: answer 505, not 400.
    const ParseStatus status = status_of(consume_line_end(position_, end_));
    return status == ParseStatus::complete ? ParseStatus::version_not_supported : status;
  }
  if (*position_ != ' ') return ParseStatus::bad_request;
  ++position_;
  return parse_version();
}

// Accepts "HTTP/1.0" and "HTTP/1.1". Well-formed other versions ("HTTP/2.0",
// "HTTP/1.2", "HTTP/3") get 505; anything else is 400.
ParseStatus Parser::parse_version() {
  constexpr std::string_view prefix = "HTTP/";
  const auto available_bytes = static_cast<std::size_t>(end_ - position_);
  // Compare what has arrived so far, so that "HTTX" fails before the line ends.
  if (std::memcmp(position_, prefix.data(), std::min(available_bytes, prefix.size())) != 0) {
    return ParseStatus::bad_request;
  }
  if (available_bytes <= prefix.size()) return ParseStatus::partial;
  position_ += prefix.size();
  const char major = *position_++;
  if (!is_digit(major)) return ParseStatus::bad_request;
  if (position_ == end_) return ParseStatus::partial;
  if (*position_ != '.') {
    // A bare major version is how HTTP/2 and HTTP/3 are usually spelled.
    const ParseStatus status = status_of(consume_line_end(position_, end_));
    if (status != ParseStatus::complete) return status;
    return major == '1' ? ParseStatus::bad_request : ParseStatus::version_not_supported;
  }
  ++position_;
  if (position_ == end_) return ParseStatus::partial;
  const char minor = *position_++;
  if (!is_digit(minor)) return ParseStatus::bad_request;
  const ParseStatus status = status_of(consume_line_end(position_, end_));
  if (status != ParseStatus::complete) return status;
  if (major != '1' || minor > '1') return ParseStatus::version_not_supported;
  head_.version_minor = static_cast<std::uint8_t>(minor - '0');
  return ParseStatus::complete;
}

// One "name: value" line, or the empty line that ends the head.
ParseStatus Parser::parse_field_line(bool& head_ended) {
  FieldLine line;
  const ParseStatus status = status_of(read_field_line(position_, end_, line));
  head_ended = line.head_ended;
  if (status != ParseStatus::complete || head_ended) return status;
  if (head_.header_count == header_count_max_) return ParseStatus::head_too_large;
  head_.headers[head_.header_count++] = Header{line.name, line.value};
  return apply_field(line.name, line.value);
}

// Dispatching on length first keeps the common unknown field to one compare.
ParseStatus Parser::apply_field(std::string_view name, std::string_view value) {
  switch (name.size()) {
    case 4:
      if (!equals_lowercase(name, "host")) break;
      // RFC 9112 3.2: two Host lines make the authority ambiguous.
      if (head_.has_host) return ParseStatus::bad_request;
      head_.has_host = true;
      head_.host = value;
      break;
    case 7:
      if (equals_lowercase(name, "referer") && head_.referer.empty()) head_.referer = value;
      break;
    case 10:
      if (equals_lowercase(name, "connection")) {
        return complete_or_bad(framing_.add_connection(value));
      }
      if (equals_lowercase(name, "user-agent") && head_.user_agent.empty()) {
        head_.user_agent = value;
      }
      break;
    case 14:
      if (equals_lowercase(name, "content-length")) {
        return complete_or_bad(framing_.add_content_length(value));
      }
      break;
    case 17:
      if (equals_lowercase(name, "transfer-encoding")) {
        return complete_or_bad(framing_.add_transfer_encoding(value, head_.version_minor));
      }
      break;
    default:
      break;
  }
  return ParseStatus::complete;
}

// Checks that need the whole head.
ParseStatus Parser::finish() {
  if (head_.version_minor == 1 && !head_.has_host) return ParseStatus::bad_request;
  // RFC 9112 3.2.2: the target's authority replaces Host; an http URI with an empty
  // host is invalid (RFC 9110 4.2.1).
  if (std::optional<std::string_view> authority = absolute_form_authority(head_.target)) {
    if (authority->empty()) return ParseStatus::bad_request;
    head_.host = *authority;
  }
  if (!framing_.transfer_codings_valid()) return ParseStatus::bad_request;
  head_.chunked = framing_.has_transfer_encoding;
  head_.has_content_length = framing_.has_content_length;
  head_.content_length = framing_.content_length;
  head_.keep_alive = framing_.keep_alive(head_.version_minor);
  return ParseStatus::complete;
}

}  // namespace

ParseResult parse_request_head(std::string_view input, RequestHead& head,
                               const ParserLimits& limits) {
  reset(head);
  // Parsing only the first head_bytes_max bytes bounds the work per call, and
  // a head that has not ended by then never will within the limit.
  const std::size_t window_bytes = std::min(input.size(), limits.head_bytes_max);
  const std::size_t header_count_max = std::min(limits.header_count_max, header_count_limit);
  Parser parser(input.data(), input.data() + window_bytes, head, header_count_max);
  ParseResult result;
  result.status = parser.parse();
  if (result.status == ParseStatus::partial && input.size() > limits.head_bytes_max) {
    result.status = ParseStatus::head_too_large;
  }
  if (result.status == ParseStatus::complete) result.head_bytes = parser.consumed_bytes();
  return result;
}

bool has_header(const RequestHead& head, std::string_view lowercase_name) {
  for (std::size_t index = 0; index < head.header_count; ++index) {
    if (syntax::equals_lowercase(head.headers[index].name, lowercase_name)) return true;
  }
  return false;
}

}  // namespace ringway::http
