// The two timer cases every backend's benchmark runs beside its loop's raw
// timer (testing/benchmarks/*_timers_benchmark.cc), written once:
//
// - call_later + cancel with kPending calls pending on `loop`;
// - BatchedTimer call_later + cancel with 1M calls pending on `loop` (run it
//   on a ManualLoop in the same binary for the clock-free reference).
#ifndef TXAIO_TESTING_BENCHMARKS_LOOP_TIMERS_H_
#define TXAIO_TESTING_BENCHMARKS_LOOP_TIMERS_H_

#include "benchmark/benchmark.h"
#include "core/loop.h"

namespace txaio::bench {

inline constexpr int kPending = 100'000;

// call_later, then cancel, with kPending others pending, due 1000 s away
// spread by microseconds; the loop must have nothing else scheduled.
void CallLaterCancelWithPending(benchmark::State& state, Loop& loop);

// BatchedTimer (1 s buckets) call_later + cancel with 1M calls pending.
void BatchedInsertCancelWithPending(benchmark::State& state, Loop& loop);

}  // namespace txaio::bench

#endif  // TXAIO_TESTING_BENCHMARKS_LOOP_TIMERS_H_
