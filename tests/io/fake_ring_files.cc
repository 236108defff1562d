// The fake ring's files: challenge files opened beneath the webroot, read and
// closed, and access-log writes kept in memory.
#include <fcntl.h>
#include <linux/openat2.h>

#include <cerrno>
#include <cstring>

#include "fake_ring.h"

namespace ringway::fake {

int FakeRing::add_webroot() {
  return new_descriptor({FdKind::webroot, 0, {}});
}

int FakeRing::add_access_log() {
  return new_descriptor({FdKind::access_log, 0, {}});
}

void FakeRing::add_file(std::string path, std::string content) {
  files_[std::move(path)] = std::move(content);
}

void FakeRing::prep_open_beneath(io::Operation operation, int directory_fd, const char* path,
                                 const open_how* how) {
  if ((how->resolve & RESOLVE_BENEATH) == 0)
    fail("a challenge file opened without RESOLVE_BENEATH");
  submissions_.push_back([this, operation, directory_fd, path] {
    Pending pending;
    pending.operation = operation;
    pending.kind = Kind::open;
    pending.fd = directory_fd;
    pending.data = path;
    submit(pending, [this](std::uint64_t serial) { run_open(serial); });
  });
}

// The path is read when the open runs, so it must stay valid until then.
void FakeRing::run_open(std::uint64_t serial) {
  const Pending& pending = pending_.at(serial);
  Descriptor* directory = descriptor(pending.fd);
  if (directory == nullptr || directory->kind != FdKind::webroot) {
    fail("openat2 relative to descriptor " + std::to_string(pending.fd) + ", not the webroot");
    finish(serial, -EBADF, 0);
    return;
  }
  auto file = files_.find(pending.data);
  if (file == files_.end()) {
    finish(serial, -ENOENT, 0);
    return;
  }
  finish(serial, new_descriptor({FdKind::file, 0, file->second}), 0);
}

void FakeRing::prep_read(io::Operation operation, int fd, char* data, std::uint32_t bytes,
                         std::uint64_t offset) {
  submissions_.push_back([this, operation, fd, data, bytes, offset] {
    Pending pending;
    pending.operation = operation;
    pending.kind = Kind::read;
    pending.fd = fd;
    pending.area = data;
    pending.bytes = bytes;
    pending.offset = offset;
    submit(pending, [this](std::uint64_t serial) { run_read(serial); });
  });
}

void FakeRing::run_read(std::uint64_t serial) {
  const Pending& pending = pending_.at(serial);
  Descriptor* file = descriptor(pending.fd);
  if (file == nullptr || file->kind != FdKind::file) {
    fail("read of descriptor " + std::to_string(pending.fd) + ", which is no open file");
    finish(serial, -EBADF, 0);
    return;
  }
  std::size_t start = std::min<std::size_t>(pending.offset, file->content.size());
  std::size_t bytes = std::min<std::size_t>(pending.bytes, file->content.size() - start);
  std::memcpy(pending.area, file->content.data() + start, bytes);
  finish(serial, static_cast<int>(bytes), 0);
}

void FakeRing::prep_write(io::Operation operation, int fd, const char* data, std::uint32_t bytes,
                          std::uint64_t offset) {
  submissions_.push_back([this, operation, fd, data, bytes, offset] {
    Pending pending;
    pending.operation = operation;
    pending.kind = Kind::write;
    pending.fd = fd;
    pending.data = data;
    pending.bytes = bytes;
    pending.offset = offset;
    submit(pending, [this](std::uint64_t serial) { run_write(serial); });
  });
}

void FakeRing::run_write(std::uint64_t serial) {
  const Pending& pending = pending_.at(serial);
  Descriptor* log = descriptor(pending.fd);
  if (log == nullptr || log->kind != FdKind::access_log) {
    fail("write to descriptor " + std::to_string(pending.fd) + ", which is not the access log");
    finish(serial, -EBADF, 0);
    return;
  }
  if (pending.offset != ~std::uint64_t{0}) fail("an access-log write at an offset");
  std::uint32_t bytes = pending.bytes;
  if (bytes > 1 && chance(faults_.short_send)) {
    bytes = static_cast<std::uint32_t>(uniform(1, bytes - 1));
  }
  access_log_.append(pending.data, bytes);
  finish(serial, static_cast<int>(bytes), 0);
}

}  // namespace ringway::fake
