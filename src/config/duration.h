#pragma once
// Durations as written in the config file: an integer followed by ms, s, m or h.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ringway::config {

// A day: long enough for any timeout, small enough to fit milliseconds in 32 bits.
inline constexpr std::uint32_t duration_max_ms = 24u * 60u * 60u * 1000u;

// Parses "500ms", "10s", "2m" or "1h" into milliseconds, above 0 and at most
// duration_max_ms. On failure returns nothing and sets `error` to what is wrong.
std::optional<std::uint32_t> parse_duration_ms(std::string_view text, std::string& error);

// Checks a bare integer number of seconds against the same bounds.
std::optional<std::uint32_t> duration_from_seconds(std::int64_t seconds, std::string& error);

// The shortest exact text for `duration_ms` in the form parse_duration_ms reads.
std::string format_duration(std::uint32_t duration_ms);

}  // namespace ringway::config
