#include "ringway/http/chunked_scanner.h"

#include <algorithm>
#include <cstring>

#include "field_syntax.h"

namespace ringway::http {

using syntax::has_class;

BodyScan ChunkedScanner::scan_copying(std::string_view bytes, char* data_out) {
  std::size_t position = 0;
  while (position < bytes.size() && state_ != State::done && state_ != State::error) {
    if (state_ == State::data) {
      // The bulk of a body: skip the chunk's data in one step.
      const std::uint64_t available_bytes = bytes.size() - position;
      const std::uint64_t taken_bytes = std::min(available_bytes, chunk_remaining_bytes_);
      if (data_out != nullptr) {
        std::memcpy(data_out, bytes.data() + position, static_cast<std::size_t>(taken_bytes));
        data_out += taken_bytes;
      }
      position += static_cast<std::size_t>(taken_bytes);
      chunk_remaining_bytes_ -= taken_bytes;
      data_bytes_ += taken_bytes;
      if (chunk_remaining_bytes_ == 0) state_ = State::data_carriage_return;
      continue;
    }
    state_ = step(bytes[position]);
    if (state_ != State::error) ++position;
  }
  return {position, state_ == State::done, state_ == State::error};
}

ChunkedScanner::State ChunkedScanner::after_size_line() const {
  return chunk_remaining_bytes_ == 0 ? State::trailer_line_start : State::data;
}

// One byte outside chunk data; returns the next state.
ChunkedScanner::State ChunkedScanner::step(char byte) {
  switch (state_) {
    case State::size_first_digit:
    case State::size_digits: {
      if (has_class(byte, syntax::hex_class)) {
        if (++size_digits_ > limits_.size_digits_max) return State::error;
        // 16 digits fit in 64 bits; past that only leading zeros are harmless.
        if ((chunk_remaining_bytes_ >> 60) != 0) return State::error;
        chunk_remaining_bytes_ = (chunk_remaining_bytes_ << 4) | syntax::hex_value(byte);
        return State::size_digits;
      }
      if (state_ == State::size_first_digit) return State::error;  // empty size
      size_digits_ = 0;
      extension_bytes_ = 0;
      if (byte == '\r') return State::size_line_feed;
      if (byte == ';') return State::extension;
      return syntax::is_whitespace(byte) ? State::size_whitespace : State::error;
    }
    case State::size_whitespace:
      if (syntax::is_whitespace(byte)) return State::size_whitespace;
      return byte == ';' ? State::extension : State::error;
    case State::extension:
      if (byte == '\r') return State::size_line_feed;
      if (++extension_bytes_ > limits_.extension_bytes_max) return State::error;
      return has_class(byte, syntax::value_class) ? State::extension : State::error;
    case State::size_line_feed:
      return byte == '\n' ? after_size_line() : State::error;
    case State::data_carriage_return:
      return byte == '\r' ? State::data_line_feed : State::error;
    case State::data_line_feed:
      return byte == '\n' ? State::size_first_digit : State::error;
    default:
      break;
  }
  // The trailer section: field lines, then the empty line that ends the body.
  if (++trailer_bytes_ > limits_.trailer_bytes_max) return State::error;
  switch (state_) {
    case State::trailer_line_start:
      if (byte == '\r') return State::final_line_feed;
      return has_class(byte, syntax::token_class) ? State::trailer_name : State::error;
    case State::trailer_name:
      if (byte == ':') return State::trailer_value;
      return has_class(byte, syntax::token_class) ? State::trailer_name : State::error;
    case State::trailer_value:
      if (byte == '\r') return State::trailer_line_feed;
      return has_class(byte, syntax::value_class) ? State::trailer_value : State::error;
    case State::trailer_line_feed:
      return byte == '\n' ? State::trailer_line_start : State::error;
    case State::final_line_feed:
      return byte == '\n' ? State::done : State::error;
    default:
      return State::error;
  }
}

}  // namespace ringway::http
