#pragma once
// The field section that request and response heads share (RFC 9112 2.2, 5, 6):
// line ends, field lines, and the framing fields both parsers read the same way.
// Private to src/http/.

#include <cstdint>
#include <string_view>

#include "field_syntax.h"

namespace ringway::http::syntax {

// How far a step got: ok means "this part is fine, go on"; each parser maps
// invalid onto its own status (400 for requests, 502 for responses).
enum class Step : std::uint8_t { ok, partial, invalid };

// One field line as read_field_line finds it.
struct FieldLine {
  std::string_view name;
  std::string_view value;
  bool head_ended = false;
};

// CRLF at position, moved past. A CR or LF on its own is a smuggling and
// response-splitting vector (RFC 9112 2.2), so it is invalid.
[[gnu::always_inline]] inline Step consume_line_end(const char*& position, const char* end) {
  if (position == end) return Step::partial;
  if (*position != '\r') return Step::invalid;
  if (position + 1 == end) return Step::partial;
  if (position[1] != '\n') return Step::invalid;
  position += 2;
  return Step::ok;
}

// One "name: value" line (value trimmed), or the empty line that ends the head
// (head_ended). A line starting with SP or HT (obs-fold) has an empty name and is
// invalid (RFC 9112 5.2 allows refusing it); so is whitespace before ':' (5.1).
// Inline: it is the inner loop of both parsers.
[[gnu::always_inline]] inline Step read_field_line(const char*& position, const char* end,
                                                   FieldLine& line) {
  if (position == end) return Step::partial;
  if (*position == '\r' || *position == '\n') {
    const Step step = consume_line_end(position, end);
    line.head_ended = step == Step::ok;
    return step;
  }
  // A local cursor stays in a register; position is written back once.
  const char* cursor = position;
  const char* name_begin = cursor;
  while (cursor != end && has_class(*cursor, token_class)) ++cursor;
  if (cursor == end) return Step::partial;
  if (cursor == name_begin || *cursor != ':') return Step::invalid;
  line.name = {name_begin, static_cast<std::size_t>(cursor - name_begin)};
  ++cursor;

  while (cursor != end && is_whitespace(*cursor)) ++cursor;
  const char* value_begin = cursor;
  cursor = skip_plain_value_words(cursor, end);
  while (cursor != end && has_class(*cursor, value_class)) ++cursor;
  const char* value_end = cursor;
  while (value_end != value_begin && is_whitespace(value_end[-1])) --value_end;
  line.value = {value_begin, static_cast<std::size_t>(value_end - value_begin)};
  position = cursor;
  return consume_line_end(position, end);
}

// What Content-Length, Transfer-Encoding and Connection say, gathered line by
// line. Any doubt about where a body ends lets one message poison the next on the
// same connection, so duplicates are refused even when equal (RFC 9110 8.6 would
// allow them), and so are lists, signs, and both framings at once.
struct FramingFields {
  bool has_content_length = false;
  std::uint64_t content_length = 0;
  bool has_transfer_encoding = false;
  bool connection_close = false;
  bool connection_keep_alive = false;

  // false: malformed or conflicting.
  bool add_content_length(std::string_view value);
  // Codings may be split over several lines. HTTP/1.0 has no chunked coding.
  bool add_transfer_encoding(std::string_view value, std::uint8_t version_minor);
  bool add_connection(std::string_view value);

  // Once the head has ended: chunked comes last, exactly once (a body framed by
  // anything else would have to be read until close; nothing we talk to sends that).
  bool transfer_codings_valid() const {
    return !has_transfer_encoding || (last_coding_chunked_ && chunked_count_ == 1);
  }
  bool keep_alive(std::uint8_t version_minor) const {
    const bool persistent_by_default = version_minor == 1;
    return !connection_close && (persistent_by_default || connection_keep_alive);
  }

 private:
  bool last_coding_chunked_ = false;
  int chunked_count_ = 0;
};

}  // namespace ringway::http::syntax
