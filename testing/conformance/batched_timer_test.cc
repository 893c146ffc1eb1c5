// Conformance: make_batched_timer behaves the same on every backend.
//
// Real clocks give no upper bound on lateness under load, so these cases
// assert what holds on any clock: calls never run before their deadline,
// grouping into buckets and chunks (derived from each call's when()),
// ordering, error aggregation and cancellation. Exact times are pinned on the
// manual clock by core/batched_timer_test.cc.
#include "core/batched_timer.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "testing/conformance/fixture.h"

namespace txaio::conformance {
namespace {

constexpr double kBucket = 0.02;

// The bucket a call belongs to: its deadline rounded up to a boundary.
int64_t BucketKey(const BatchedCall& call, double bucket_seconds) {
  int64_t bucket_ns = absl::ToInt64Nanoseconds(absl::Seconds(bucket_seconds));
  int64_t when_ns =
      absl::ToInt64Nanoseconds(absl::Ceil(call.when(), absl::Nanoseconds(1)));
  return when_ns / bucket_ns + (when_ns % bucket_ns > 0 ? 1 : 0);
}

// Records which calls ran together: a chunk is the calls of one bucket run
// in one loop turn (a call_soon marker ends the turn).
class ChunkRecorder {
 public:
  explicit ChunkRecorder(Loop& loop) : loop_(loop) {}

  void Ran(int64_t key, int id) {
    if (!turn_open_) {
      turn_open_ = true;
      ++turn_;
      loop_.call_soon([this] { turn_open_ = false; });
    }
    std::vector<std::vector<int>>& chunks = by_key_[key];
    if (chunks.empty() || last_turn_[key] != turn_) chunks.emplace_back();
    last_turn_[key] = turn_;
    chunks.back().push_back(id);
    order_.push_back(id);
    ++ran_;
  }

  const std::map<int64_t, std::vector<std::vector<int>>>& chunks() const {
    return by_key_;
  }
  const std::vector<int>& order() const { return order_; }
  int ran() const { return ran_; }

