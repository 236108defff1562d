#pragma once
// Errors and notices for people: one line each on standard error, written with
// a single write(2) so lines from several threads never interleave.

namespace ringway::log {

enum class Level { info, warning, error };

// printf-style; the line gets a timestamp, the level and a trailing newline.
void write_line(Level level, const char* format, ...) __attribute__((format(printf, 2, 3)));

}  // namespace ringway::log
