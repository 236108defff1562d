#pragma once
// Reading gzip (/proc/config.gz) through zlib, with a ceiling on what comes out.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace ringway::preflight {

// The decompressed first gzip member of `compressed` (its CRC-32 and length
// checked), or nothing when it is not gzip, is truncated or corrupt, or would be
// larger than `output_bytes_max`; `error` then says which.
std::optional<std::string> gunzip(std::string_view compressed, std::string& error,
                                  std::size_t output_bytes_max = 64u << 20);

}  // namespace ringway::preflight
