#include "ringway/log/access_log_writer.h"

#include <limits.h>
#include <sys/stat.h>

#include "ringway/log/error_log.h"

namespace ringway::log {

namespace {

// A reader that stalls must not make us grow without bound: past this, lines
// are dropped (and counted) until the writes catch up.
constexpr std::size_t buffer_bytes_max = 4 << 20;

}  // namespace

AccessLogWriter::AccessLogWriter(int fd, AccessLogFormat format) : fd_(fd), format_(format) {
  buffer_.reserve(std::size_t{64} * 1024);
  writing_.reserve(std::size_t{64} * 1024);
  struct stat status {};
  // Writes to a pipe are atomic only up to PIPE_BUF: keep each write under it,
  // on a line boundary, so lines from several workers never interleave.
  if (fd_ >= 0 && fstat(fd_, &status) == 0 && S_ISFIFO(status.st_mode)) {
    write_bytes_max_ = PIPE_BUF;
  }
}

void AccessLogWriter::append(const AccessEntry& entry) {
  if (fd_ < 0) return;
  if (buffer_.size() > buffer_bytes_max) {
    ++dropped_lines_;
    return;
  }
  if (format_ == AccessLogFormat::json) {
    append_json(entry, buffer_);
  } else {
    append_combined(entry, buffer_);
  }
}

void AccessLogWriter::flush(io::Ring& ring) {
  if (in_flight_ || buffer_.empty() || fd_ < 0) return;
  if (dropped_lines_ > 0) {
    write_line(Level::warning, "access log: %llu lines dropped: the log is not keeping up",
               static_cast<unsigned long long>(dropped_lines_));
    dropped_lines_ = 0;
  }
  writing_.swap(buffer_);
  buffer_.clear();
  written_bytes_ = 0;
  in_flight_ = true;
  write_next_chunk(ring);
}

void AccessLogWriter::write_next_chunk(io::Ring& ring) {
  std::size_t start = written_bytes_;
  std::size_t end = writing_.size();
  if (end - start > write_bytes_max_) {
    // The last whole line that fits; a single longer line goes alone.
    std::size_t limit = start + write_bytes_max_;
    std::size_t newline = writing_.rfind('\n', limit - 1);
    if (newline == std::string::npos || newline < start) newline = writing_.find('\n', limit);
    end = newline == std::string::npos ? writing_.size() : newline + 1;
  }
  ring.prep_write({io::OperationKind::log_write, 0, 0}, fd_, writing_.data() + start,
                  static_cast<std::uint32_t>(end - start), ~std::uint64_t{0});
}

void AccessLogWriter::on_write(io::Ring& ring, const io::Completion& completion) {
  if (completion.outcome() != io::Outcome::done || completion.value() == 0) {
    write_line(Level::error, "access log write: %s",
               completion.result < 0 ? completion.error_text() : "nothing written");
    writing_.clear();
  } else {
    written_bytes_ += completion.value();
  }
  if (written_bytes_ < writing_.size()) {
    write_next_chunk(ring);
    return;
  }
  writing_.clear();
  in_flight_ = false;
}

}  // namespace ringway::log
