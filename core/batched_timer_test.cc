// Unit tests of BatchedTimer on the manual clock, where exact times can be
// asserted. The behaviour shared by every backend is pinned by
// testing/conformance/batched_timer_test.cc.
#include "core/batched_timer.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <new>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backends/manual/manual_loop.h"
#include "backends/testing/failing_loop.h"
#include "gtest/gtest.h"

namespace txaio {
namespace {

using ::txaio::loop_checks::FailingLoop;

TEST(BatchedTimerTest, RejectsBadBucketsAndChunks) {
  ManualLoop loop;
  for (double seconds : {0.0, -1.0, std::nan(""),
                         std::numeric_limits<double>::infinity(), 1e-12}) {
    EXPECT_THROW(make_batched_timer(loop, seconds, 10), std::invalid_argument)
        << seconds;
  }
  EXPECT_THROW(make_batched_timer(loop, 1.0, 0), std::invalid_argument);
  EXPECT_THROW(make_batched_timer(loop, 1.0, -3), std::invalid_argument);
  EXPECT_THROW(BatchedTimer(loop, absl::ZeroDuration(), 1),
               std::invalid_argument);
  EXPECT_NO_THROW(make_batched_timer(loop, 1e-9, 1));
}

TEST(BatchedTimerTest, RejectsBadDelays) {
  ManualLoop loop;
  BatchedTimer timer = make_batched_timer(loop, 0.1, 10);
  EXPECT_THROW(timer.call_later(-0.5, [] {}), std::invalid_argument);
  EXPECT_THROW(timer.call_later(std::nan(""), [] {}), std::invalid_argument);
  EXPECT_THROW(timer.call_later(absl::InfiniteDuration(), [] {}),
               std::invalid_argument);
  EXPECT_THROW(timer.call_later(absl::Hours(1e9), [] {}),
               std::invalid_argument);
  EXPECT_EQ(timer.pending(), 0u);
  EXPECT_EQ(loop.pending_timers(), 0u);
}

// Every call runs no earlier than its deadline and no later than the first
// loop turn at or after deadline + one bucket, whatever the delays, chunk
// sizes and clock steps.
TEST(BatchedTimerTest, NeverEarlyAndLessThanOneBucketLate) {
  std::mt19937 random(42);
  for (double bucket_seconds : {0.001, 0.05, 0.1, 1.0, 2.5}) {
    for (int64_t chunk : {1, 7, 1000}) {
      ManualLoop loop;
      BatchedTimer timer = make_batched_timer(loop, bucket_seconds, chunk);
      absl::Duration bucket = absl::Seconds(bucket_seconds);
      std::uniform_real_distribution<double> delay_seconds(0,
                                                           5 * bucket_seconds);
      std::uniform_int_distribution<int> step_us(
          0, static_cast<int>(bucket_seconds * 3e5));
      std::vector<absl::Duration> deadlines;
      std::vector<absl::Duration> ran;
      // Clock values the loop ran at, ascending.
      std::vector<absl::Duration> turns;
      for (int round = 0; round < 40; ++round) {
        for (int i = 0; i < 25; ++i) {
          size_t id = deadlines.size();
          BatchedCall call =
              timer.call_later(delay_seconds(random),
                               [&loop, &ran, id] { ran[id] = loop.now(); });
          deadlines.push_back(call.when());
          ran.push_back(-absl::InfiniteDuration());
        }
        loop.advance(absl::Microseconds(step_us(random)));
        turns.push_back(loop.now());
      }
      for (int step = 0; step < 20; ++step) {
        loop.advance(bucket / 2);
        turns.push_back(loop.now());
      }
      for (size_t i = 0; i < deadlines.size(); ++i) {
        ASSERT_NE(ran[i], -absl::InfiniteDuration()) << i;
        EXPECT_GE(ran[i], deadlines[i]) << "bucket " << bucket_seconds;
        auto latest =
            std::lower_bound(turns.begin(), turns.end(), deadlines[i] + bucket);
        ASSERT_NE(latest, turns.end());
        EXPECT_LE(ran[i], *latest) << "bucket " << bucket_seconds << " chunk "
                                   << chunk << " deadline " << deadlines[i];
      }
      EXPECT_EQ(timer.pending(), 0u);
      EXPECT_EQ(timer.loop_timers(), 0u);
      EXPECT_EQ(loop.pending_timers(), 0u);
    }
  }
}

// Deadlines in one bucket share one loop timer; the bucket fires at its
// upper boundary.
TEST(BatchedTimerTest, OneLoopTimerPerBucketFiringAtItsBoundary) {
  ManualLoop loop;
  BatchedTimer timer = make_batched_timer(loop, 0.1, 100);
  std::vector<absl::Duration> ran;
  auto record = [&] { ran.push_back(loop.now()); };
  timer.call_later(0.01, record);
  timer.call_later(0.05, record);
  timer.call_later(0.1, record);  // exactly on the boundary: same bucket
  EXPECT_EQ(timer.loop_timers(), 1u);
  EXPECT_EQ(loop.pending_timers(), 1u);
  timer.call_later(0.15, record);
  EXPECT_EQ(timer.loop_timers(), 2u);
  loop.advance(absl::Milliseconds(99));
  EXPECT_TRUE(ran.empty());
  loop.advance(absl::Milliseconds(1));
  EXPECT_EQ(ran, std::vector<absl::Duration>(3, absl::Milliseconds(100)));
  loop.advance(absl::Milliseconds(100));
  ASSERT_EQ(ran.size(), 4u);
  EXPECT_EQ(ran[3], absl::Milliseconds(200));
}

// Ten calls in chunks of three: four chunks, 25 ms apart in a 100 ms bucket.
TEST(BatchedTimerTest, ChunksSpreadAcrossTheBucketInterval) {
  ManualLoop loop;
  loop.advance(absl::Milliseconds(100));
  BatchedTimer timer = make_batched_timer(loop, 0.1, 3);
  std::vector<absl::Duration> ran;
  for (int i = 0; i < 10; ++i) {
    timer.call_later(0.1, [&] { ran.push_back(loop.now()); });
  }
  loop.advance(absl::Milliseconds(100));
  EXPECT_EQ(ran.size(), 3u);
  for (int step = 0; step < 4; ++step) loop.advance(absl::Milliseconds(25));
  std::vector<absl::Duration> expected;
  for (int i = 0; i < 10; ++i) {
    expected.push_back(absl::Milliseconds(200 + 25 * (i / 3)));
  }
  EXPECT_EQ(ran, expected);
}

// Early deadlines in a late chunk pull that chunk forward: nothing runs
// more than one bucket late because of spreading.
TEST(BatchedTimerTest, SpreadingNeverPushesACallPastOneBucket) {
  ManualLoop loop;
  BatchedTimer timer = make_batched_timer(loop, 1.0, 1);
  std::vector<absl::Duration> ran(2);
  timer.call_later(1.0, [&] { ran[0] = loop.now(); });
  timer.call_later(0.001, [&] { ran[1] = loop.now(); });
  for (int ms = 0; ms < 3000; ++ms) loop.advance(absl::Milliseconds(1));
  EXPECT_EQ(ran[0], absl::Seconds(1));
  // Its spread slot would be 1.5 s; its deadline allows at most 1.001 s.
  EXPECT_EQ(ran[1], absl::Seconds(1) + absl::Milliseconds(1));
}

TEST(BatchedTimerTest, CancellingEveryCallReleasesTheLoopTimer) {
  ManualLoop loop;
  BatchedTimer timer = make_batched_timer(loop, 0.5, 10);
  BatchedCall a = timer.call_later(0.2, [] { FAIL(); });
  BatchedCall b = timer.call_later(0.3, [] { FAIL(); });
  EXPECT_EQ(loop.pending_timers(), 1u);
  EXPECT_TRUE(a.cancel());
  EXPECT_EQ(loop.pending_timers(), 1u);
  EXPECT_TRUE(b.cancel());
  EXPECT_EQ(loop.pending_timers(), 0u);
  EXPECT_EQ(timer.loop_timers(), 0u);
  loop.advance(absl::Seconds(1));
}

TEST(BatchedTimerTest, StaleHandleDoesNotTouchTheSlotsNextCall) {
  ManualLoop loop;
  BatchedTimer timer = make_batched_timer(loop, 0.1, 10);
  BatchedCall first = timer.call_later(0.1, [] {});
  ASSERT_TRUE(first.cancel());
  bool ran = false;
  BatchedCall second = timer.call_later(0.1, [&] { ran = true; });
  EXPECT_FALSE(first.active());
  EXPECT_FALSE(first.cancel());
  EXPECT_TRUE(second.active());
  loop.advance(absl::Seconds(1));
  EXPECT_TRUE(ran);
}

TEST(BatchedTimerTest, CancelReleasesWhatTheCallCaptured) {
  ManualLoop loop;
  BatchedTimer timer = make_batched_timer(loop, 0.1, 10);
  auto captured = std::make_shared<int>(7);
  BatchedCall call = timer.call_later(0.1, [captured] {});
  EXPECT_EQ(captured.use_count(), 2);
  call.cancel();
  EXPECT_EQ(captured.use_count(), 1);
}

// Runs `on_destroy` when destroyed (calls are constructed and destroyed in
// their slot, so this pins what may happen from inside that destruction).
struct OnDestroy {
  explicit OnDestroy(std::function<void()> f)
      : on_destroy(std::make_shared<std::function<void()>>(std::move(f))) {}
  ~OnDestroy() {
    if (on_destroy && on_destroy.use_count() == 1) (*on_destroy)();
  }
  OnDestroy(const OnDestroy&) = default;
  OnDestroy(OnDestroy&&) = default;
  void operator()() const {}
  std::shared_ptr<std::function<void()>> on_destroy;
};

TEST(BatchedTimerTest, CapturesDestroyedOnCancelMayScheduleAndCancel) {
  ManualLoop loop;
  BatchedTimer timer = make_batched_timer(loop, 0.1, 10);
  int ran = 0;
  BatchedCall other = timer.call_later(0.5, [&] { ran += 100; });
  std::vector<BatchedCall> scheduled;
  BatchedCall call = timer.call_later(
      0.1, OnDestroy([&] {
        EXPECT_TRUE(other.cancel());
        // Enough new calls to grow the slab while the slot is being destroyed.
        for (int i = 0; i < 5000; ++i) {
          scheduled.push_back(timer.call_later(0.2, [&] { ++ran; }));
        }
      }));
  EXPECT_TRUE(call.cancel());
  EXPECT_FALSE(call.active());
  EXPECT_EQ(timer.pending(), 5000u);
  for (const BatchedCall& c : scheduled) EXPECT_TRUE(c.active());
  loop.advance(absl::Seconds(1));
  EXPECT_EQ(ran, 5000);
  EXPECT_EQ(timer.pending(), 0u);
}

TEST(BatchedTimerTest, CancelMayDropTheLastReferenceToTheTimer) {
  ManualLoop loop;
  auto owner = std::make_shared<std::pair<BatchedTimer, BatchedCall>>(
      make_batched_timer(loop, 0.1, 10), BatchedCall());
  std::weak_ptr<std::pair<BatchedTimer, BatchedCall>> weak = owner;
  auto* raw = owner.get();
  // The call owns the timer and its own handle; cancelling it destroys
  // both (the emptied bucket's loop timer is given back first), so the
  // timer's last reference goes while cancel() runs.
  raw->second = raw->first.call_later(0.1, [owner = std::move(owner)] {});
  EXPECT_TRUE(raw->second.cancel());
  EXPECT_TRUE(weak.expired());
  loop.run_until_idle();
}

TEST(BatchedTimerTest, ACallableThatFailsToConstructLeavesNoCall) {
  ManualLoop loop;
  BatchedTimer timer = make_batched_timer(loop, 0.1, 10);
  struct ThrowsOnCopy {
    ThrowsOnCopy() = default;
    ThrowsOnCopy(const ThrowsOnCopy&) { throw std::runtime_error("copy"); }
    void operator()() const {}
  };
  const ThrowsOnCopy fn;
  EXPECT_THROW(timer.call_later(0.1, fn), std::runtime_error);
  EXPECT_EQ(timer.pending(), 0u);
  EXPECT_EQ(timer.loop_timers(), 0u);
  int ran = 0;
  BatchedCall call = timer.call_later(0.1, [&] { ++ran; });
  loop.advance(absl::Seconds(1));
  EXPECT_EQ(ran, 1);
}

TEST(BatchedTimerTest, ALoopTimerThatFailsLeavesNoCallAndNoBucket) {
  FailingLoop loop;
  BatchedTimer timer(loop, 0.1, 10);
  auto captured = std::make_shared<int>(7);
  int ran = 0;
  // Each call_later below reuses the slot the call before it was cancelled
  // from (free slots are reused last in, first out), and each needs a new
  // bucket (cancelling a bucket's last call gives the bucket back): the
  // failed call must be destroyed as what it is, not as what the slot held.
  EXPECT_TRUE(timer.call_later(0.1, [&ran] { ++ran; }).cancel());
  loop.fail = true;
  EXPECT_THROW(timer.call_later(0.1, [captured] {}), std::bad_alloc);
  EXPECT_EQ(captured.use_count(), 1);
  loop.fail = false;
  EXPECT_TRUE(timer.call_later(0.1, [captured] {}).cancel());
  loop.fail = true;
  EXPECT_THROW(timer.call_later(0.1, [&ran] { ++ran; }), std::bad_alloc);
  EXPECT_EQ(timer.pending(), 0u);
  EXPECT_EQ(timer.loop_timers(), 0u);
  // No bucket without a loop timer was left behind for this deadline.
  loop.fail = false;
  BatchedCall call = timer.call_later(0.1, [&ran] { ++ran; });
  EXPECT_EQ(timer.loop_timers(), 1u);
  loop.inner.advance(absl::Seconds(1));
  EXPECT_EQ(ran, 1);
  EXPECT_FALSE(call.active());
}

// schedule_at files calls by absolute deadline: a passed bucket runs at
// once and takes later calls for it until it fires; a future one fires at
// its boundary.
TEST(BatchedTimerTest, ScheduleAtFilesByAbsoluteDeadline) {
  ManualLoop loop;
  loop.advance(absl::Milliseconds(250));
  BatchedTimer timer = make_batched_timer(loop, 0.1, 100);
  std::vector<std::pair<int, absl::Duration>> ran;
  auto record = [&](int id) {
    return [&ran, &loop, id] { ran.emplace_back(id, loop.now()); };
  };
  timer.schedule_at(absl::Milliseconds(100), record(1));  // passed
  timer.schedule_at(absl::Milliseconds(50), record(2));   // same bucket
  timer.schedule_at(-absl::Seconds(1), record(3));        // counts as 0
  timer.schedule_at(absl::Milliseconds(300), record(4));
  EXPECT_EQ(timer.loop_timers(), 3u);
  EXPECT_THROW(timer.schedule_at(absl::Hours(1e9), record(5)),
               std::invalid_argument);
  EXPECT_THROW(timer.schedule_at(absl::Seconds(1), Task()),
               std::invalid_argument);
  loop.run_until_idle();
  std::vector<std::pair<int, absl::Duration>> expected = {
      {1, absl::Milliseconds(250)},
      {2, absl::Milliseconds(250)},
      {3, absl::Milliseconds(250)}};
  EXPECT_EQ(ran, expected);
  loop.advance(absl::Milliseconds(50));
  ASSERT_EQ(ran.size(), 4u);
  EXPECT_EQ(ran[3], std::make_pair(4, absl::Milliseconds(300)));
  EXPECT_EQ(timer.pending(), 0u);
}

// A deadline further away than the longest loop delay (schedule_at takes up
// to 2^62 ns; call_later's rule stops at 1e9 s) waits in steps, never early.
TEST(BatchedTimerTest, ScheduleAtBeyondTheLongestLoopDelayWaitsInSteps) {
  ManualLoop loop;
  BatchedTimer timer = make_batched_timer(loop, 1.0, 100);
  const absl::Duration due = absl::Seconds(4e9);
  bool ran = false;
  timer.schedule_at(due, [&] { ran = true; });
  EXPECT_EQ(loop.pending_timers(), 1u);
  loop.advance(internal::kMaxDelay);  // the first loop timer ends here
  EXPECT_FALSE(ran);
  EXPECT_EQ(loop.pending_timers(), 1u) << "the bucket was not armed again";
  loop.advance(due - loop.now() - absl::Seconds(1));
  EXPECT_FALSE(ran);
  loop.advance(absl::Seconds(1));
  EXPECT_TRUE(ran);
  EXPECT_EQ(timer.pending(), 0u);
}

TEST(BatchedTimerTest, HandlesAndTimerMayOutliveTheLoop) {
  BatchedCall call;
  std::unique_ptr<BatchedTimer> timer;
  {
    ManualLoop loop;
    timer = std::make_unique<BatchedTimer>(loop, 0.1, 10);
    call = timer->call_later(1.0, [] {});
  }
  EXPECT_TRUE(call.cancel());
  EXPECT_FALSE(call.active());
  EXPECT_EQ(timer->pending(), 0u);
}

TEST(BatchedTimerTest, CallsOutliveTheLastTimerCopy) {
  ManualLoop loop;
  int ran = 0;
  BatchedCall call;
  {
    BatchedTimer timer = make_batched_timer(loop, 0.1, 10);
    call = timer.call_later(0.1, [&] { ++ran; });
    timer.call_later(0.1, [&] { ++ran; });
  }
  EXPECT_TRUE(call.active());
  loop.advance(absl::Seconds(1));
  EXPECT_EQ(ran, 2);
  EXPECT_FALSE(call.active());
}

TEST(BatchedTimerTest, ArgumentsAreBoundAndMembersWork) {
  ManualLoop loop;
  BatchedTimer timer = make_batched_timer(loop, 0.1, 10);
  struct Counter {
    int total = 0;
    void add(int n) { total += n; }
  } counter;
  timer.call_later(0.05, &Counter::add, &counter, 5);
  timer.call_later(
      absl::Milliseconds(50), [](int* t, int n) { *t += n; }, &counter.total,
      2);
  timer.schedule(absl::Milliseconds(50), [&counter] { counter.total += 1; });
  loop.advance(absl::Seconds(1));
  EXPECT_EQ(counter.total, 8);
}

TEST(BatchedTimerTest, RejectsEmptyCallables) {
  ManualLoop loop;
  BatchedTimer timer = make_batched_timer(loop, 0.1, 10);
  struct Counter {
    void add(int) {}
  } counter;
  void (*null_function)() = nullptr;
  void (Counter::*null_member)(int) = nullptr;
  EXPECT_THROW(timer.call_later(0.1, null_function), std::invalid_argument);
  EXPECT_THROW(timer.call_later(0.1, null_member, &counter, 1),
               std::invalid_argument);
  EXPECT_THROW(timer.call_later(0.1, Task()), std::invalid_argument);
  EXPECT_THROW(timer.schedule(absl::Milliseconds(100), Task()),
               std::invalid_argument);
  EXPECT_EQ(timer.pending(), 0u);
  EXPECT_EQ(timer.loop_timers(), 0u);
  EXPECT_EQ(loop.pending_timers(), 0u);
}

// Small trivially copyable callables are stored apart from Task (see
// internal::BatchedCallable); both kinds share buckets, order, cancel and
// error reporting.
TEST(BatchedTimerTest, PlainAndTaskCallsShareABucket) {
  static_assert(internal::kBatchedPlain<void (*)()>);
  ManualLoop loop;
  BatchedTimer timer = make_batched_timer(loop, 0.1, 3);
  std::vector<std::string> ran;
  std::vector<std::vector<std::string>> reports;
  timer.set_error_handler([&](std::vector<Failure> failures) {
    std::vector<std::string> messages;
    for (const Failure& f : failures) messages.push_back(failure_message(f));
    reports.push_back(messages);
  });
  auto plain = [&ran](const char* name) {
    auto fn = [&ran, name] { ran.push_back(name); };
    static_assert(internal::kBatchedPlain<decltype(fn)>);
    return fn;
  };
  auto task = [&ran](std::string name) {
    auto fn = [&ran, name] { ran.push_back(name); };
    static_assert(!internal::kBatchedPlain<decltype(fn)>);
    return fn;
  };
  std::vector<BatchedCall> calls;
  calls.push_back(timer.call_later(0.05, plain("plain 0")));
  calls.push_back(timer.call_later(0.05, task("task 1")));
  calls.push_back(timer.call_later(0.05, plain("plain 2")));
  calls.push_back(timer.call_later(0.05, task("task 3")));
  calls.push_back(timer.call_later(0.05, [&ran] {
    ran.push_back("plain 4");
    throw std::runtime_error("plain 4");
  }));
  calls.push_back(timer.call_later(0.05, [&ran, tag = std::string("task 5")] {
    ran.push_back(tag);
    throw std::runtime_error(tag);
  }));
  calls.push_back(timer.call_later(0.05, plain("plain 6")));
  EXPECT_TRUE(calls[2].cancel());
  EXPECT_TRUE(calls[3].cancel());
  EXPECT_FALSE(calls[2].cancel());
  EXPECT_FALSE(calls[3].cancel());
  EXPECT_EQ(timer.pending(), 5u);
  EXPECT_EQ(timer.loop_timers(), 1u);
  loop.advance(absl::Seconds(1));
  EXPECT_EQ(ran, (std::vector<std::string>{"plain 0", "task 1", "plain 4",
                                           "task 5", "plain 6"}));
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0],
            (std::vector<std::string>{"std::runtime_error: plain 4",
                                      "std::runtime_error: task 5"}));
  for (BatchedCall& call : calls) EXPECT_FALSE(call.cancel());
}

