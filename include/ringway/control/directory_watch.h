#pragma once
// Watches directories with inotify. A directory that does not exist yet is
// watched through its nearest existing ancestor, so its creation is seen too;
// symlinks inside a watched directory (certbot's live/ -> archive/) get their
// targets' directories watched as well.

#include <string>
#include <utility>
#include <vector>

namespace ringway::control {

class DirectoryWatch {
 public:
  DirectoryWatch();
  DirectoryWatch(const DirectoryWatch&) = delete;
  DirectoryWatch& operator=(const DirectoryWatch&) = delete;
  ~DirectoryWatch();

  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }

  // Replaces what is watched. Call again after a change, since symlink targets
  // and existing ancestors move.
  void watch(const std::vector<std::string>& directories);

  // Reads every pending event without blocking; true when there was any.
  bool drain();

 private:
  void add(const std::string& directory, unsigned mask);

  int fd_ = -1;
  std::vector<int> watches_;
  std::vector<std::pair<std::string, unsigned>> watched_;  // path and mask, as last set up
};

}  // namespace ringway::control
