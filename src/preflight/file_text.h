#pragma once
// Reading small files whole (procfs reports size 0, so read until the end).

#include <cstddef>
#include <optional>
#include <string>

namespace ringway::preflight {

// The file's bytes, or nothing when it cannot be opened or read or is larger than
// `bytes_max`; `error` then says why (strerror text).
std::optional<std::string> read_file_text(const std::string& path, std::string& error,
                                          std::size_t bytes_max = 16u << 20);

}  // namespace ringway::preflight
