#pragma once
// One interface for finding where a message body ends (RFC 9112 6.3), whatever
// frames it, so the relay forwards bytes unchanged (or, for an HTTP/1.0 receiver,
// de-chunked) and knows when to stop.

#include <cstdint>
#include <string_view>

#include "ringway/http/chunked_scanner.h"
#include "ringway/http/request_head.h"
#include "ringway/http/response_head.h"

namespace ringway::http {

enum class BodyKind : std::uint8_t {
  none,         // no body: HEAD, 1xx, 204, 304, requests without framing fields
  length,       // Content-Length bytes
  chunked,      // up to and including the chunked body's final CRLF
  until_close,  // everything until the upstream closes (responses only)
};

class BodyFraming {
 public:
  static BodyFraming none() { return BodyFraming(BodyKind::none, 0, {}); }
  static BodyFraming length(std::uint64_t body_bytes) {
    return BodyFraming(BodyKind::length, body_bytes, {});
  }
  static BodyFraming chunked(const ChunkedLimits& limits = {}) {
    return BodyFraming(BodyKind::chunked, 0, limits);
  }
  static BodyFraming until_close() { return BodyFraming(BodyKind::until_close, 0, {}); }

  BodyKind kind() const { return kind_; }

  // Consumes the bytes that belong to the body (see BodyScan); bytes past a done
  // body belong to the next message. until_close consumes everything and is never
  // done by scanning. Once done or error, later calls consume nothing.
  BodyScan scan(std::string_view bytes);

  // For a receiver without the chunked coding (HTTP/1.0): copy_to passes on only the
  // chunk data of a chunked body, whose end the receiver then learns from the close.
  // No effect on other kinds.
  void decode_chunks() { decode_chunks_ = kind_ == BodyKind::chunked; }
  bool decodes_chunks() const { return decode_chunks_; }
  // Scans like scan() and copies to out (room for bytes.size() is enough) what goes on
  // to the receiver: the consumed bytes unchanged, or only their chunk data after
  // decode_chunks(). written_bytes says how many bytes went to out.
  BodyScan copy_to(std::string_view bytes, char* out, std::size_t& written_bytes);
  // The receiver learns where the body ends only when the connection closes.
  bool ends_at_close() const { return kind_ == BodyKind::until_close || decode_chunks_; }

  bool done() const;
  bool failed() const { return kind_ == BodyKind::chunked && chunked_.failed(); }
  // The peer closed the connection here: true when that ends the body cleanly
  // (until_close, or already done); false means a truncated body.
  bool complete_at_close() const { return kind_ == BodyKind::until_close || done(); }
  // Payload bytes seen so far (chunk data without framing), for body size limits.
  std::uint64_t data_bytes() const;

 private:
  BodyFraming(BodyKind kind, std::uint64_t remaining_bytes, const ChunkedLimits& limits)
      : kind_(kind), remaining_bytes_(remaining_bytes), chunked_(limits) {}

  BodyKind kind_;
  bool decode_chunks_ = false;
  std::uint64_t remaining_bytes_;  // length: bytes still to come
  std::uint64_t seen_bytes_ = 0;   // length and until_close: bytes consumed
  ChunkedScanner chunked_;
};

// The request body's framing: chunked, Content-Length, or none (a request is never
// close-delimited). head must come from a complete parse_request_head.
BodyFraming request_body_framing(const RequestHead& head, const ChunkedLimits& limits = {});

// The response body's framing per RFC 9112 6.3: none for a response to HEAD
// (request_method), 1xx, 204 and 304; then chunked; then Content-Length; otherwise
// until_close. CONNECT is not proxied, so its 2xx tunnel case does not arise.
// head must come from a complete parse_response_head.
BodyFraming response_body_framing(const ResponseHead& head, Method request_method,
                                  const ChunkedLimits& limits = {});

}  // namespace ringway::http