 private:
  Loop& loop_;
  bool turn_open_ = false;
  int turn_ = 0;
  int ran_ = 0;
  std::map<int64_t, std::vector<std::vector<int>>> by_key_;
  std::map<int64_t, int> last_turn_;
  std::vector<int> order_;
};

class BatchedTimerConformance : public ConformanceTest {
 protected:
  // Lets time pass a bucket at a time until `done` (at most 200 buckets).
  void RunUntil(const std::function<bool()>& done,
                double bucket_seconds = kBucket) {
    for (int i = 0; i < 200 && !done(); ++i) {
      advance(absl::Seconds(bucket_seconds));
    }
    ASSERT_TRUE(done()) << "calls did not run within 200 buckets";
  }
};

TEST_F(BatchedTimerConformance, BadBucketOrChunkThrowsInvalidArgument) {
  EXPECT_THROW(make_batched_timer(0.0, 10), std::invalid_argument);
  EXPECT_THROW(make_batched_timer(-1.0, 10), std::invalid_argument);
  EXPECT_THROW(make_batched_timer(std::nan(""), 10), std::invalid_argument);
  EXPECT_THROW(make_batched_timer(1.0, 0), std::invalid_argument);
  EXPECT_THROW(make_batched_timer(1.0, -1), std::invalid_argument);
  BatchedTimer timer = make_batched_timer(api(), kBucket, 10);
  EXPECT_THROW(timer.call_later(-1.0, [] {}), std::invalid_argument);
  EXPECT_EQ(timer.pending(), 0u);
}

TEST_F(BatchedTimerConformance, DefaultLoopTimerRunsCalls) {
  BatchedTimer timer = make_batched_timer(kBucket, 10);
  EXPECT_EQ(&timer.loop(), &loop());
  bool ran = false;
  timer.call_later(0.001, [&] { ran = true; });
  RunUntil([&] { return ran; });
}

TEST_F(BatchedTimerConformance, CallsNeverRunBeforeTheirDeadline) {
  BatchedTimer timer = make_batched_timer(loop(), kBucket, 3);
  std::vector<absl::Duration> deadlines;
  std::vector<absl::Duration> ran;
  for (int i = 0; i < 30; ++i) {
    BatchedCall call = timer.call_later(
        0.003 * (i % 10), [this, &ran, i] { ran[i] = loop().now(); });
    deadlines.push_back(call.when());
    ran.push_back(-absl::InfiniteDuration());
  }
  RunUntil([&] { return timer.pending() == 0; });
  for (int i = 0; i < 30; ++i) EXPECT_GE(ran[i], deadlines[i]) << i;
}

// With one chunk per bucket, buckets run in deadline order and calls in one
// bucket in the order they were scheduled.
TEST_F(BatchedTimerConformance, BucketsRunInOrderCallsInScheduleOrder) {
  BatchedTimer timer = make_batched_timer(loop(), kBucket, 1000);
  ChunkRecorder recorder(loop());
  std::vector<std::pair<int64_t, int>> expected;
  const double delays[] = {0.05, 0.001, 0.03, 0.001, 0.05, 0.0, 0.03};
  for (int id = 0; id < 7; ++id) {
    BatchedCall call =
        timer.call_later(delays[id], [&recorder, id] { recorder.Ran(0, id); });
    expected.emplace_back(BucketKey(call, kBucket), id);
  }
  std::stable_sort(
      expected.begin(), expected.end(),
      [](const auto& a, const auto& b) { return a.first < b.first; });
  RunUntil([&] { return recorder.ran() == 7; });
  std::vector<int> expected_order;
  for (const auto& [key, id] : expected) expected_order.push_back(id);
  EXPECT_EQ(recorder.order(), expected_order);
}

// Calls share one loop timer per bucket, and a bucket's calls run together.
TEST_F(BatchedTimerConformance, CallsAreGroupedIntoBuckets) {
  BatchedTimer timer = make_batched_timer(loop(), kBucket, 1000);
  ChunkRecorder recorder(loop());
  std::map<int64_t, std::vector<std::vector<int>>> expected;
  std::vector<int64_t> keys(40);
  for (int id = 0; id < 40; ++id) {
    BatchedCall call = timer.call_later(
        0.002 * id, [&recorder, &keys, id] { recorder.Ran(keys[id], id); });
    keys[id] = BucketKey(call, kBucket);
    auto& chunks = expected[keys[id]];
    if (chunks.empty()) chunks.emplace_back();
    chunks.back().push_back(id);
  }
  EXPECT_EQ(timer.loop_timers(), expected.size());
  EXPECT_LT(timer.loop_timers(), 40u);
  RunUntil([&] { return recorder.ran() == 40; });
  EXPECT_EQ(recorder.chunks(), expected);
  EXPECT_EQ(timer.loop_timers(), 0u);
}

// A bucket runs in chunks of chunk_size, each in its own loop turn.
TEST_F(BatchedTimerConformance, BucketRunsInChunksOfChunkSize) {
  constexpr double kWide = 0.2;
  BatchedTimer timer = make_batched_timer(loop(), kWide, 3);
  ChunkRecorder recorder(loop());
  std::map<int64_t, std::vector<int>> members;
  std::vector<int64_t> keys(10);
  for (int id = 0; id < 10; ++id) {
    BatchedCall call = timer.call_later(
        0.01, [&recorder, &keys, id] { recorder.Ran(keys[id], id); });
    keys[id] = BucketKey(call, kWide);
    members[keys[id]].push_back(id);
  }
  std::map<int64_t, std::vector<std::vector<int>>> expected;
  for (const auto& [key, ids] : members) {
    for (size_t i = 0; i < ids.size(); ++i) {
      if (i % 3 == 0) expected[key].emplace_back();
      expected[key].back().push_back(ids[i]);
    }
  }
  RunUntil([&] { return recorder.ran() == 10; }, kWide / 4);
  EXPECT_EQ(recorder.chunks(), expected);
}

TEST_F(BatchedTimerConformance, ErrorsAreReportedTogetherAfterTheLastChunk) {
  BatchedTimer timer = make_batched_timer(loop(), kBucket, 2);
  int ran = 0;
  std::vector<BatchedCall> calls;
  for (int i = 0; i < 5; ++i) {
    calls.push_back(timer.call_later(0.0, [&ran, i] {
      ++ran;
      if (i == 1 || i == 4) {
        throw std::runtime_error("call " + std::to_string(i));
      }
    }));
  }
  // The calls landed in one bucket unless the clock crossed a boundary
  // between them; count the reports that should follow.
  std::map<int64_t, std::vector<int>> failing;
  for (int i : {1, 4}) failing[BucketKey(calls[i], kBucket)].push_back(i);
  RunUntil([&] { return ran == 5 && timer.loop_timers() == 0; });
  ASSERT_EQ(unhandled().size(), failing.size());
  if (failing.size() == 1) {
    EXPECT_EQ(unhandled()[0],
              "txaio::BatchedCallErrors: 2 error(s) processing call_later "
              "bucket: std::runtime_error: call 1 std::runtime_error: call 4");
  }
}

TEST_F(BatchedTimerConformance, CallMayCancelAnotherPendingCall) {
  BatchedTimer timer = make_batched_timer(loop(), kBucket, 1000);
  std::vector<std::string> log;
  BatchedCall victim_same_bucket;
  BatchedCall victim_later =
      timer.call_later(0.1, [&] { log.push_back("later"); });
  timer.call_later(0.0, [&] {
    log.push_back("first");
    EXPECT_TRUE(victim_same_bucket.cancel());
    EXPECT_TRUE(victim_later.cancel());
    EXPECT_FALSE(victim_later.cancel());
  });
  victim_same_bucket = timer.call_later(0.0, [&] { log.push_back("same"); });
  // A slow clock may put the victim in the next bucket; both are cancelled
  // before they run either way, since the first call's bucket is earlier.
  RunUntil([&] { return timer.pending() == 0 && timer.loop_timers() == 0; });
  EXPECT_EQ(log, std::vector<std::string>{"first"});
}

TEST_F(BatchedTimerConformance, CallMayCancelItselfOnlyBeforeItStarts) {
  BatchedTimer timer = make_batched_timer(loop(), kBucket, 10);
  BatchedCall self;
  bool cancelled = true;
  bool active = true;
  self = timer.call_later(0.0, [&] {
    active = self.active();
    cancelled = self.cancel();
  });
  RunUntil([&] { return timer.pending() == 0 && timer.loop_timers() == 0; });
  EXPECT_FALSE(active);
  EXPECT_FALSE(cancelled);
}

// Chunk size 1: after the first call runs, a task cancels the bucket's last
// call while the bucket is being drained.
TEST_F(BatchedTimerConformance, CancelInABucketBeingDrained) {
  constexpr double kWide = 0.2;
  BatchedTimer timer = make_batched_timer(loop(), kWide, 1);
  std::vector<int> ran;
  std::vector<BatchedCall> calls;
  bool cancelled = false;
  for (int i = 0; i < 3; ++i) {
    calls.push_back(timer.call_later(0.0, [&, i] {
      ran.push_back(i);
      if (i == 0) {
        loop().call_soon([&] { cancelled = calls[2].cancel(); });
      }
    }));
  }
  // Should a slow clock put call 2 in a later bucket, it is cancelled before
  // that bucket fires: the outcome is the same.
  RunUntil([&] { return timer.pending() == 0 && timer.loop_timers() == 0; },
           kWide / 4);
  EXPECT_TRUE(cancelled);
  EXPECT_EQ(ran, (std::vector<int>{0, 1}));
  EXPECT_FALSE(calls[2].active());
}

TEST_F(BatchedTimerConformance, CancelAfterFireAndCancelTwiceAreNoOps) {
  BatchedTimer timer = make_batched_timer(loop(), kBucket, 10);
  int ran = 0;
  BatchedCall fired = timer.call_later(0.0, [&] { ++ran; });
  BatchedCall twice = timer.call_later(0.0, [&] { ran += 100; });
  EXPECT_TRUE(fired.active());
  EXPECT_TRUE(twice.cancel());
  EXPECT_FALSE(twice.cancel());
  EXPECT_FALSE(twice.active());
  RunUntil([&] { return ran > 0 && timer.loop_timers() == 0; });
  EXPECT_EQ(ran, 1);
  EXPECT_FALSE(fired.active());
  EXPECT_FALSE(fired.cancel());
  EXPECT_FALSE(BatchedCall().cancel());
  EXPECT_FALSE(BatchedCall().active());
}

TEST_F(BatchedTimerConformance, CallScheduledFromACallRunsInALaterTurn) {
  BatchedTimer timer = make_batched_timer(loop(), kBucket, 10);
  std::vector<std::string> log;
  timer.call_later(0.0, [&] {
    log.push_back("outer");
    timer.call_later(0.0, [&] { log.push_back("inner"); });
    log.push_back("outer done");
  });
  RunUntil([&] { return log.size() == 3; });
  EXPECT_EQ(log, (std::vector<std::string>{"outer", "outer done", "inner"}));
}

}  // namespace
}  // namespace txaio::conformance
