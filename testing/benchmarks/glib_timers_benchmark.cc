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

#include <vector>

#include "backends/glib/glib_loop.h"
#include "backends/manual/manual_loop.h"
#include "benchmark/benchmark.h"
#include "testing/benchmarks/loop_timers.h"

namespace {

using txaio::bench::kPending;

gboolean Never(gpointer) { return G_SOURCE_REMOVE; }

void BM_CallLaterCancel_100kPending_TxaioGlib(benchmark::State& state) {
  txaio::GlibLoop loop;
  txaio::bench::CallLaterCancelWithPending(state, loop);
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

void BM_BatchedInsertCancel_1MPending_ManualClock(benchmark::State& state) {
  txaio::ManualLoop loop;
  txaio::bench::BatchedInsertCancelWithPending(state, loop);
}
BENCHMARK(BM_BatchedInsertCancel_1MPending_ManualClock);
void BM_BatchedInsertCancel_1MPending_Glib(benchmark::State& state) {
  txaio::GlibLoop loop;
  txaio::bench::BatchedInsertCancelWithPending(state, loop);
}
BENCHMARK(BM_BatchedInsertCancel_1MPending_Glib);

// GLib's own clock read, beside BM_SteadyClockNow (loop_timers.cc).
void BM_GlibMonotonicTime(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(g_get_monotonic_time());
}
BENCHMARK(BM_GlibMonotonicTime);

}  // namespace
