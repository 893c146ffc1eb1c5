#include "testing/benchmarks/loop_timers.h"

#include <chrono>
#include <vector>

#include "core/batched_timer.h"

namespace txaio::bench {

void CallLaterCancelWithPending(benchmark::State& state, Loop& loop) {
  std::vector<DelayedCall> pending;
  for (int i = 0; i < kPending; ++i) {
    pending.push_back(
        loop.call_later(absl::Seconds(1000) + absl::Microseconds(i), [] {}));
  }
  int i = 0;
  for (auto _ : state) {
    DelayedCall call = loop.call_later(
        absl::Seconds(1000) + absl::Microseconds(i++ % kPending), [] {});
    call.cancel();
  }
  state.SetItemsProcessed(state.iterations());
  for (DelayedCall& call : pending) call.cancel();
}

// The 1M pending calls are spread over 100 s (10k per 1 s bucket), not 1 s:
// on a real clock the measured calls land in the bucket of now + 30 s, which
// after the first second of the run would otherwise be empty, and a call
// alone in its bucket creates the bucket and its cancel forgets it again,
// each time with a loop call_later and cancel for the bucket's timer: a
// different case (about 100 ns more here).
void BatchedInsertCancelWithPending(benchmark::State& state, Loop& loop) {
  BatchedTimer timer = make_batched_timer(loop, 1.0, 1000);
  std::vector<BatchedCall> pending;
  pending.reserve(1'000'000);
  for (int i = 0; i < 1'000'000; ++i) {
    pending.push_back(timer.call_later(
        absl::Seconds(30) + absl::Microseconds(100 * i), [] {}));
  }
  for (auto _ : state) {
    BatchedCall call = timer.call_later(absl::Seconds(30), [] {});
    call.cancel();
  }
  state.counters["pending"] = static_cast<double>(timer.pending());
  state.SetItemsProcessed(state.iterations());
  for (BatchedCall& call : pending) call.cancel();
}

// The clock read every real-clock case pays per call_later, in each binary.
void BM_SteadyClockNow(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(std::chrono::steady_clock::now());
  }
}
BENCHMARK(BM_SteadyClockNow);

}  // namespace txaio::bench
