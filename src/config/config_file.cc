// Reading the config file from disk; parsing is parse_config's job.

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <system_error>

#include "ringway/config/config.h"

namespace ringway::config {
namespace {

class FileDescriptor {
 public:
  explicit FileDescriptor(int descriptor) : descriptor_(descriptor) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (descriptor_ >= 0) ::close(descriptor_);
  }
  int get() const { return descriptor_; }

 private:
  int descriptor_;
};

std::string describe_errno() {
  return std::generic_category().message(errno);
}

// The whole file, or nothing with `error` set to why it could not be read.
std::optional<std::string> read_whole_file(const std::string& path, std::string& error) {
  FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (file.get() < 0) {
    error = describe_errno();
    return std::nullopt;
  }
  std::string text;
  char buffer[16 * 1024];
  for (;;) {
    ssize_t count = ::read(file.get(), buffer, sizeof buffer);
    if (count == 0) return text;
    if (count > 0) {
      text.append(buffer, static_cast<std::size_t>(count));
    } else if (errno != EINTR) {
      // A directory opens fine and fails here with EISDIR.
      error = describe_errno();
      return std::nullopt;
    }
  }
}

}  // namespace

LoadResult load_config_file(const std::string& path) {
  std::string error;
  std::optional<std::string> text = read_whole_file(path, error);
  if (!text) {
    LoadResult result;
    result.config.source = path;
    result.errors.push_back(path + ": cannot read: " + error);
    return result;
  }
  return parse_config(*text, path);
}

}  // namespace ringway::config
