#include "ringway/acme/challenge_file.h"

#include <fcntl.h>
#include <linux/openat2.h>

#include <cstring>

#include "ringway/acme/challenge.h"

namespace ringway::acme {

namespace {

const open_how open_beneath = {O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0, RESOLVE_BENEATH};

}  // namespace

char* challenge_file_area(char* chunk, std::size_t chunk_bytes) {
  return chunk + chunk_bytes - challenge_file_bytes_max - 1;
}

const char* write_challenge_path(char* chunk, std::size_t chunk_bytes, std::string_view token) {
  char* path = challenge_file_area(chunk, chunk_bytes) - challenge_path_bytes_max;
  std::string_view directory = challenge_prefix.substr(1);  // relative to the webroot
  std::memcpy(path, directory.data(), directory.size());
  std::memcpy(path + directory.size(), token.data(), token.size());
  path[directory.size() + token.size()] = '\0';
  return path;
}

const open_how& challenge_open_how() {
  return open_beneath;
}

FileVerdict verdict_for_open(io::Outcome outcome) {
  if (outcome == io::Outcome::done) return FileVerdict::serve;
  return outcome == io::Outcome::not_found ? FileVerdict::ask_peer : FileVerdict::not_found;
}

FileVerdict verdict_for_read(io::Outcome outcome, std::uint32_t bytes_read) {
  if (outcome != io::Outcome::done) return FileVerdict::not_found;
  return bytes_read > challenge_file_bytes_max ? FileVerdict::too_large : FileVerdict::serve;
}

int verdict_status(FileVerdict verdict) {
  switch (verdict) {
    case FileVerdict::serve:
      return 200;
    case FileVerdict::too_large:
      return 500;
    default:
      return 404;
  }
}

}  // namespace ringway::acme
