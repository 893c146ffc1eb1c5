// Timers on the Qt backend, beside raw Qt and the manual clock in the same
// binary (mirrors the Asio cases of timers_benchmark.cc):
//
// - call_later + cancel with 100k calls pending on a QtLoop, vs a raw QTimer
//   start + stop with 100k QTimers running;
// - BatchedTimer call_later + cancel with 1M calls pending, on a QtLoop (its
//   clock is CLOCK_MONOTONIC, read per call_later) and on a ManualLoop.
//
//   bazel run -c opt //testing/benchmarks:qt_timers_benchmark
#include <QtCore/qcoreapplication.h>
#include <QtCore/qtimer.h>

#include <memory>
#include <vector>

#include "backends/manual/manual_loop.h"
#include "backends/qt/qt_loop.h"
#include "benchmark/benchmark.h"
#include "testing/benchmarks/loop_timers.h"

namespace {

using txaio::bench::kPending;
constexpr int kFarMs = 1000 * 1000;

void BM_CallLaterCancel_100kPending_TxaioQt(benchmark::State& state) {
  txaio::QtLoop loop;  // creates the QCoreApplication
  txaio::bench::CallLaterCancelWithPending(state, loop);
}
BENCHMARK(BM_CallLaterCancel_100kPending_TxaioQt);

void BM_QTimerStartStop_100kPending_RawQt(benchmark::State& state) {
  int argc = 1;
  char arg0[] = "bench";
  char* argv[] = {arg0, nullptr};
  QCoreApplication app(argc, argv);
  std::vector<std::unique_ptr<QTimer>> pending;
  for (int i = 0; i < kPending; ++i) {
    auto timer = std::make_unique<QTimer>();
    timer->setTimerType(Qt::PreciseTimer);
    timer->start(kFarMs + i);
    pending.push_back(std::move(timer));
  }
  QTimer timer;
  timer.setTimerType(Qt::PreciseTimer);
  int i = 0;
  for (auto _ : state) {
    timer.start(kFarMs + i++ % kPending);
    timer.stop();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_QTimerStartStop_100kPending_RawQt);

void BM_BatchedInsertCancel_1MPending_ManualClock(benchmark::State& state) {
  txaio::ManualLoop loop;
  txaio::bench::BatchedInsertCancelWithPending(state, loop);
}
BENCHMARK(BM_BatchedInsertCancel_1MPending_ManualClock);
void BM_BatchedInsertCancel_1MPending_Qt(benchmark::State& state) {
  txaio::QtLoop loop;
  txaio::bench::BatchedInsertCancelWithPending(state, loop);
}
BENCHMARK(BM_BatchedInsertCancel_1MPending_Qt);

}  // namespace
