#pragma once
// Serving a challenge token's file: where its path and bytes go in the
// connection's output chunk, how it is opened, and what each outcome of the
// open and the read answers. The worker runs the operations through its ring.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ringway/http/pending_request.h"
#include "ringway/io/completion.h"

struct open_how;

namespace ringway::acme {

// A challenge in progress on a stream: kept in the stream's exchange state.
struct ChallengeFile {
  http::PendingRequest request;  // what the response needs once the file is read
  int fd = -1;                   // the open file, while it is read
};

inline constexpr std::size_t challenge_file_bytes_max = 4096;
// Room for the relative path: the prefix, a token of token_bytes_max, the NUL.
inline constexpr std::size_t challenge_path_bytes_max = 320;
// An output chunk must hold the path and the file behind the response head.
inline constexpr std::size_t challenge_area_bytes =
    challenge_path_bytes_max + challenge_file_bytes_max + 1;

// The file's bytes are read into the tail of the output chunk (one byte more
// than allowed, to tell a file that is too large); the response is written at
// its front, so no other buffer is needed.
char* challenge_file_area(char* chunk, std::size_t chunk_bytes);
// Writes "<.well-known/acme-challenge/><token>" with a NUL, relative to the
// webroot, just before the file area, and returns it.
const char* write_challenge_path(char* chunk, std::size_t chunk_bytes, std::string_view token);
// RESOLVE_BENEATH (5.6): even a symlink cannot lead outside the webroot.
// O_NONBLOCK: a FIFO planted in the webroot must not hold a kernel worker forever.
const open_how& challenge_open_how();

enum class FileVerdict : std::uint8_t {
  serve,      // 200 with the bytes read
  ask_peer,   // not here: the peer host may have it (else 404)
  not_found,  // 404, logged: the file could not be opened or read
  too_large,  // 500, logged: not a token file as ACME writes them
};
FileVerdict verdict_for_open(io::Outcome outcome);
FileVerdict verdict_for_read(io::Outcome outcome, std::uint32_t bytes_read);
int verdict_status(FileVerdict verdict);  // ask_peer: 404, for when there is no peer

}  // namespace ringway::acme
