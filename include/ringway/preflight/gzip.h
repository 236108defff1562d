#pragma once
// Just enough gzip to read /proc/config.gz without linking zlib: a member's
// header, its deflate stream (RFC 1951) and its CRC-32 and length trailer.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace ringway::preflight {

// The decompressed first member of `compressed`, or nothing when it is not valid
// gzip, fails its checks, or would be larger than `output_bytes_max`.
std::optional<std::string> gunzip(std::string_view compressed,
                                  std::size_t output_bytes_max = 64u << 20);

}  // namespace ringway::preflight
