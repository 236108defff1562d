#pragma once
// A small HTTP/1.1 message reader for the scripted peers, written apart from
// src/http/ so that the tests do not check the worker with its own parser.

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ringway::fake {

struct Message {
  std::string start_line;                                   // "HTTP/1.1 200 OK" or "GET / HTTP/1.1"
  std::vector<std::pair<std::string, std::string>> fields;  // names in lowercase
  std::string body;                                         // chunked coding removed
  bool chunked = false;

  // The first value of the field named name (lowercase), or empty.
  std::string field(std::string_view name) const;
  bool has_field(std::string_view name) const;
  int status() const;          // of a response: the code, or 0
  std::string method() const;  // of a request
  std::string target() const;  // of a request
  bool closes() const;         // Connection: close
};

enum class ReadStatus : std::uint8_t { partial, complete, invalid };

// Takes one message from the front of buffer, removing it when complete. A
// response with neither Content-Length nor chunked coding ends with the
// connection: complete only when at_end. no_body: the response to a HEAD.
// Partial at_end means the message was cut short.
ReadStatus read_message(std::string& buffer, bool response, bool no_body, bool at_end,
                        Message& message);

// Deterministic body bytes, all 256 values, differing by salt and by position.
std::string body_pattern(std::size_t bytes, std::uint64_t salt);

// Splits bytes into 1..pieces_max pieces at random points (random: inclusive bounds).
template <typename Random>
std::vector<std::string> split_randomly(std::string_view bytes, std::size_t pieces_max,
                                        Random&& uniform) {
  std::vector<std::string> pieces;
  std::size_t count = bytes.size() < 2 ? 1 : uniform(1, std::min(pieces_max, bytes.size()));
  std::vector<std::size_t> cuts;
  for (std::size_t index = 1; index < count; ++index) cuts.push_back(uniform(1, bytes.size() - 1));
  std::sort(cuts.begin(), cuts.end());
  std::size_t start = 0;
  for (std::size_t cut : cuts) {
    if (cut > start) pieces.emplace_back(bytes.substr(start, cut - start));
    start = std::max(start, cut);
  }
  pieces.emplace_back(bytes.substr(start));
  return pieces;
}

}  // namespace ringway::fake
