// Unit tests of the batched timer's state and of BatchedReservation, the one
// way to schedule into it (core/internal/batched_timer_state.h), on the
// manual clock. BatchedTimer's own behaviour is pinned by
// core/batched_timer_test.cc and testing/conformance/batched_timer_test.cc.
#include "core/internal/batched_timer_state.h"

#include <memory>
#include <new>
#include <set>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <vector>

#include "backends/manual/manual_loop.h"
#include "backends/testing/failing_loop.h"
#include "gtest/gtest.h"

namespace txaio::internal {
namespace {

using ::txaio::loop_checks::FailingLoop;

constexpr int64_t kBucketNs = 100'000'000;  // 100 ms

// A state of its own on `loop`, with buckets of 100 ms and chunks of 10.
struct Timer {
  explicit Timer(Loop& loop)
      : ref(new BatchedTimerState(loop, kBucketNs, 10)), state(*ref.get()) {}
  BatchedTimerRef ref;
  BatchedTimerState& state;
};

// Schedules `fn` after `delay` through a reservation, as call_later does.
template <typename F>
BatchedHandle Schedule(BatchedTimerState& state, absl::Duration delay, F&& fn) {
  BatchedReservation reservation(state, delay);
  return reservation.commit(std::forward<F>(fn));
}

// Not kept as bytes (it has a destructor): a Task.
struct Counted {
  std::shared_ptr<int> count;
  void operator()() const { ++*count; }
};

TEST(BatchedTimerStateTest, SmallTriviallyCopyableCallablesAreKeptAsBytes) {
  static_assert(kBatchedPlain<void (*)()>);
  int* p = nullptr;
  auto small = [p] { (void)p; };
  static_assert(kBatchedPlain<decltype(small)>);
  struct Big {
    char bytes[32];
    void operator()() const {}
  };
  static_assert(!kBatchedPlain<Big>);
  static_assert(!kBatchedPlain<Counted>);
  static_assert(!kBatchedPlain<Task>);
}

TEST(BatchedTimerStateTest, DeadlineIsNowPlusDelayInNanoseconds) {
  ManualLoop loop;
  Timer timer(loop);
  loop.advance(absl::Seconds(1));
  BatchedHandle h = Schedule(timer.state, absl::Milliseconds(250), [] {});
  EXPECT_EQ(h.deadline_ns, 1'250'000'000);
  // Rounded up to a whole nanosecond.
  BatchedHandle h2 = Schedule(timer.state, absl::Nanoseconds(0.25), [] {});
  EXPECT_EQ(h2.deadline_ns, 1'000'000'001);
  EXPECT_EQ(timer.state.pending(), 2u);
}

TEST(BatchedTimerStateTest, CommittedCallsRunInOrderAndCancelUnlinksOne) {
  ManualLoop loop;
  Timer timer(loop);
  std::vector<int> ran;
  BatchedHandle a = Schedule(timer.state, absl::Milliseconds(10),
                             [&ran] { ran.push_back(1); });
  BatchedHandle b = Schedule(timer.state, absl::Milliseconds(20),
                             [&ran] { ran.push_back(2); });
  BatchedHandle c = Schedule(timer.state, absl::Milliseconds(30),
                             [&ran] { ran.push_back(3); });
  EXPECT_EQ(timer.state.pending(), 3u);
  EXPECT_EQ(timer.state.loop_timers(), 1u);  // one bucket
  EXPECT_TRUE(timer.state.Cancel(b.slot, b.generation));
  EXPECT_FALSE(timer.state.Cancel(b.slot, b.generation));
  EXPECT_FALSE(timer.state.Active(b.slot, b.generation));
  EXPECT_TRUE(timer.state.Active(a.slot, a.generation));
  loop.advance(absl::Milliseconds(100));
  EXPECT_EQ(ran, (std::vector<int>{1, 3}));
  EXPECT_FALSE(timer.state.Active(a.slot, a.generation));
  EXPECT_FALSE(timer.state.Active(c.slot, c.generation));
  EXPECT_EQ(timer.state.pending(), 0u);
  EXPECT_EQ(timer.state.loop_timers(), 0u);
}

TEST(BatchedTimerStateTest, AReusedSlotHasANewGeneration) {
  ManualLoop loop;
  Timer timer(loop);
  BatchedHandle first = Schedule(timer.state, absl::Seconds(1), [] {});
  ASSERT_TRUE(timer.state.Cancel(first.slot, first.generation));
  BatchedHandle second = Schedule(timer.state, absl::Seconds(1), [] {});
  EXPECT_EQ(second.slot, first.slot);  // free slots: last in, first out
  EXPECT_NE(second.generation, first.generation);
  EXPECT_FALSE(timer.state.Cancel(first.slot, first.generation));
  EXPECT_TRUE(timer.state.Active(second.slot, second.generation));
}

// The slot the next reservation takes, observed by scheduling and
// cancelling a call there.
uint32_t NextSlot(BatchedTimerState& state) {
  BatchedHandle h = Schedule(state, absl::Seconds(1), [] {});
  EXPECT_TRUE(state.Cancel(h.slot, h.generation));
  return h.slot;
}

TEST(BatchedTimerStateTest, AReservationNeverCommittedGivesItsSlotBack) {
  ManualLoop loop;
  Timer timer(loop);
  const uint32_t slot = NextSlot(timer.state);
  { BatchedReservation reservation(timer.state, absl::Seconds(1)); }
  EXPECT_EQ(timer.state.pending(), 0u);
  EXPECT_EQ(timer.state.loop_timers(), 0u);
  EXPECT_EQ(NextSlot(timer.state), slot);
}

TEST(BatchedTimerStateTest, ABadDelayTakesNoSlot) {
  ManualLoop loop;
  Timer timer(loop);
  const uint32_t slot = NextSlot(timer.state);
  EXPECT_THROW(BatchedReservation(timer.state, absl::Seconds(-1)),
               std::invalid_argument);
  EXPECT_THROW(BatchedReservation(timer.state, absl::InfiniteDuration()),
               std::invalid_argument);
  EXPECT_EQ(NextSlot(timer.state), slot);
  EXPECT_EQ(timer.state.pending(), 0u);
}

TEST(BatchedTimerStateTest, ACallableThatFailsToConstructIsNotFiled) {
  ManualLoop loop;
  Timer timer(loop);
  const uint32_t slot = NextSlot(timer.state);
  struct ThrowsOnCopy {
    ThrowsOnCopy() = default;
    ThrowsOnCopy(const ThrowsOnCopy&) { throw std::runtime_error("copy"); }
    void operator()() const {}
  };
  const ThrowsOnCopy fn;
  {
    BatchedReservation reservation(timer.state, absl::Seconds(1));
    EXPECT_THROW(reservation.commit(fn), std::runtime_error);
  }
  EXPECT_EQ(timer.state.pending(), 0u);
  EXPECT_EQ(timer.state.loop_timers(), 0u);
  EXPECT_EQ(NextSlot(timer.state), slot);
}

TEST(BatchedTimerStateTest, AnEmptyTaskIsRejectedAndItsSlotGivenBack) {
  ManualLoop loop;
  Timer timer(loop);
  const uint32_t slot = NextSlot(timer.state);
  {
    BatchedReservation reservation(timer.state, absl::Seconds(1));
    EXPECT_THROW(reservation.commit(Task()), std::invalid_argument);
  }
  EXPECT_EQ(timer.state.pending(), 0u);
  EXPECT_EQ(timer.state.loop_timers(), 0u);
  EXPECT_EQ(NextSlot(timer.state), slot);
}

// The bucket's loop timer is started inside commit(), after the callable was
// constructed: when the loop refuses it, the reservation destroys the
// callable as what it is (a Task here, bytes next) and gives the slot back.
TEST(BatchedTimerStateTest, ALoopThatRefusesTheBucketsTimerLeavesNothing) {
  FailingLoop loop;
  Timer timer(loop);
  const uint32_t slot = NextSlot(timer.state);
  auto count = std::make_shared<int>(0);
  loop.fail = true;
  {
    BatchedReservation reservation(timer.state, absl::Seconds(1));
    EXPECT_THROW(reservation.commit(Counted{count}), std::bad_alloc);
  }
  EXPECT_EQ(count.use_count(), 1) << "the Task was not destroyed";
  {
    BatchedReservation reservation(timer.state, absl::Seconds(1));
    EXPECT_THROW(reservation.commit([] {}), std::bad_alloc);
  }
  EXPECT_EQ(timer.state.pending(), 0u);
  EXPECT_EQ(timer.state.loop_timers(), 0u);
  loop.fail = false;
  EXPECT_EQ(NextSlot(timer.state), slot);
  BatchedHandle h = Schedule(timer.state, absl::Seconds(1), Counted{count});
  EXPECT_EQ(timer.state.loop_timers(), 1u);
  loop.inner.advance(absl::Seconds(2));
  EXPECT_EQ(*count, 1);
  EXPECT_FALSE(timer.state.Active(h.slot, h.generation));
}

TEST(BatchedTimerStateTest, AtClampsNegativeDeadlinesAndRejectsFarOnes) {
  ManualLoop loop;
  Timer timer(loop);
  loop.advance(absl::Seconds(5));
  {
    BatchedReservation reservation =
        BatchedReservation::At(timer.state, absl::Seconds(-3));
    EXPECT_EQ(reservation.commit([] {}).deadline_ns, 0);
  }
  {
    BatchedReservation reservation =
        BatchedReservation::At(timer.state, absl::Seconds(7));
    EXPECT_EQ(reservation.commit([] {}).deadline_ns, 7'000'000'000);
  }
  const uint32_t slot = NextSlot(timer.state);
  EXPECT_THROW(BatchedReservation::At(timer.state,
                                      absl::Nanoseconds(kMaxBatchedDeadlineNs) +
                                          absl::Nanoseconds(1)),
               std::invalid_argument);
  EXPECT_EQ(NextSlot(timer.state), slot);
  EXPECT_EQ(timer.state.pending(), 2u);
}

TEST(BatchedTimerStateTest, TheSlabGrowsByBlocksWhoseSlotsNeverMove) {
  ManualLoop loop;
  Timer timer(loop);
  constexpr int kCalls = 10'000;  // more than two blocks of 4096
  std::set<uint32_t> slots;
  int ran = 0;
  for (int i = 0; i < kCalls; ++i) {
    slots.insert(
        Schedule(timer.state, absl::Milliseconds(1), [&ran] { ++ran; }).slot);
  }
  EXPECT_EQ(slots.size(), static_cast<size_t>(kCalls));
  EXPECT_EQ(timer.state.pending(), static_cast<size_t>(kCalls));
  loop.advance(absl::Seconds(1));
  EXPECT_EQ(ran, kCalls);
  EXPECT_EQ(timer.state.pending(), 0u);
}

TEST(BatchedTimerStateTest, FiledTasksAreDestroyedWithTheState) {
  auto count = std::make_shared<int>(0);
  {
    ManualLoop loop;
    Timer timer(loop);
    Schedule(timer.state, absl::Seconds(1), Counted{count});
    EXPECT_EQ(count.use_count(), 2);
  }
  EXPECT_EQ(count.use_count(), 1);
  EXPECT_EQ(*count, 0);
}

}  // namespace
}  // namespace txaio::internal
