// The access-log entry of a request the worker answered or relayed; the
// writer (log::AccessLogWriter) buffers it and writes through the ring.
#include "ringway/app/worker.h"

namespace ringway::app {

void Worker::log_access(const proxy::RelayStream& connection, const PendingRequest& request,
                        int status, std::uint64_t body_bytes) {
  if (!access_log_.enabled()) return;
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
  access_log_.append(entry);
}

}  // namespace ringway::app
