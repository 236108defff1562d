#pragma once
// Finds where a chunked body (RFC 9112 7.1) ends, so a relay can forward the bytes
// unchanged, or, for an HTTP/1.0 receiver, pass on only the chunk data (decode). A
// state machine: bytes may arrive split anywhere, one at a time included; nothing is
// allocated, and nothing is copied except by decode.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ringway::http {

// What one scan call found. consumed_bytes belong to this body; it is less than the
// input only when done (the rest is the next message) or error (the byte at
// consumed_bytes is the offending one).
struct BodyScan {
  std::size_t consumed_bytes = 0;
  bool done = false;
  bool error = false;
};

struct ChunkedLimits {
  std::size_t extension_bytes_max = 1024;  // per chunk-size line, after the hex digits
  std::size_t trailer_bytes_max = 8192;    // the whole trailer section with its final CRLF
  std::size_t size_digits_max = 16;        // leading zeros count too
};

class ChunkedScanner {
 public:
  explicit ChunkedScanner(const ChunkedLimits& limits = {}) : limits_(limits) {}

  // Consumes bytes of the chunked body up to its end (the CRLF after the trailer
  // section). Sizes are 1*HEXDIG without sign or overflow, extensions are ";"-led
  // runs of field-value bytes (checked only for that and their length), every line
  // ends in CRLF, chunk data is followed by CRLF, trailers are field lines as in a
  // head (no obs-fold). Once done or error, later calls consume nothing and repeat it.
  BodyScan scan(std::string_view bytes) { return scan_copying(bytes, nullptr); }
  // Scans like scan() and copies the chunk data among the consumed bytes, without
  // framing, to data_out (room for bytes.size() is enough); data_bytes() grows by
  // the number copied.
  BodyScan decode(std::string_view bytes, char* data_out) { return scan_copying(bytes, data_out); }

  bool done() const { return state_ == State::done; }
  bool failed() const { return state_ == State::error; }
  // Chunk-data bytes seen so far, without framing: what a body size limit counts.
  std::uint64_t data_bytes() const { return data_bytes_; }

 private:
  enum class State : std::uint8_t {
    size_first_digit,
    size_digits,
    size_whitespace,  // BWS between the size and ";"
    extension,
    size_line_feed,
    data,
    data_carriage_return,
    data_line_feed,
    trailer_line_start,
    trailer_name,
    trailer_value,
    trailer_line_feed,
    final_line_feed,
    done,
    error,
  };

  BodyScan scan_copying(std::string_view bytes, char* data_out);
  State step(char byte);
  State after_size_line() const;

  ChunkedLimits limits_;
  State state_ = State::size_first_digit;
  std::uint64_t chunk_remaining_bytes_ = 0;
  std::uint64_t data_bytes_ = 0;
  std::size_t size_digits_ = 0;
  std::size_t extension_bytes_ = 0;
  std::size_t trailer_bytes_ = 0;
};

}  // namespace ringway::http
