// Unit tests of the per-thread recycling allocator behind future states
// (core/internal/recycling_allocator.h).
//
// The allocator takes its blocks from the aligned operator new and gives
// them back through the aligned operator delete; this test replaces those
// two (nothing else in the test calls them) to count what reaches them.
#include "core/internal/recycling_allocator.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <set>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace {

thread_local int aligned_news = 0;
thread_local int aligned_deletes = 0;

}  // namespace

void* operator new(std::size_t size, std::align_val_t align) {
  ++aligned_news;
  void* p = nullptr;
  const std::size_t alignment =
      std::max(static_cast<std::size_t>(align), sizeof(void*));
  if (posix_memalign(&p, alignment, size == 0 ? 1 : size) != 0) {
    throw std::bad_alloc();
  }
  return p;
}

void operator delete(void* p, std::align_val_t) noexcept {
  ++aligned_deletes;
  std::free(p);
}

void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  ++aligned_deletes;
  std::free(p);
}

namespace txaio::internal {
namespace {

// Each test uses its own block size, so that blocks cached by one test do
// not serve another (the caches are per size and per thread).
template <size_t kSize>
struct alignas(16) Object {
  unsigned char bytes[kSize];
};

TEST(RecyclingAllocatorTest, AGivenBlockIsTakenAgainWithoutOperatorNew) {
  using Cache = BlockCache<48, 16>;
  void* first = Cache::take();
  const int news = aligned_news;
  Cache::give(first);
  EXPECT_EQ(Cache::take(), first);
  EXPECT_EQ(aligned_news, news);
  Cache::give(first);
}

TEST(RecyclingAllocatorTest, BlocksAreTakenLastGivenFirst) {
  using Cache = BlockCache<80, 16>;
  void* a = Cache::take();
  void* b = Cache::take();
  EXPECT_NE(a, b);
  Cache::give(a);
  Cache::give(b);
  EXPECT_EQ(Cache::take(), b);
  EXPECT_EQ(Cache::take(), a);
  Cache::give(a);
  Cache::give(b);
}

TEST(RecyclingAllocatorTest, AnEmptyCacheTakesFromOperatorNew) {
  using Cache = BlockCache<112, 16>;
  const int news = aligned_news;
  void* a = Cache::take();
  void* b = Cache::take();
  EXPECT_EQ(aligned_news, news + 2);
  Cache::give(a);
  Cache::give(b);
}

TEST(RecyclingAllocatorTest, BlocksKeepTheirAlignment) {
  using Cache = BlockCache<128, 64>;
  std::vector<void*> blocks;
  for (int i = 0; i < 10; ++i) blocks.push_back(Cache::take());
  for (void* block : blocks) {
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(block) % 64, 0u);
  }
  for (void* block : blocks) Cache::give(block);
}

TEST(RecyclingAllocatorTest, TheCacheHoldsAtMost4096Blocks) {
  using Cache = BlockCache<144, 16>;
  std::vector<void*> blocks;
  for (int i = 0; i < 5000; ++i) blocks.push_back(Cache::take());
  const int deletes = aligned_deletes;
  for (void* block : blocks) Cache::give(block);
  EXPECT_EQ(aligned_deletes, deletes + (5000 - 4096));
  // The 4096 cached blocks are served before operator new is asked again.
  const int news = aligned_news;
  std::set<void*> again;
  for (int i = 0; i < 4096; ++i) again.insert(Cache::take());
  EXPECT_EQ(aligned_news, news);
  EXPECT_EQ(again.size(), 4096u);
  for (void* block : again) Cache::give(block);
}

TEST(RecyclingAllocatorTest, EachThreadKeepsTheBlocksItGives) {
  using Cache = BlockCache<176, 16>;
  void* mine = Cache::take();
  void* given_there = nullptr;
  void* taken_there = nullptr;
  std::thread([&] {
    // Another thread's cache is empty: it does not see this one's blocks.
    given_there = Cache::take();
    Cache::give(given_there);
    taken_there = Cache::take();
    // Leaves this block in that thread's cache, freed when it exits.
    Cache::give(taken_there);
  }).join();
  EXPECT_EQ(taken_there, given_there);
  Cache::give(mine);
  EXPECT_EQ(Cache::take(), mine);
  Cache::give(mine);
}

TEST(RecyclingAllocatorTest, AThreadsCachedBlocksAreFreedWhenItExits) {
  using Cache = BlockCache<208, 16>;
  int news = 0;
  int deletes = 0;
  std::thread([&] {
    // Constructed before the cache, so destroyed after it: reads the count
    // once the cache's destructor has run.
    struct Reader {
      int* deletes;
      ~Reader() { *deletes = aligned_deletes; }
    };
    thread_local Reader reader{&deletes};
    (void)reader;
    std::vector<void*> blocks;
    for (int i = 0; i < 3; ++i) blocks.push_back(Cache::take());
    for (void* block : blocks) Cache::give(block);
    news = aligned_news;
  }).join();
  EXPECT_EQ(news, 3);
  EXPECT_EQ(deletes, 3);
}

TEST(RecyclingAllocatorTest, BlocksGivenAfterTheCacheIsGoneGoToOperatorDelete) {
  using Cache = BlockCache<240, 16>;
  int deletes_before = -1;
  int deletes_after = -1;
  std::thread([&] {
    // Constructed before the cache, so destroyed after it: gives its block
    // back once the cache is gone, as a future released by a later
    // thread_local destructor would.
    struct LateGiver {
      void* block = nullptr;
      int* before;
      int* after;
      ~LateGiver() {
        *before = aligned_deletes;
        Cache::give(block);
        *after = aligned_deletes;
      }
    };
    thread_local LateGiver giver{nullptr, &deletes_before, &deletes_after};
    giver.block = Cache::take();  // constructs the cache
  }).join();
  EXPECT_EQ(deletes_after, deletes_before + 1);
}

TEST(RecyclingAllocatorTest, AllocatesSingleObjectsThroughTheCache) {
  using T = Object<272>;
  RecyclingAllocator<T> allocator;
  T* first = allocator.allocate(1);
  allocator.deallocate(first, 1);
  const int news = aligned_news;
  T* second = allocator.allocate(1);
  EXPECT_EQ(second, first);
  EXPECT_EQ(aligned_news, news);
  allocator.deallocate(second, 1);
}

TEST(RecyclingAllocatorTest, ArraysBypassTheCache) {
  using T = Object<304>;
  RecyclingAllocator<T> allocator;
  const int news = aligned_news;
  const int deletes = aligned_deletes;
  T* array = allocator.allocate(3);
  EXPECT_EQ(aligned_news, news + 1);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(array) % alignof(T), 0u);
  allocator.deallocate(array, 3);
  EXPECT_EQ(aligned_deletes, deletes + 1);
  // Not cached: a single object does not get the array's block.
  const int news_single = aligned_news;
  T* single = allocator.allocate(1);
  EXPECT_EQ(aligned_news, news_single + 1);
  allocator.deallocate(single, 1);
}

TEST(RecyclingAllocatorTest, WorksWithAllocateShared) {
  struct State {
    int value;
    explicit State(int v) : value(v) {}
  };
  RecyclingAllocator<State> allocator;
  const void* first_block = nullptr;
  {
    std::shared_ptr<State> a = std::allocate_shared<State>(allocator, 1);
    first_block = a.get();
    EXPECT_EQ(a->value, 1);
  }
  // The control block and the object are one block, taken again.
  const int news = aligned_news;
  std::shared_ptr<State> b = std::allocate_shared<State>(allocator, 2);
  EXPECT_EQ(b.get(), first_block);
  EXPECT_EQ(b->value, 2);
  EXPECT_EQ(aligned_news, news);
}

TEST(RecyclingAllocatorTest, AllInstancesCompareEqual) {
  RecyclingAllocator<Object<16>> a;
  RecyclingAllocator<Object<32>> b(a);
  EXPECT_TRUE(a == b);
  EXPECT_TRUE(RecyclingAllocator<Object<16>>(b) == a);
}

}  // namespace
}  // namespace txaio::internal
