#include "ringway/log/access_log.h"

#include <algorithm>
#include <charconv>

namespace ringway::log {
namespace {

constexpr std::int64_t nanoseconds_per_second = 1'000'000'000;
constexpr std::int64_t seconds_per_day = 86'400;

void append_unsigned(std::uint64_t value, std::string& out) noexcept {
  char digits[20];
  char* end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, static_cast<std::size_t>(end - digits));
}

void append_signed(std::int64_t value, std::string& out) noexcept {
  char digits[20];
  char* end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, static_cast<std::size_t>(end - digits));
}

// Writes exactly `width` digits of `value`, zero-padded, and returns the end.
char* write_padded(std::uint64_t value, int width, char* destination) noexcept {
  for (int index = width - 1; index >= 0; --index) {
    destination[index] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return destination + width;
}

// "<seconds>.<fraction>" with `fraction_digits` of 9 kept; negatives clamp to 0.
void append_seconds(std::int64_t nanoseconds, int fraction_digits, std::string& out) noexcept {
  nanoseconds = std::max<std::int64_t>(nanoseconds, 0);
  append_unsigned(static_cast<std::uint64_t>(nanoseconds / nanoseconds_per_second), out);
  std::uint64_t fraction = static_cast<std::uint64_t>(nanoseconds % nanoseconds_per_second);
  for (int dropped = 9 - fraction_digits; dropped > 0; --dropped) fraction /= 10;
  char digits[10];
  digits[0] = '.';
  out.append(digits, static_cast<std::size_t>(write_padded(fraction, fraction_digits, digits + 1) -
                                              digits));
}

std::int64_t end_unix_ns(const AccessEntry& entry) noexcept {
  std::int64_t duration_ns = std::max<std::int64_t>(entry.duration_ns, 0);
  std::int64_t start_ns = std::max<std::int64_t>(entry.start_unix_ns, 0);
  // Saturate instead of overflowing on nonsense input.
  if (start_ns > INT64_MAX - duration_ns) return INT64_MAX;
  return start_ns + duration_ns;
}

// Fills "25/Nov/2026:22:51:55 +0000" (26 bytes). Times are clamped to
// 1970..2262 (int64 nanoseconds), so the year always has four digits.
// Days to civil date after Howard Hinnant's algorithm: exact, no tables, no locale.
void format_time_local(std::int64_t unix_seconds, char* text) noexcept {
  static constexpr char month_names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  const std::int64_t days = unix_seconds / seconds_per_day + 719'468;  // since 0000-03-01
  const std::int64_t second_of_day = unix_seconds % seconds_per_day;
  const std::int64_t era = days / 146'097;
  const std::int64_t day_of_era = days - era * 146'097;
  const std::int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36'524 - day_of_era / 146'096) / 365;
  const std::int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const std::int64_t month_from_march = (5 * day_of_year + 2) / 153;
  const std::int64_t day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
  const std::int64_t month = month_from_march < 10 ? month_from_march + 3 : month_from_march - 9;
  const std::int64_t year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);

  char* cursor = write_padded(static_cast<std::uint64_t>(day), 2, text);
  *cursor++ = '/';
  std::copy_n(month_names + (month - 1) * 3, 3, cursor);
  cursor += 3;
  *cursor++ = '/';
  cursor = write_padded(static_cast<std::uint64_t>(year), 4, cursor);
  *cursor++ = ':';
  cursor = write_padded(static_cast<std::uint64_t>(second_of_day / 3600), 2, cursor);
  *cursor++ = ':';
  cursor = write_padded(static_cast<std::uint64_t>(second_of_day / 60 % 60), 2, cursor);
  *cursor++ = ':';
  cursor = write_padded(static_cast<std::uint64_t>(second_of_day % 60), 2, cursor);
  std::copy_n(" +0000", 6, cursor);
}

// Many lines share a second; each worker thread keeps the last one formatted.
struct TimeLocalCache {
  std::int64_t unix_seconds = -1;
  char text[26] = {};
};
thread_local TimeLocalCache time_local_cache;

std::string_view time_local(std::int64_t unix_seconds) noexcept {
  TimeLocalCache& cache = time_local_cache;
  if (cache.unix_seconds != unix_seconds) {
    format_time_local(unix_seconds, cache.text);
    cache.unix_seconds = unix_seconds;
  }
  return {cache.text, sizeof cache.text};
}

// nginx's default log escaping (ngx_http_log_escape): a line stays one line of
// printable ASCII whatever a client sends.
void append_nginx_escaped(std::string_view text, std::string& out) noexcept {
  static constexpr char hex_digits[] = "0123456789ABCDEF";
  std::size_t clean_start = 0;
  for (std::size_t index = 0; index < text.size(); ++index) {
    auto byte = static_cast<unsigned char>(text[index]);
    if (byte >= 0x20 && byte < 0x7f && byte != '"' && byte != '\\') continue;
    out.append(text.data() + clean_start, index - clean_start);
    const char escaped[4] = {'\\', 'x', hex_digits[byte >> 4], hex_digits[byte & 0xf]};
    out.append(escaped, sizeof escaped);
    clean_start = index + 1;
  }
  out.append(text.data() + clean_start, text.size() - clean_start);
}

void append_nginx_escaped_or_dash(std::string_view text, std::string& out) noexcept {
  if (text.empty()) {
    out.push_back('-');
  } else {
    append_nginx_escaped(text, out);
  }
}

