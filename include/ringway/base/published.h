#pragma once
// An immutable snapshot the control thread replaces and workers read. Workers
// keep their own copy and look at a version number once per loop turn, so the
// hot path touches no shared refcount and takes no lock; the lock is taken only
// when a new snapshot was published.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

namespace ringway::base {

template <typename Snapshot>
class Published {
 public:
  void publish(std::shared_ptr<const Snapshot> snapshot) {
    std::lock_guard<std::mutex> lock(mutex_);
    current_ = std::move(snapshot);
    version_.fetch_add(1, std::memory_order_release);
  }

  // A worker's view: refresh() is cheap when nothing changed.
  class Reader {
   public:
    Reader() = default;  // reads nothing: get() stays empty
    explicit Reader(const Published& source) : source_(&source) { refresh(); }
    // Picks up a newer snapshot if there is one; true when it changed.
    bool refresh() {
      if (source_ == nullptr) return false;
      std::uint64_t version = source_->version_.load(std::memory_order_acquire);
      if (version == version_) return false;
      std::lock_guard<std::mutex> lock(source_->mutex_);
      current_ = source_->current_;
      version_ = source_->version_.load(std::memory_order_relaxed);
      return true;
    }
    const std::shared_ptr<const Snapshot>& get() const { return current_; }

   private:
    const Published* source_ = nullptr;
    std::uint64_t version_ = ~std::uint64_t{0};
    std::shared_ptr<const Snapshot> current_;
  };

 private:
  mutable std::mutex mutex_;
  std::atomic<std::uint64_t> version_{0};
  std::shared_ptr<const Snapshot> current_;
};

}  // namespace ringway::base
