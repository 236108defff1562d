#include "ringway/http/body_framing.h"

#include <algorithm>
#include <cstring>

namespace ringway::http {

BodyScan BodyFraming::scan(std::string_view bytes) {
  switch (kind_) {
    case BodyKind::none:
      return {0, true, false};
    case BodyKind::length: {
      const std::uint64_t taken_bytes = std::min<std::uint64_t>(bytes.size(), remaining_bytes_);
      remaining_bytes_ -= taken_bytes;
      seen_bytes_ += taken_bytes;
      return {static_cast<std::size_t>(taken_bytes), remaining_bytes_ == 0, false};
    }
    case BodyKind::chunked:
      return chunked_.scan(bytes);
    case BodyKind::until_close:
      seen_bytes_ += bytes.size();
      return {bytes.size(), false, false};
  }
  return {0, false, true};
}

BodyScan BodyFraming::copy_to(std::string_view bytes, char* out, std::size_t& written_bytes) {
  if (decode_chunks_) {
    const std::uint64_t data_before = chunked_.data_bytes();
    BodyScan result = chunked_.decode(bytes, out);
    written_bytes = static_cast<std::size_t>(chunked_.data_bytes() - data_before);
    return result;
  }
  BodyScan result = scan(bytes);
  if (result.consumed_bytes > 0) std::memcpy(out, bytes.data(), result.consumed_bytes);
  written_bytes = result.consumed_bytes;
  return result;
}

bool BodyFraming::done() const {
  switch (kind_) {
    case BodyKind::none:
      return true;
    case BodyKind::length:
      return remaining_bytes_ == 0;
    case BodyKind::chunked:
      return chunked_.done();
    case BodyKind::until_close:
      return false;
  }
  return false;
}

std::uint64_t BodyFraming::data_bytes() const {
  return kind_ == BodyKind::chunked ? chunked_.data_bytes() : seen_bytes_;
}

BodyFraming request_body_framing(const RequestHead& head, const ChunkedLimits& limits) {
  if (head.chunked) return BodyFraming::chunked(limits);
  if (head.has_content_length) return BodyFraming::length(head.content_length);
  return BodyFraming::none();
}

BodyFraming response_body_framing(const ResponseHead& head, Method request_method,
                                  const ChunkedLimits& limits) {
  const bool informational = head.status < 200;
  if (request_method == Method::head || informational || head.status == 204 || head.status == 304) {
    return BodyFraming::none();
  }
  if (head.chunked) return BodyFraming::chunked(limits);
  if (head.has_content_length) return BodyFraming::length(head.content_length);
  return BodyFraming::until_close();
}

}  // namespace ringway::http