TEST(BatchedTimerTest, PendingTasksAreReleasedWithTheTimer) {
  auto captured = std::make_shared<int>(7);
  BatchedCall call;
  {
    ManualLoop loop;
    BatchedTimer timer = make_batched_timer(loop, 0.1, 10);
    call = timer.call_later(1.0, [captured] {});
    timer.call_later(1.0, [] {});
    EXPECT_EQ(captured.use_count(), 2);
  }
  // The handle still holds the timer: the call is still there.
  EXPECT_EQ(captured.use_count(), 2);
  call = BatchedCall();
  EXPECT_EQ(captured.use_count(), 1);
}

TEST(BatchedTimerTest, ErrorHandlerReceivesTheBucketsFailuresOnce) {
  ManualLoop loop;
  BatchedTimer timer = make_batched_timer(loop, 0.1, 2);
  std::vector<std::vector<std::string>> reports;
  timer.set_error_handler([&](std::vector<Failure> failures) {
    std::vector<std::string> messages;
    for (const Failure& f : failures) messages.push_back(failure_message(f));
    reports.push_back(messages);
  });
  int ran = 0;
  for (int i = 0; i < 5; ++i) {
    timer.call_later(0.1, [&ran, i] {
      ++ran;
      if (i % 2 == 0) throw std::runtime_error("call " + std::to_string(i));
    });
  }
  loop.advance(absl::Seconds(1));
  EXPECT_EQ(ran, 5);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0],
            (std::vector<std::string>{"std::runtime_error: call 0",
                                      "std::runtime_error: call 2",
                                      "std::runtime_error: call 4"}));
}

}  // namespace
}  // namespace txaio
