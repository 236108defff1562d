#include "ringway/control/directory_watch.h"

#include <dirent.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <string>

namespace ringway::control {

namespace {

constexpr unsigned change_mask = IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM |
                                 IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF;
constexpr unsigned creation_mask = IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF;

bool is_directory(const std::string& path) {
  struct stat status {};
  return stat(path.c_str(), &status) == 0 && S_ISDIR(status.st_mode);
}

std::string parent_of(const std::string& path) {
  std::size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Directories that symlinks in directory point into (certbot: ../../archive/<name>).
std::vector<std::string> symlink_target_directories(const std::string& directory) {
  std::vector<std::string> targets;
  DIR* listing = opendir(directory.c_str());
  if (listing == nullptr) return targets;
  while (dirent* entry = readdir(listing)) {
    if (entry->d_type != DT_LNK) continue;
    std::string link = directory + "/" + entry->d_name;
    char resolved[PATH_MAX];
    if (realpath(link.c_str(), resolved) == nullptr) continue;
    std::string target_directory = parent_of(resolved);
    if (target_directory != directory) targets.push_back(target_directory);
  }
  closedir(listing);
  return targets;
}

}  // namespace

DirectoryWatch::DirectoryWatch() : fd_(inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {}

DirectoryWatch::~DirectoryWatch() {
  if (fd_ >= 0) close(fd_);
}

void DirectoryWatch::add(const std::string& directory, unsigned mask) {
  int watch = inotify_add_watch(fd_, directory.c_str(), mask);
  if (watch >= 0) watches_.push_back(watch);
}

void DirectoryWatch::watch(const std::vector<std::string>& directories) {
  if (fd_ < 0) return;
  for (int watch : watches_) inotify_rm_watch(fd_, watch);
  watches_.clear();
  for (const std::string& directory : directories) {
    if (is_directory(directory)) {
      add(directory, change_mask);
      for (const std::string& target : symlink_target_directories(directory)) {
        add(target, change_mask);
      }
      continue;
    }
    // Not there yet (a first install before certbot ran): wait for it to appear.
    std::string ancestor = parent_of(directory);
    while (!is_directory(ancestor) && ancestor != "/") ancestor = parent_of(ancestor);
    add(ancestor, creation_mask);
  }
}

bool DirectoryWatch::drain() {
  alignas(inotify_event) char events[4096];
  bool any = false;
  while (fd_ >= 0) {
    ssize_t length = read(fd_, events, sizeof events);
    if (length <= 0) break;
    any = true;
  }
  return any;
}

}  // namespace ringway::control
