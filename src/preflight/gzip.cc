// The one ringway source that includes zlib.h (tests/preflight/gzip_maker.h,
// which makes the tests' streams, is the other).

#include "ringway/preflight/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <limits>

#include <fmt/format.h>

namespace ringway::preflight {
namespace {

// A 32 KiB window (15 bits) plus 16: a gzip wrapper only, no raw deflate or zlib
// wrapper, and zlib checks the trailer's CRC-32 and length itself.
constexpr int gzip_window_bits = 15 + 16;
// Output grows by at most this much per inflate() call, so a stream that expands
// past the limit is refused within one step of it, whatever it would expand to.
constexpr std::size_t output_step_bytes = 256u << 10;

class Inflater {
 public:
  Inflater() { started_ = inflateInit2(&stream_, gzip_window_bits) == Z_OK; }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
  ~Inflater() {
    if (started_) inflateEnd(&stream_);
  }

  bool started() const { return started_; }
  z_stream& stream() { return stream_; }

 private:
  z_stream stream_{};
  bool started_ = false;
};

}  // namespace

std::optional<std::string> gunzip(std::string_view compressed, std::string& error,
                                  std::size_t output_bytes_max) {
  Inflater inflater;
  if (!inflater.started()) {
    error = "zlib could not start inflating";
    return std::nullopt;
  }
  z_stream& stream = inflater.stream();
  // zlib reads through next_in but never writes to it.
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  std::size_t input_left = compressed.size();
  std::string output;
  for (;;) {
    if (stream.avail_in == 0) {
      // avail_in is 32 bits wide; hand over a larger input in pieces.
      auto piece =
          static_cast<uInt>(std::min<std::size_t>(input_left, std::numeric_limits<uInt>::max()));
      stream.avail_in = piece;
      input_left -= piece;
    }
    // One byte past the limit, so that reaching it can be told from passing it.
    std::size_t used = output.size();
    std::size_t room = std::min(output_step_bytes, output_bytes_max - used) + 1;
    output.resize(used + room);
    stream.next_out = reinterpret_cast<Bytef*>(output.data() + used);
    stream.avail_out = static_cast<uInt>(room);
    int status = inflate(&stream, Z_NO_FLUSH);
    output.resize(used + room - stream.avail_out);
    if (output.size() > output_bytes_max) {
      error = fmt::format("decompresses to more than {} bytes", output_bytes_max);
      return std::nullopt;
    }
    if (status == Z_STREAM_END) return output;
    if (status == Z_OK) continue;
    if (status == Z_BUF_ERROR && stream.avail_in == 0 && input_left == 0) {
      error = "truncated gzip stream (the input ends before the stream does)";
    } else if (status == Z_MEM_ERROR) {
      error = "out of memory while inflating";
    } else {
      error = fmt::format("corrupt gzip stream: {}",
                          stream.msg != nullptr ? stream.msg : "unknown error");
    }
    return std::nullopt;
  }
}

}  // namespace ringway::preflight
