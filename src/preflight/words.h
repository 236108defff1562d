#pragma once
// Small text helpers shared by the decisions.

#include <string_view>

namespace ringway::preflight {

// True when `word` is one of the blank-separated words of `words`.
inline bool has_word(std::string_view words, std::string_view word) {
  std::size_t position = 0;
  while ((position = words.find(word, position)) != words.npos) {
    std::size_t end = position + word.size();
    bool starts = position == 0 || words[position - 1] == ' ' || words[position - 1] == '\t';
    bool ends = end == words.size() || words[end] == ' ' || words[end] == '\t';
    if (starts && ends) return true;
    position = end;
  }
  return false;
}

}  // namespace ringway::preflight
