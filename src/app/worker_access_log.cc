// A worker's access log: lines are formatted into a buffer as requests finish
// and written through the ring once per loop turn.
#include <limits.h>
#include <sys/stat.h>

#include <cstring>

#include "ringway/app/worker.h"
#include "ringway/log/access_log.h"
#include "ringway/log/error_log.h"

namespace ringway::app {

namespace {

// A reader that stalls must not make us grow without bound: past this, lines
// are dropped (and counted) until the writes catch up.
constexpr std::size_t access_log_buffer_bytes_max = 4 << 20;

}  // namespace

void Worker::open_access_log() {
  access_log_buffer_.reserve(std::size_t{64} * 1024);
  access_log_writing_.reserve(std::size_t{64} * 1024);
  struct stat status {};
  // Writes to a pipe are atomic only up to PIPE_BUF: keep each write under it,
  // on a line boundary, so lines from several workers never interleave.
  if (settings_.access_log_fd >= 0 && fstat(settings_.access_log_fd, &status) == 0 &&
      S_ISFIFO(status.st_mode)) {
    access_log_write_bytes_max_ = PIPE_BUF;
  }
}

void Worker::log_access(const Connection& connection, const PendingRequest& request, int status,
                        std::uint64_t body_bytes) {
  if (settings_.access_log_fd < 0) return;
  if (access_log_buffer_.size() > access_log_buffer_bytes_max) {
    ++access_log_dropped_lines_;
    return;
  }
  log::AccessEntry entry{connection.remote_ip,
                         request.method,
                         request.target,
                         request.version_minor,
                         request.host,
                         request.user_agent,
                         request.referer,
                         status,
                         body_bytes,
                         request.start_unix_ns,
                         now_unix_ns_ - request.start_unix_ns};
  if (settings_.config->access_log.format == config::AccessLogFormat::json) {
    log::append_json(entry, access_log_buffer_);
  } else {
    log::append_combined(entry, access_log_buffer_);
  }
}

void Worker::flush_access_log() {
  if (access_log_in_flight_ || access_log_buffer_.empty() || settings_.access_log_fd < 0) return;
  if (access_log_dropped_lines_ > 0) {
    log::write_line(log::Level::warning,
                    "access log: %llu lines dropped: the log is not keeping up",
                    static_cast<unsigned long long>(access_log_dropped_lines_));
    access_log_dropped_lines_ = 0;
  }
  access_log_writing_.swap(access_log_buffer_);
  access_log_buffer_.clear();
  access_log_written_bytes_ = 0;
  access_log_in_flight_ = true;
  write_next_log_chunk();
}

void Worker::write_next_log_chunk() {
  const std::string& text = access_log_writing_;
  std::size_t start = access_log_written_bytes_;
  std::size_t end = text.size();
  if (end - start > access_log_write_bytes_max_) {
    // The last whole line that fits; a single longer line goes alone.
    std::size_t limit = start + access_log_write_bytes_max_;
    std::size_t newline = text.rfind('\n', limit - 1);
    if (newline == std::string::npos || newline < start) newline = text.find('\n', limit);
    end = newline == std::string::npos ? text.size() : newline + 1;
  }
  ring_->prep_write({OperationKind::log_write, 0, 0}, settings_.access_log_fd, text.data() + start,
                    static_cast<std::uint32_t>(end - start), ~std::uint64_t{0});
}

void Worker::on_log_write(const io::Completion& completion) {
  if (completion.outcome() != io::Outcome::done || completion.value() == 0) {
    log::write_line(log::Level::error, "access log write: %s",
                    completion.result < 0 ? completion.error_text() : "nothing written");
    access_log_writing_.clear();
  } else {
    access_log_written_bytes_ += completion.value();
  }
  if (access_log_written_bytes_ < access_log_writing_.size()) {
    write_next_log_chunk();
    return;
  }
  access_log_writing_.clear();
  access_log_in_flight_ = false;
}

}  // namespace ringway::app
