#include "duration.h"

#include <array>
#include <charconv>

namespace ringway::config {
namespace {

struct Unit {
  std::string_view suffix;
  std::uint64_t milliseconds;
};

// Longest suffix first so "ms" is not read as "m" followed by junk.
constexpr std::array<Unit, 4> units = {{
    {"ms", 1},
    {"s", 1000},
    {"m", std::uint64_t{60} * 1000},
    {"h", std::uint64_t{60} * 60 * 1000},
}};

const Unit* find_unit(std::string_view text) {
  for (const Unit& unit : units) {
    if (text.ends_with(unit.suffix)) return &unit;
  }
  return nullptr;
}

std::optional<std::uint32_t> check_bounds(std::uint64_t duration_ms, std::string& error) {
  if (duration_ms == 0) {
    error = "must be more than 0";
    return std::nullopt;
  }
  if (duration_ms > duration_max_ms) {
    error = "must be at most 24h";
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(duration_ms);
}

}  // namespace

std::optional<std::uint32_t> parse_duration_ms(std::string_view text, std::string& error) {
  const std::string expected = "expected an integer with a unit ms, s, m or h, like \"10s\"";
  const Unit* unit = find_unit(text);
  if (unit == nullptr) {
    error = expected;
    return std::nullopt;
  }
  std::string_view digits = text.substr(0, text.size() - unit->suffix.size());
  // from_chars alone would accept a leading '-'; only plain digits are a count.
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos) {
    error = expected;
    return std::nullopt;
  }
  std::uint64_t count = 0;
  auto [end, status] = std::from_chars(digits.data(), digits.data() + digits.size(), count);
  if (status != std::errc{} || count > duration_max_ms) {
    error = "must be at most 24h";
    return std::nullopt;
  }
  return check_bounds(count * unit->milliseconds, error);
}

std::optional<std::uint32_t> duration_from_seconds(std::int64_t seconds, std::string& error) {
  if (seconds <= 0) {
    error = "must be more than 0";
    return std::nullopt;
  }
  if (seconds > duration_max_ms / 1000) {
    error = "must be at most 24h";
    return std::nullopt;
  }
  return check_bounds(static_cast<std::uint64_t>(seconds) * 1000, error);
}

std::string format_duration(std::uint32_t duration_ms) {
  // Walk from the largest unit down and take the first that divides exactly.
  for (auto unit = units.rbegin(); unit != units.rend(); ++unit) {
    if (duration_ms != 0 && duration_ms % unit->milliseconds == 0) {
      return std::to_string(duration_ms / unit->milliseconds) + std::string(unit->suffix);
    }
  }
  return std::to_string(duration_ms) + "ms";
}

}  // namespace ringway::config
