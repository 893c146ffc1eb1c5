// Unit tests of the timer heap behind every LoopBase backend.
#include "core/internal/timer_queue.h"

#include <memory>
#include <vector>

#include "gtest/gtest.h"

namespace txaio::internal {
namespace {

absl::Duration Ms(int64_t n) { return absl::Milliseconds(n); }
int64_t MsNs(int64_t n) { return n * 1'000'000; }

// Pushes a timer that appends `id` to `log` when run.
std::shared_ptr<TimerEntry> PushLogging(TimerQueue& queue, absl::Duration at,
                                        int id, std::vector<int>& log) {
  return queue.push(absl::ToInt64Nanoseconds(at),
                    [&log, id] { log.push_back(id); });
}

// Pops and runs everything due at `now`, in the order popped.
void RunDue(TimerQueue& queue, absl::Duration now) {
  std::vector<std::shared_ptr<TimerEntry>> due;
  queue.pop_due(absl::ToInt64Nanoseconds(now), due);
  for (auto& entry : due) entry->run();
}

TEST(TimerQueueTest, PopsInDeadlineOrder) {
  TimerQueue queue;
  std::vector<int> log;
  const int deadlines[] = {50, 10, 40, 20, 30, 5, 45};
  for (int d : deadlines) PushLogging(queue, Ms(d), d, log);
  EXPECT_EQ(queue.size(), 7u);
  EXPECT_EQ(queue.next_deadline(), Ms(5));
  RunDue(queue, Ms(100));
  EXPECT_EQ(log, (std::vector<int>{5, 10, 20, 30, 40, 45, 50}));
  EXPECT_EQ(queue.size(), 0u);
  EXPECT_EQ(queue.next_deadline(), std::nullopt);
}

TEST(TimerQueueTest, EqualDeadlinesPopInInsertionOrder) {
  TimerQueue queue;
  std::vector<int> log;
  for (int i = 0; i < 100; ++i) PushLogging(queue, Ms(7), i, log);
  RunDue(queue, Ms(7));
  ASSERT_EQ(log.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(log[i], i);
}

TEST(TimerQueueTest, PopDueTakesOnlyWhatIsDue) {
  TimerQueue queue;
  std::vector<int> log;
  PushLogging(queue, Ms(10), 1, log);
  PushLogging(queue, Ms(20), 2, log);
  PushLogging(queue, Ms(30), 3, log);
  RunDue(queue, Ms(9));
  EXPECT_TRUE(log.empty());
  RunDue(queue, Ms(20));  // a deadline equal to now is due
  EXPECT_EQ(log, (std::vector<int>{1, 2}));
  EXPECT_EQ(queue.size(), 1u);
  EXPECT_EQ(queue.next_deadline(), Ms(30));
}

TEST(TimerQueueTest, CancelRemovesAtOnce) {
  TimerQueue queue;
  std::vector<int> log;
  auto first = PushLogging(queue, Ms(1), 1, log);
  auto second = PushLogging(queue, Ms(2), 2, log);
  PushLogging(queue, Ms(3), 3, log);
  EXPECT_TRUE(first->cancel());
  EXPECT_FALSE(first->active());
  EXPECT_EQ(queue.size(), 2u);
  EXPECT_FALSE(first->cancel()) << "a second cancel must not count twice";
  EXPECT_EQ(queue.size(), 2u);
  // The cancelled top is skipped.
  EXPECT_EQ(queue.next_deadline(), Ms(2));
  EXPECT_TRUE(second->cancel());
  EXPECT_EQ(queue.size(), 1u);
  RunDue(queue, Ms(10));
  EXPECT_EQ(log, (std::vector<int>{3}));
  EXPECT_EQ(queue.size(), 0u);
}

TEST(TimerQueueTest, ManyCancelsKeepSizeAndOrder) {
  TimerQueue queue;
  std::vector<int> log;
  std::vector<std::shared_ptr<TimerEntry>> entries;
  constexpr int kCount = 1000;
  for (int i = 0; i < kCount; ++i) {
    // Deadlines out of insertion order, so the rebuilt heap must re-sort.
    entries.push_back(PushLogging(queue, Ms((i * 7919) % kCount), i, log));
  }
  // Cancel all but every tenth, from all over the heap, interleaved with
  // size() checks so every removal is counted right.
  size_t live = kCount;
  for (int i = 0; i < kCount; ++i) {
    if (i % 10 == 0) continue;
    ASSERT_TRUE(entries[i]->cancel());
    --live;
    ASSERT_EQ(queue.size(), live) << "after cancelling " << i;
  }
  EXPECT_EQ(queue.size(), 100u);
  // Cancelled entries stay cancelled and cancelling them again is a no-op
  // that does not disturb the count.
  EXPECT_FALSE(entries[1]->cancel());
  EXPECT_EQ(queue.size(), 100u);
  RunDue(queue, Ms(kCount));
  ASSERT_EQ(log.size(), 100u);
  for (size_t i = 1; i < log.size(); ++i) {
    EXPECT_LT((log[i - 1] * 7919) % kCount, (log[i] * 7919) % kCount);
  }
  for (int id : log) EXPECT_EQ(id % 10, 0);
}

TEST(TimerQueueTest, CancelAfterManyCancelsStillCounts) {
  TimerQueue queue;
  std::vector<int> log;
  std::vector<std::shared_ptr<TimerEntry>> entries;
  for (int i = 0; i < 300; ++i) {
    entries.push_back(PushLogging(queue, Ms(i), i, log));
  }
  for (int i = 0; i < 200; ++i) entries[i]->cancel();
  EXPECT_EQ(queue.size(), 100u);
  EXPECT_TRUE(entries[250]->cancel());
  EXPECT_EQ(queue.size(), 99u);
  EXPECT_EQ(queue.next_deadline(), Ms(200));
  RunDue(queue, Ms(1000));
  EXPECT_EQ(log.size(), 99u);
  EXPECT_EQ(queue.size(), 0u);
}

TEST(TimerQueueTest, EntryCancelledAfterBeingPoppedDoesNotRun) {
  TimerQueue queue;
  std::vector<int> log;
  auto a = PushLogging(queue, Ms(1), 1, log);
  auto b = PushLogging(queue, Ms(1), 2, log);
  std::vector<std::shared_ptr<TimerEntry>> due;
  queue.pop_due(MsNs(1), due);
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(queue.size(), 0u);
  EXPECT_TRUE(b->active()) << "popped but not yet run";
  EXPECT_TRUE(b->cancel());
  EXPECT_EQ(queue.size(), 0u) << "a popped entry is no longer counted";
  for (auto& entry : due) entry->run();
  EXPECT_EQ(log, (std::vector<int>{1}));
  EXPECT_FALSE(a->active());
  EXPECT_FALSE(a->cancel()) << "cancel after running is a no-op";
}

TEST(TimerQueueTest, RunAndCancelReleaseTheCapturedState) {
  TimerQueue queue;
  auto token = std::make_shared<int>(0);
  auto ran = queue.push(MsNs(1), [token] {});
  auto cancelled = queue.push(MsNs(1), [token] {});
  EXPECT_EQ(token.use_count(), 3);
  cancelled->cancel();
  EXPECT_EQ(token.use_count(), 2);
  RunDue(queue, Ms(1));
  EXPECT_EQ(token.use_count(), 1);
}

TEST(TimerQueueTest, DestroyingTheQueueDeactivatesHandles) {
  auto token = std::make_shared<int>(0);
  std::shared_ptr<TimerEntry> orphan;
  {
    TimerQueue queue;
    orphan = queue.push(MsNs(1), [token] {});
    EXPECT_TRUE(orphan->active());
  }
  EXPECT_FALSE(orphan->active());
  EXPECT_FALSE(orphan->cancel());
  EXPECT_EQ(token.use_count(), 1) << "the queue's death released the call";
}

}  // namespace
}  // namespace txaio::internal
