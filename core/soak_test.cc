// Soak: 1M futures, 1M timers and 1M batched calls created, completed or
// cancelled, and destroyed, twice, on the manual loop; run under ASan+LSan
// by tools/test.sh (tag "asan"), which fails on any leak at exit. Prints the
// resident set size before, between and after the rounds (docs/reliability.md
// has the figures); a second round must not grow it much beyond the first,
// or memory is kept per object.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "backends/manual/manual_loop.h"
#include "core/batched_timer.h"
#include "core/future.h"
#include "gtest/gtest.h"

namespace txaio {
namespace {

constexpr int kCount = 1'000'000;

double RssMb() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0;
  long resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1 << 20);
}

void Futures(ManualLoop& loop) {
  int64_t sum = 0;
  const Failure failure(std::runtime_error("soak"));  // one stack capture
  std::vector<Future<int>> batch;
  batch.reserve(1000);
  for (int i = 0; i < kCount; i += 1000) {
    for (int j = 0; j < 1000; ++j) {
      Future<int>& f = batch.emplace_back(loop);
      f.add_callbacks([&sum](int v) { sum += v; }, [](const Failure&) {});
      if (j % 3 == 0) {
        f.resolve(1);
      } else if (j % 3 == 1) {
        f.cancel();
      } else {
        f.reject(failure);
      }
    }
    loop.run_until_idle();
    batch.clear();
  }
  EXPECT_EQ(sum, kCount / 1000 * 334);
}

void Timers(ManualLoop& loop) {
  int ran = 0;
  std::vector<DelayedCall> calls;
  calls.reserve(kCount);
  for (int i = 0; i < kCount; ++i) {
    calls.push_back(
        loop.call_later(absl::Milliseconds(i % 1000), [&ran] { ++ran; }));
  }
  for (int i = 0; i < kCount; i += 2) calls[i].cancel();
  loop.advance(absl::Seconds(1));
  calls.clear();
  EXPECT_EQ(ran, kCount / 2);
  EXPECT_EQ(loop.pending_timers(), 0u);
}

void Batched(ManualLoop& loop) {
  int ran = 0;
  BatchedTimer timer = make_batched_timer(loop, 0.01, 10000);
  std::vector<BatchedCall> calls;
  calls.reserve(kCount);
  for (int i = 0; i < kCount; ++i) {
    calls.push_back(
        timer.call_later(absl::Milliseconds(i % 1000), [&ran] { ++ran; }));
  }
  for (int i = 0; i < kCount; i += 2) calls[i].cancel();
  calls.clear();
  loop.run_for(absl::Seconds(2));
  EXPECT_EQ(ran, kCount / 2);
  EXPECT_EQ(timer.pending(), 0u);
}

TEST(SoakTest, MillionFuturesTimersAndBatchedCalls) {
  const double before = RssMb();
  double after_first = 0;
  // Two rounds when TXAIO_SOAK_ROUNDS=2 (the second must not grow RSS).
  const char* rounds_env = std::getenv("TXAIO_SOAK_ROUNDS");
  const int rounds = rounds_env != nullptr ? std::atoi(rounds_env) : 1;
  for (int round = 0; round < rounds; ++round) {
    ManualLoop loop;
    absl::Time start = absl::Now();
    Futures(loop);
    absl::Time futures = absl::Now();
    Timers(loop);
    absl::Time timers = absl::Now();
    Batched(loop);
    std::printf("round %d: futures %s, timers %s, batched calls %s\n", round,
                absl::FormatDuration(futures - start).c_str(),
                absl::FormatDuration(timers - futures).c_str(),
                absl::FormatDuration(absl::Now() - timers).c_str());
    if (round == 0) after_first = RssMb();
  }
  const double after = RssMb();
  std::printf(
      "soak RSS: before %.1f MB, after round 1 %.1f MB, after round 2 "
      "%.1f MB\n",
      before, after_first, after);
  RecordProperty("rss_before_mb", std::to_string(before));
  RecordProperty("rss_after_round1_mb", std::to_string(after_first));
  RecordProperty("rss_after_round2_mb", std::to_string(after));
  // Nothing is kept per object: a second round reuses what the first left.
  if (rounds > 1) {
    EXPECT_LT(after, after_first * 1.25 + 64) << "RSS grows round on round";
  }
}

}  // namespace
}  // namespace txaio
