// Internal: a thread-local recycling allocator for the core's small,
// short-lived objects (future states), in the spirit of Asio's recycling
// handler allocator. glibc's per-thread cache holds only 7 blocks per size, so
// a server with thousands of futures in flight would otherwise take malloc's
// slow path for every one of them.
#ifndef TXAIO_CORE_INTERNAL_RECYCLING_ALLOCATOR_H_
#define TXAIO_CORE_INTERNAL_RECYCLING_ALLOCATOR_H_

#include <cstddef>
#include <new>
#include <vector>

namespace txaio::internal {

// Blocks of one size, kept by the thread that frees them.
//
// A block may be given back after the thread's cache was destroyed (a future
// released by a static object's destructor or an atexit handler, which run
// after the main thread's thread_local destructors, or by another
// thread_local's destructor): the cache's state is then a trivially
// destructible thread_local that outlives it, and such blocks go straight to
// operator delete.
template <size_t kSize, size_t kAlign>
class BlockCache {
 public:
  static void* take() {
    Blocks* cache = blocks();
    if (cache == nullptr || cache->free.empty()) {
      return ::operator new(kSize, std::align_val_t(kAlign));
    }
    void* block = cache->free.back();
    cache->free.pop_back();
    return block;
  }

  static void give(void* block) {
    Blocks* cache = blocks();
    if (cache != nullptr && cache->free.size() < kMaxCached) {
      cache->free.push_back(block);
    } else {
      ::operator delete(block, std::align_val_t(kAlign));
    }
  }

 private:
  static constexpr size_t kMaxCached = 4096;
  enum State : unsigned char { kUnused, kLive, kDestroyed };
  struct Blocks {
    std::vector<void*> free;
    Blocks() { state = kLive; }
    ~Blocks() {
      state = kDestroyed;
      for (void* block : free)
        ::operator delete(block, std::align_val_t(kAlign));
      free.clear();
    }
  };
  // Trivially destructible, so readable until the thread is gone.
  static inline thread_local State state = kUnused;
  // The thread's cache, or null once it has been destroyed.
  static Blocks* blocks() {
    if (state == kDestroyed) [[unlikely]]
      return nullptr;
    thread_local Blocks cache;
    return &cache;
  }
};

template <typename T>
class RecyclingAllocator {
 public:
  using value_type = T;
  RecyclingAllocator() = default;
  template <typename U>
  RecyclingAllocator(const RecyclingAllocator<U>&) {}

  T* allocate(size_t n) {
    if (n != 1) {
      return static_cast<T*>(
          ::operator new(n * sizeof(T), std::align_val_t(alignof(T))));
    }
    return static_cast<T*>(BlockCache<sizeof(T), alignof(T)>::take());
  }
  void deallocate(T* p, size_t n) {
    if (n != 1) {
      ::operator delete(p, std::align_val_t(alignof(T)));
      return;
    }
    BlockCache<sizeof(T), alignof(T)>::give(p);
  }

  template <typename U>
  bool operator==(const RecyclingAllocator<U>&) const {
    return true;
  }
};

}  // namespace txaio::internal

#endif  // TXAIO_CORE_INTERNAL_RECYCLING_ALLOCATOR_H_
