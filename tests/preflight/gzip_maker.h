#pragma once
// gzip streams made by zlib itself for the tests (level 9, a gzip wrapper).

#include <zlib.h>

#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace ringway::preflight {

inline std::string gzip_of(std::string_view text) {
  z_stream stream{};
  if (deflateInit2(&stream, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
    ADD_FAILURE() << "deflateInit2 failed";
    return {};
  }
  std::string output(deflateBound(&stream, static_cast<uLong>(text.size())), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  stream.avail_in = static_cast<uInt>(text.size());
  stream.next_out = reinterpret_cast<Bytef*>(output.data());
  stream.avail_out = static_cast<uInt>(output.size());
  if (deflate(&stream, Z_FINISH) != Z_STREAM_END) ADD_FAILURE() << "deflate did not finish";
  output.resize(stream.total_out);
  deflateEnd(&stream);
  return output;
}

}  // namespace ringway::preflight
