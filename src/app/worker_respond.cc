// The one way the worker answers a request itself (a redirect, a status page, a
// challenge file, a proxy error): write it (http::write_local_response), queue
// it, log it, and say whether the connection closes after it.
#include "ringway/app/worker.h"
#include "ringway/http/response_writer.h"

namespace ringway::app {

bool Worker::respond(Connection& connection, const PendingRequest& request,
                     const LocalResponse& response, WhenFull when_full) {
  http::OutputArea out = transport_.output_area(connection);
  http::ResponseOptions options;
  options.date = {date_, sizeof date_};
  options.head_only = request.head_only;
  if (!http::write_local_response(out, options, response)) {
    // Earlier responses fill the output: answer again once they are out, or give up.
    if (when_full == WhenFull::wait && connection.output_bytes > 0) {
      connection.pause();
    } else {
      connection.resume();
      transport_.close(connection);
    }
    return false;
  }
  connection.output_bytes = static_cast<std::uint32_t>(out.size);
  if (connection.sending)
    transport_.expect_send_completion(connection);  // this response waits for it
  log_access(connection, request, http::local_response_status(response),
             http::local_response_body_bytes(response, request.head_only));
  if (!response.keep_alive) connection.finish_after_send();
  return true;
}

void Worker::answer_status(proxy::RelayStream& client, const PendingRequest& request, int status) {
  LocalResponse response;
  response.status = status;
  response.keep_alive = false;
  respond(static_cast<Connection&>(client), request, response, WhenFull::close);
}

}  // namespace ringway::app
