#include "ringway/io/completion.h"

#include <cerrno>
#include <cstring>

namespace ringway::io {

Outcome classify(int result, bool receive_zero_is_end) {
  if (result > 0) return Outcome::done;
  if (result == 0) return receive_zero_is_end ? Outcome::end_of_stream : Outcome::done;
  switch (-result) {
    case ECANCELED:
      return Outcome::canceled;
    case ENOBUFS:
      return Outcome::no_buffers;
    case ECONNABORTED:
      return Outcome::aborted;
    case ECONNRESET:
    case EPIPE:
      return Outcome::reset;
    case ECONNREFUSED:
      return Outcome::refused;
    case ENETUNREACH:
    case EHOSTUNREACH:
    case EADDRNOTAVAIL:
      return Outcome::unreachable;
    case ETIMEDOUT:
      return Outcome::timed_out;
    case ENOENT:
      return Outcome::not_found;
    case EMFILE:
    case ENFILE:
      return Outcome::out_of_files;
    default:
      return Outcome::failed;
  }
}

Outcome Completion::outcome() const {
  return classify(result, operation.kind == OperationKind::receive);
}

const char* Completion::error_text() const {
  return result < 0 ? std::strerror(-result) : "no error";
}

}  // namespace ringway::io
