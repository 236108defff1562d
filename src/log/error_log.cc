#include "ringway/log/error_log.h"

#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <ctime>

namespace ringway::log {

void write_line(Level level, const char* format, ...) {
  static constexpr const char* level_names[] = {"info", "warning", "error"};
  char line[1024];
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  std::tm parts{};
  gmtime_r(&now.tv_sec, &parts);
  int length = static_cast<int>(std::strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%SZ ", &parts));
  length += std::snprintf(line + length, sizeof line - static_cast<std::size_t>(length),
                          "%s: ", level_names[static_cast<int>(level)]);
  va_list arguments;
  va_start(arguments, format);
  int message = std::vsnprintf(line + length, sizeof line - static_cast<std::size_t>(length) - 1,
                               format, arguments);
  va_end(arguments);
  length = message < 0 ? length : length + message;
  if (length > static_cast<int>(sizeof line) - 2) length = static_cast<int>(sizeof line) - 2;
  line[length++] = '\n';
  ssize_t ignored = ::write(STDERR_FILENO, line, static_cast<std::size_t>(length));
  (void)ignored;
}

}  // namespace ringway::log
