#pragma once
// A worker's access log: lines are formatted into a buffer as requests finish
// and written through the worker's ring once per loop turn, so logging costs
// the data plane no system call of its own.

#include <cstddef>
#include <cstdint>
#include <string>

#include "ringway/io/completion.h"
#include "ringway/io/ring.h"
#include "ringway/log/access_log.h"

namespace ringway::log {

enum class AccessLogFormat : std::uint8_t { combined, json };

class AccessLogWriter {
 public:
  // fd: shared by the workers, opened for appending; -1 turns logging off.
  AccessLogWriter(int fd, AccessLogFormat format);
  AccessLogWriter(const AccessLogWriter&) = delete;
  AccessLogWriter& operator=(const AccessLogWriter&) = delete;

  bool enabled() const { return fd_ >= 0; }
  // Formats one line. Past a bounded buffer (a log that stalls) the line is
  // dropped and counted instead, and the count is reported at the next flush.
  void append(const AccessEntry& entry);
  // Once per loop turn: starts writing what was appended, unless a write is in flight.
  void flush(io::Ring& ring);
  // The completion of a write this writer queued (OperationKind::log_write).
  void on_write(io::Ring& ring, const io::Completion& completion);
  // A write is in flight: a stopping worker waits for it.
  bool writing() const { return in_flight_; }

 private:
  void write_next_chunk(io::Ring& ring);

  int fd_;
  AccessLogFormat format_;
  std::string buffer_;   // lines appended since the last flush
  std::string writing_;  // lines being written
  std::size_t written_bytes_ = 0;
  bool in_flight_ = false;
  std::size_t write_bytes_max_ = std::size_t{1} << 20;
  std::uint64_t dropped_lines_ = 0;
};

}  // namespace ringway::log
