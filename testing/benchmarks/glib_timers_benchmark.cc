// Timers on the GLib backend, beside raw GLib and the manual clock in the
// same binary (mirrors the Asio cases of timers_benchmark.cc):
//
// - call_later + cancel with 100k calls pending on a GlibLoop, vs GLib's own
//   g_timeout_add + g_source_remove with 100k timeouts pending;
// - BatchedTimer call_later + cancel with 1M calls pending, on a GlibLoop
//   (its clock is CLOCK_MONOTONIC, read per call_later) and on a ManualLoop.
//
//   bazel run -c opt //testing/benchmarks:glib_timers_benchmark
#include <glib.h>

#include <chrono>
#include <vector>

#include "backends/glib/glib_loop.h"
#include "backends/manual/manual_loop.h"
#include "benchmark/benchmark.h"
#include "core/batched_timer.h"
#include "core/txaio.h"

namespace {

constexpr int kPending = 100'000;

gboolean Never(gpointer) { return G_SOURCE_REMOVE; }

void BM_CallLaterCancel_100kPending_TxaioGlib(benchmark::State& state) {
  txaio::GlibLoop loop;
  std::vector<txaio::DelayedCall> pending;
  for (int i = 0; i < kPending; ++i) {
    pending.push_back(
        loop.call_later(absl::Seconds(1000) + absl::Milliseconds(i), [] {}));
  }
  int i = 0;
  for (auto _ : state) {
    txaio::DelayedCall call = loop.call_later(
        absl::Seconds(1000) + absl::Milliseconds(i++ % kPending), [] {});
    call.cancel();
  }
  loop.run_until_idle();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CallLaterCancel_100kPending_TxaioGlib);

void BM_TimeoutAddRemove_100kPending_RawGlib(benchmark::State& state) {
  // g_timeout_add and g_source_remove work on the default context.
  std::vector<guint> pending;
  for (int i = 0; i < kPending; ++i) {
    pending.push_back(g_timeout_add(1000 * 1000 + i, Never, nullptr));
  }
  int i = 0;
  for (auto _ : state) {
    guint id = g_timeout_add(1000 * 1000 + i++ % kPending, Never, nullptr);
    g_source_remove(id);
  }
  state.SetItemsProcessed(state.iterations());
  for (guint id : pending) g_source_remove(id);
}
BENCHMARK(BM_TimeoutAddRemove_100kPending_RawGlib);

template <typename LoopT>
void BatchedInsertCancel(benchmark::State& state) {
  LoopT loop;
  txaio::BatchedTimer timer = txaio::make_batched_timer(loop, 1.0, 1000);
  std::vector<txaio::BatchedCall> pending;
  pending.reserve(1'000'000);
  for (int i = 0; i < 1'000'000; ++i) {
    pending.push_back(
        timer.call_later(absl::Seconds(30) + absl::Microseconds(i), [] {}));
  }
  for (auto _ : state) {
    txaio::BatchedCall call = timer.call_later(absl::Seconds(30), [] {});
    call.cancel();
  }
  state.counters["pending"] = static_cast<double>(timer.pending());
  state.SetItemsProcessed(state.iterations());
  for (auto& call : pending) call.cancel();
}
void BM_BatchedInsertCancel_1MPending_ManualClock(benchmark::State& state) {
  BatchedInsertCancel<txaio::ManualLoop>(state);
}
BENCHMARK(BM_BatchedInsertCancel_1MPending_ManualClock);
void BM_BatchedInsertCancel_1MPending_Glib(benchmark::State& state) {
  BatchedInsertCancel<txaio::GlibLoop>(state);
}
BENCHMARK(BM_BatchedInsertCancel_1MPending_Glib);

// The clock read the GLib variants pay per call_later, and GLib's own.
void BM_SteadyClockNow(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(std::chrono::steady_clock::now());
  }
}
BENCHMARK(BM_SteadyClockNow);
void BM_GlibMonotonicTime(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(g_get_monotonic_time());
}
BENCHMARK(BM_GlibMonotonicTime);

}  // namespace
