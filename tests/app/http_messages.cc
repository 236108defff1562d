#include "http_messages.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>

namespace ringway::fake {

namespace {

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& character : out) {
    character = static_cast<char>(std::tolower(static_cast<unsigned char>(character)));
  }
  return out;
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// The chunked body starting at start: its end, or npos while incomplete, or
// invalid set when the coding is broken.
std::size_t read_chunked(std::string_view bytes, std::size_t start, std::string& body,
                         bool& invalid) {
  std::size_t position = start;
  for (;;) {
    std::size_t line_end = bytes.find("\r\n", position);
    if (line_end == std::string_view::npos) return std::string_view::npos;
    std::string_view line = bytes.substr(position, line_end - position);
    line = line.substr(0, line.find(';'));
    std::size_t size = 0;
    auto [end, error] = std::from_chars(line.data(), line.data() + line.size(), size, 16);
    if (error != std::errc() || end != line.data() + line.size() || line.empty()) {
      invalid = true;
      return std::string_view::npos;
    }
    position = line_end + 2;
    if (size == 0) break;
    if (bytes.size() < position + size + 2) return std::string_view::npos;
    body.append(bytes.substr(position, size));
    if (bytes.substr(position + size, 2) != "\r\n") {
      invalid = true;
      return std::string_view::npos;
    }
    position += size + 2;
  }
  for (;;) {  // trailer fields, up to the empty line
    std::size_t line_end = bytes.find("\r\n", position);
    if (line_end == std::string_view::npos) return std::string_view::npos;
    bool empty = line_end == position;
    position = line_end + 2;
    if (empty) return position;
  }
}

}  // namespace

std::string Message::field(std::string_view name) const {
  for (const auto& [field_name, value] : fields) {
    if (field_name == name) return value;
  }
  return {};
}

bool Message::has_field(std::string_view name) const {
  return std::any_of(fields.begin(), fields.end(),
                     [&](const auto& field) { return field.first == name; });
}

int Message::status() const {
  if (start_line.size() < 12 || !start_line.starts_with("HTTP/1.")) return 0;
  int status = 0;
  std::from_chars(start_line.data() + 9, start_line.data() + 12, status);
  return status;
}

std::string Message::method() const {
  return start_line.substr(0, start_line.find(' '));
}

std::string Message::target() const {
  std::size_t start = start_line.find(' ');
  if (start == std::string::npos) return {};
  std::size_t end = start_line.find(' ', start + 1);
  return start_line.substr(start + 1, end == std::string::npos ? end : end - start - 1);
}

bool Message::closes() const {
  return lowercase(field("connection")) == "close";
}

ReadStatus read_message(std::string& buffer, bool response, bool no_body, bool at_end,
                        Message& message) {
  std::size_t head_end = buffer.find("\r\n\r\n");
  if (head_end == std::string::npos) return ReadStatus::partial;  // cut short, at_end
  message = Message{};
  std::string_view head(buffer.data(), head_end);
  std::size_t line_end = head.find("\r\n");
  message.start_line = std::string(head.substr(0, line_end));
  while (line_end != std::string_view::npos) {
    std::size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    std::string_view line = head.substr(
        start, line_end == std::string_view::npos ? std::string_view::npos : line_end - start);
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return ReadStatus::invalid;
    message.fields.emplace_back(lowercase(line.substr(0, colon)),
                                std::string(trimmed(line.substr(colon + 1))));
  }
  std::size_t body_start = head_end + 4;
  int status = response ? message.status() : 0;
  if (response && status == 0) return ReadStatus::invalid;
  bool bodiless = no_body || status / 100 == 1 || status == 204 || status == 304;
  std::size_t end = body_start;
  if (bodiless) {
  } else if (lowercase(message.field("transfer-encoding")).find("chunked") != std::string::npos) {
    message.chunked = true;
    // A chunked body ends in an empty line: no need to parse it before one came.
    if (buffer.find("\r\n\r\n", body_start) == std::string::npos) return ReadStatus::partial;
    bool invalid = false;
    end = read_chunked(buffer, body_start, message.body, invalid);
    if (invalid) return ReadStatus::invalid;
    if (end == std::string::npos) return ReadStatus::partial;
  } else if (message.has_field("content-length")) {
    std::string text = message.field("content-length");
    std::size_t length = 0;
    auto [last, error] = std::from_chars(text.data(), text.data() + text.size(), length);
    if (error != std::errc() || last != text.data() + text.size()) return ReadStatus::invalid;
    if (buffer.size() < body_start + length) return ReadStatus::partial;
    message.body = buffer.substr(body_start, length);
    end = body_start + length;
  } else if (response) {
    if (!at_end) return ReadStatus::partial;
    message.body = buffer.substr(body_start);
    end = buffer.size();
  }
  buffer.erase(0, end);
  return ReadStatus::complete;
}

std::string body_pattern(std::size_t bytes, std::uint64_t salt) {
  std::string body(bytes + 8, '\0');  // eight bytes at a time, then cut
  std::uint64_t state = salt * 0x9E3779B97F4A7C15ull + 1;
  for (std::size_t index = 0; index < bytes; index += 8) {  // splitmix64
    state += 0x9E3779B97F4A7C15ull;
    std::uint64_t mixed = state;
    mixed = (mixed ^ (mixed >> 30)) * 0xBF58476D1CE4E5B9ull;
    mixed = (mixed ^ (mixed >> 27)) * 0x94D049BB133111EBull;
    mixed ^= mixed >> 31;
    std::memcpy(body.data() + index, &mixed, sizeof mixed);
  }
  body.resize(bytes);
  return body;
}

}  // namespace ringway::fake