// Length of the well-formed UTF-8 sequence that starts `text` (Unicode 15,
// table 3-7: no overlongs, no surrogates, nothing above U+10FFFF), or 0.
std::size_t utf8_sequence_length(std::string_view text) noexcept {
  auto byte_at = [&](std::size_t index) { return static_cast<unsigned char>(text[index]); };
  const unsigned char lead = byte_at(0);
  std::size_t length = 0;
  unsigned char second_min = 0x80;
  unsigned char second_max = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead == 0xe0) second_min = 0xa0;
    if (lead == 0xed) second_max = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead == 0xf0) second_min = 0x90;
    if (lead == 0xf4) second_max = 0x8f;
  } else {
    return 0;
  }
  if (text.size() < length || byte_at(1) < second_min || byte_at(1) > second_max) return 0;
  for (std::size_t index = 2; index < length; ++index) {
    if (byte_at(index) < 0x80 || byte_at(index) > 0xbf) return 0;
  }
  return length;
}

void append_json_escape(unsigned char byte, std::string& out) noexcept {
  static constexpr char hex_digits[] = "0123456789abcdef";
  if (byte == '"' || byte == '\\') {
    const char escaped[2] = {'\\', static_cast<char>(byte)};
    out.append(escaped, sizeof escaped);
    return;
  }
  const char escaped[6] = {'\\', 'u', '0', '0', hex_digits[byte >> 4], hex_digits[byte & 0xf]};
  out.append(escaped, sizeof escaped);
}

// DEL is legal in JSON but escaped anyway so a log viewed in a terminal stays readable.
void append_json_escaped(std::string_view text, std::string& out) noexcept {
  std::size_t clean_start = 0;
  std::size_t index = 0;
  while (index < text.size()) {
    auto byte = static_cast<unsigned char>(text[index]);
    if (byte >= 0x20 && byte < 0x7f && byte != '"' && byte != '\\') {
      ++index;
      continue;
    }
    if (byte >= 0x80) {
      if (std::size_t length = utf8_sequence_length(text.substr(index)); length > 0) {
        index += length;
        continue;
      }
    }
    out.append(text.data() + clean_start, index - clean_start);
    append_json_escape(byte, out);
    clean_start = ++index;
  }
  out.append(text.data() + clean_start, index - clean_start);
}

// One request header the way Caddy logs it: "Name":["value"], left out when empty.
void append_json_header(std::string_view name, std::string_view value, bool& first,
                        std::string& out) noexcept {
  if (value.empty()) return;
  if (!first) out.push_back(',');
  first = false;
  out.push_back('"');
  out.append(name);
  out.append("\":[\"");
  append_json_escaped(value, out);
  out.append("\"]");
}

}  // namespace

void append_combined(const AccessEntry& entry, std::string& out) noexcept {
  append_nginx_escaped_or_dash(entry.remote_ip, out);
  out.append(" - - [");
  out.append(time_local(end_unix_ns(entry) / nanoseconds_per_second));
  out.append("] \"");
  append_nginx_escaped(entry.method, out);
  out.push_back(' ');
  append_nginx_escaped(entry.target, out);
  out.append(" HTTP/1.");
  append_unsigned(entry.version_minor, out);
  out.append("\" ");
  append_signed(entry.status, out);
  out.push_back(' ');
  append_unsigned(entry.body_bytes, out);
  out.append(" \"");
  append_nginx_escaped_or_dash(entry.referer, out);
  out.append("\" \"");
  append_nginx_escaped_or_dash(entry.user_agent, out);
  out.append("\"\n");
}

void append_json(const AccessEntry& entry, std::string& out) noexcept {
  out.append(R"({"level":"info","ts":)");
  append_seconds(end_unix_ns(entry), 6, out);
  out.append(R"(,"logger":"http.log.access","msg":"handled request","request":{"remote_ip":")");
  append_json_escaped(entry.remote_ip, out);
  out.append(R"(","proto":"HTTP/1.)");
  append_unsigned(entry.version_minor, out);
  out.append(R"(","method":")");
  append_json_escaped(entry.method, out);
  out.append(R"(","host":")");
  append_json_escaped(entry.host, out);
  out.append(R"(","uri":")");
  append_json_escaped(entry.target, out);
  out.append(R"(","headers":{)");
  bool first = true;
  append_json_header("User-Agent", entry.user_agent, first, out);
  append_json_header("Referer", entry.referer, first, out);
  // Request bodies are not counted yet; Caddy's field is kept so its tools still parse.
  out.append(R"(}},"bytes_read":0,"duration":)");
  append_seconds(entry.duration_ns, 9, out);
  out.append(R"(,"size":)");
  append_unsigned(entry.body_bytes, out);
  out.append(R"(,"status":)");
  append_signed(entry.status, out);
  out.append("}\n");
}

std::size_t line_bytes_max(const AccessEntry& entry) noexcept {
  // Fixed text and numbers stay under 512 bytes; one input byte becomes at
  // most 6 output bytes (\u00HH), or 4 (\xHH) in the combined format.
  constexpr std::size_t fixed_bytes = 512;
  constexpr std::size_t escaped_bytes_per_byte = 6;
  return fixed_bytes + escaped_bytes_per_byte *
                           (entry.remote_ip.size() + entry.method.size() + entry.target.size() +
                            entry.host.size() + entry.user_agent.size() + entry.referer.size());
}

}  // namespace ringway::log
