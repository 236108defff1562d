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
  // What to watch now, each path once with the widest mask it needs.
  std::vector<std::pair<std::string, unsigned>> wanted;
  auto want = [&wanted](const std::string& path, unsigned mask) {
    for (auto& [existing, existing_mask] : wanted) {
      if (existing == path) {
        existing_mask |= mask;
        return;
      }
    }
    wanted.emplace_back(path, mask);
  };
  for (const std::string& directory : directories) {
    if (is_directory(directory)) {
      want(directory, change_mask);
      for (const std::string& target : symlink_target_directories(directory)) {
        want(target, change_mask);
      }
      continue;
    }
    // Not there yet (a first install before certbot ran): wait for it to appear.
    std::string ancestor = parent_of(directory);
    while (!is_directory(ancestor) && ancestor != "/") ancestor = parent_of(ancestor);
    want(ancestor, creation_mask);
  }
  // Unchanged: keep the watches, since removing one queues an event of its own.
  if (wanted == watched_) return;
  for (int watch : watches_) inotify_rm_watch(fd_, watch);
  watches_.clear();
  for (const auto& [path, mask] : wanted) add(path, mask);
  watched_ = std::move(wanted);
}

bool DirectoryWatch::drain() {
  alignas(inotify_event) char events[4096];
  bool any = false;
  while (fd_ >= 0) {
    ssize_t length = read(fd_, events, sizeof events);
    if (length <= 0) break;
    for (ssize_t offset = 0; offset < length;) {
      const auto* event = reinterpret_cast<const inotify_event*>(events + offset);
      // IN_IGNORED only says a watch went away (we removed it, or its directory did).
      if (!(event->mask & IN_IGNORED)) any = true;
      offset += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
    }
  }
  return any;
}

}  // namespace ringway::control
