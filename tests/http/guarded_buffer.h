#pragma once
// A copy of test input whose last byte sits right before a PROT_NONE page, so a
// parser that reads even one byte past the end crashes instead of passing by luck.

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace ringway::test_support {

class GuardedBuffer {
 public:
  explicit GuardedBuffer(std::string_view input) {
    const auto page_bytes = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    const std::size_t data_pages = input.size() / page_bytes + 1;
    mapping_bytes_ = (data_pages + 1) * page_bytes;
    mapping_ =
        mmap(nullptr, mapping_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapping_ == MAP_FAILED) std::abort();
    char* guard_page = static_cast<char*>(mapping_) + data_pages * page_bytes;
    if (mprotect(guard_page, page_bytes, PROT_NONE) != 0) std::abort();
    char* data = guard_page - input.size();
    if (!input.empty()) std::memcpy(data, input.data(), input.size());
    view_ = std::string_view(data, input.size());
  }

  ~GuardedBuffer() { munmap(mapping_, mapping_bytes_); }

  GuardedBuffer(const GuardedBuffer&) = delete;
  GuardedBuffer& operator=(const GuardedBuffer&) = delete;

  // The copy; it ends exactly at the guard page.
  std::string_view view() const { return view_; }

 private:
  void* mapping_ = nullptr;
  std::size_t mapping_bytes_ = 0;
  std::string_view view_;
};

}  // namespace ringway::test_support
