#pragma once
// A finished ring operation and the one place that turns its raw result
// (bytes, a descriptor, or a negative errno) into a typed outcome, so that no
// handler compares against -E* values of its own.

#include <cstdint>

#include "ringway/io/operation.h"

namespace ringway::io {

enum class Outcome : std::uint8_t {
  done,           // result >= 0: bytes moved, a descriptor, or success
  end_of_stream,  // a receive of 0 bytes: the peer closed its side
  canceled,       // we cancelled it (ECANCELED), or its multishot ended for us
  no_buffers,     // every provided receive buffer is taken (ENOBUFS): re-arm later
  aborted,        // the connection died before accept handed it over (ECONNABORTED)
  reset,          // ECONNRESET, EPIPE: the peer is gone
  refused,        // ECONNREFUSED: nothing listens there
  unreachable,    // ENETUNREACH, EHOSTUNREACH, EADDRNOTAVAIL
  timed_out,      // ETIMEDOUT
  not_found,      // ENOENT (a challenge file)
  out_of_files,   // EMFILE, ENFILE: accept again later
  failed,         // anything else: result() names it
};

struct Completion {
  Operation operation;
  int result = 0;           // as the kernel gave it
  bool more = false;        // a multishot operation stays armed
  bool has_buffer = false;  // the data is in provided buffer buffer_id
  std::uint16_t buffer_id = 0;

  Outcome outcome() const;
  // Bytes or descriptor; only meaningful when outcome() is done.
  std::uint32_t value() const { return static_cast<std::uint32_t>(result); }
  // strerror of a negative result, for people.
  const char* error_text() const;
};

// The classification, for results that do not come in a Completion. A zero
// result is end_of_stream only for receives: receive_zero_is_end says which.
Outcome classify(int result, bool receive_zero_is_end);

}  // namespace ringway::io
