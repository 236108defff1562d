#pragma once
// What the response writer and the head rewriters share: a bounded appender over
// an OutputArea, and (for the rewriters) the hop-by-hop field rules (RFC 9110
// 7.6.1). Private to src/http/.

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "field_syntax.h"
#include "ringway/http/request_head.h"
#include "ringway/http/response_writer.h"

namespace ringway::http::rewrite {

// Appends after out.size; commit() publishes the bytes only if all of them fit,
// so a head that does not fit leaves out.size as it was. Overflow is remembered
// instead of checked at each step.
class HeadOutput {
 public:
  explicit HeadOutput(OutputArea& out) : out_(out), position_(out.size) {}

  HeadOutput& append(std::string_view text) {
    if (failed_ || out_.capacity - position_ < text.size()) {
      failed_ = true;
      return *this;
    }
    // An empty view may have no data at all: memcpy must not see its null pointer.
    if (!text.empty()) std::memcpy(out_.data + position_, text.data(), text.size());
    position_ += text.size();
    return *this;
  }

  HeadOutput& append_number(std::uint64_t number) {
    char digits[20];
    auto [end, error] = std::to_chars(digits, digits + sizeof digits, number);
    (void)error;  // 20 digits hold any uint64
    return append({digits, static_cast<std::size_t>(end - digits)});
  }

  void append_field(std::string_view name, std::string_view value) {
    append(name);
    append(": ");
    append(value);
    append("\r\n");
  }

  bool commit() {
    if (failed_) return false;
    out_.size = position_;
    return true;
  }

 private:
  OutputArea& out_;
  std::size_t position_;
  bool failed_ = false;
};

// ASCII case-insensitive equality of two tokens (both sides may be mixed case).
inline bool equals_ignoring_case(std::string_view left, std::string_view right) {
  if (left.size() != right.size()) return false;
  for (std::size_t index = 0; index < left.size(); ++index) {
    const auto fold = [](char byte) {
      return byte >= 'A' && byte <= 'Z' ? static_cast<char>(byte + ('a' - 'A')) : byte;
    };
    if (fold(left[index]) != fold(right[index])) return false;
  }
  return true;
}

// The fields RFC 9110 7.6.1 names as connection-specific (Proxy-Connection too).
// Transfer-Encoding is not among them here: the relay forwards a chunked body
// unchanged, so its framing field must travel with it.
inline bool is_hop_by_hop(std::string_view name) {
  using syntax::equals_lowercase;
  switch (name.size()) {
    case 2:
      return equals_lowercase(name, "te");
    case 7:
      return equals_lowercase(name, "trailer") || equals_lowercase(name, "upgrade");
    case 10:
      return equals_lowercase(name, "connection") || equals_lowercase(name, "keep-alive");
    case 16:
      return equals_lowercase(name, "proxy-connection");
    default:
      return false;
  }
}

// Fields a Connection option must never remove: dropping a framing field while
// forwarding the body would let one message smuggle another.
inline bool is_framing_field(std::string_view name) {
  return syntax::equals_lowercase(name, "content-length") ||
         syntax::equals_lowercase(name, "transfer-encoding");
}

// The field names listed as options of the Connection fields (besides close and
// keep-alive), checked without copying them anywhere.
class ConnectionOptions {
 public:
  ConnectionOptions(const Header* headers, std::size_t header_count)
      : headers_(headers), header_count_(header_count) {
    for (std::size_t index = 0; index < header_count && !any_; ++index) {
      if (!syntax::equals_lowercase(headers[index].name, "connection")) continue;
      std::string_view rest = headers[index].value;
      while (!rest.empty() && !any_) {
        const std::string_view option = syntax::next_list_element(rest);
        any_ = !option.empty() && !syntax::equals_lowercase(option, "close") &&
               !syntax::equals_lowercase(option, "keep-alive");
      }
    }
  }

  // True when a Connection field lists name (framing fields are never listed).
  bool lists(std::string_view name) const {
    if (!any_ || is_framing_field(name)) return false;
    for (std::size_t index = 0; index < header_count_; ++index) {
      if (!syntax::equals_lowercase(headers_[index].name, "connection")) continue;
      std::string_view rest = headers_[index].value;
      while (!rest.empty()) {
        if (equals_ignoring_case(syntax::next_list_element(rest), name)) return true;
      }
    }
    return false;
  }

 private:
  const Header* headers_;
  std::size_t header_count_;
  bool any_ = false;
};

}  // namespace ringway::http::rewrite
