#pragma once

// Idle HTTP clients (or objects that own one) kept for reuse from any thread, so that calls reuse
// kept-alive connections instead of opening one each. A client serves one thread at a time: a
// Lease holds it and hands it back when it ends.

#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace paypipe::infra::http_client {

template <typename T>
class Pool {
 public:
  // `make` builds a new client when none is idle.
  explicit Pool(std::function<std::unique_ptr<T>()> make) : make_(std::move(make)) {}

  class Lease {
   public:
    Lease(Pool& pool, std::unique_ptr<T> item) : pool_(&pool), item_(std::move(item)) {}
    ~Lease() {
      if (item_) pool_->Return(std::move(item_));
    }
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    T& operator*() const { return *item_; }
    T* operator->() const { return item_.get(); }

   private:
    Pool* pool_;
    std::unique_ptr<T> item_;
  };

  [[nodiscard]] Lease Acquire() {
    {
      const std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        std::unique_ptr<T> item = std::move(idle_.back());
        idle_.pop_back();
        return Lease(*this, std::move(item));
      }
    }
    return Lease(*this, make_());
  }

 private:
  void Return(std::unique_ptr<T> item) {
    const std::lock_guard lock(mutex_);
    idle_.push_back(std::move(item));
  }

  const std::function<std::unique_ptr<T>()> make_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<T>> idle_;
};

}  // namespace paypipe::infra::http_client
