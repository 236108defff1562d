#pragma once
// Objects recycled through a free list: the steady state allocates nothing, and
// only the connections that need one (TLS, proxying) hold one at all.

#include <memory>
#include <vector>

namespace ringway::base {

template <typename Object>
class ObjectPool {
 public:
  ObjectPool() = default;
  ObjectPool(const ObjectPool&) = delete;
  ObjectPool& operator=(const ObjectPool&) = delete;

  // An object as a previous user left it (the caller resets what it needs), or a new one.
  Object* take() {
    if (free_.empty()) {
      owned_.push_back(std::make_unique<Object>());
      return owned_.back().get();
    }
    Object* object = free_.back();
    free_.pop_back();
    return object;
  }
  void give_back(Object* object) { free_.push_back(object); }

 private:
  std::vector<std::unique_ptr<Object>> owned_;
  std::vector<Object*> free_;
};

}  // namespace ringway::base
