// Timers at scale, beside raw Boost.Asio baselines in the same binary.
//
// - schedule + cancel one call_later with 100k others pending (AsioLoop)
//   vs a raw steady_timer expires_after + async_wait + cancel;
// - BatchedTimer call_later + cancel with 1M calls pending (manual and Asio
//   clocks: the Asio one includes reading steady_clock), with a capture-less
//   lambda and with a callable that has a destructor (kept in a Task);
// - 100k timers spread over 1 s, fired on an AsioLoop: process CPU time
//   (clock_gettime(CLOCK_PROCESS_CPUTIME_ID)) from the first schedule to
//   the last call, for exact raw steady_timers, our coalesced call_later,
//   and BatchedTimer buckets. Reported as the counter cpu_ms.
//
//   bazel run -c opt //testing/benchmarks:timers_benchmark
#include <time.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <vector>

#include "backends/asio/asio_loop.h"
#include "backends/manual/manual_loop.h"
#include "benchmark/benchmark.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/steady_timer.hpp"
#include "core/batched_timer.h"
#include "core/txaio.h"

namespace {

constexpr int kPending = 100'000;
constexpr int kSpread = 100'000;

double ProcessCpuMs() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// --- call_later schedule + cancel with 100k pending ----------------------

void BM_CallLaterCancel_100kPending_Txaio(benchmark::State& state) {
  txaio::AsioLoop loop;
  std::vector<txaio::DelayedCall> pending;
  for (int i = 0; i < kPending; ++i) {
    pending.push_back(
        loop.call_later(absl::Seconds(1000) + absl::Microseconds(i), [] {}));
  }
  int i = 0;
  for (auto _ : state) {
    txaio::DelayedCall call = loop.call_later(
        absl::Seconds(1000) + absl::Microseconds(i++ % kPending), [] {});
    call.cancel();
  }
  loop.run_until_idle();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CallLaterCancel_100kPending_Txaio);

void BM_CallLaterCancel_100kPending_RawSteadyTimer(benchmark::State& state) {
  boost::asio::io_context io(1);
  std::vector<std::unique_ptr<boost::asio::steady_timer>> pending;
  for (int i = 0; i < kPending; ++i) {
    auto timer = std::make_unique<boost::asio::steady_timer>(io);
    timer->expires_after(std::chrono::seconds(1000) +
                         std::chrono::microseconds(i));
    timer->async_wait([](const boost::system::error_code&) {});
    pending.push_back(std::move(timer));
  }
  int i = 0;
  for (auto _ : state) {
    boost::asio::steady_timer timer(io);
    timer.expires_after(std::chrono::seconds(1000) +
                        std::chrono::microseconds(i++ % kPending));
    timer.async_wait([](const boost::system::error_code&) {});
    timer.cancel();
    // A cancelled wait completes with operation_aborted: run those handlers
    // in batches, as a busy loop would.
    if ((i & 1023) == 0) io.poll();
  }
  io.poll();
  state.SetItemsProcessed(state.iterations());
  for (auto& timer : pending) timer->cancel();
  io.poll();
}
BENCHMARK(BM_CallLaterCancel_100kPending_RawSteadyTimer);

// --- BatchedTimer insert + cancel with 1M pending ------------------------

// `make_fn()` returns the callable each call_later schedules.
template <typename LoopT, typename MakeFn>
void BatchedInsertCancel(benchmark::State& state, MakeFn make_fn) {
  LoopT loop;
  txaio::BatchedTimer timer = txaio::make_batched_timer(loop, 1.0, 1000);
  std::vector<txaio::BatchedCall> pending;
  pending.reserve(1'000'000);
  for (int i = 0; i < 1'000'000; ++i) {
    pending.push_back(
        timer.call_later(absl::Seconds(30) + absl::Microseconds(i), [] {}));
  }
  for (auto _ : state) {
    txaio::BatchedCall call = timer.call_later(absl::Seconds(30), make_fn());
    call.cancel();
  }
  state.counters["pending"] = static_cast<double>(timer.pending());
  state.SetItemsProcessed(state.iterations());
  for (auto& call : pending) call.cancel();
}
void BM_BatchedInsertCancel_1MPending_ManualClock(benchmark::State& state) {
  BatchedInsertCancel<txaio::ManualLoop>(state, [] { return [] {}; });
}
BENCHMARK(BM_BatchedInsertCancel_1MPending_ManualClock);
void BM_BatchedInsertCancel_1MPending_Asio(benchmark::State& state) {
  BatchedInsertCancel<txaio::AsioLoop>(state, [] { return [] {}; });
}
BENCHMARK(BM_BatchedInsertCancel_1MPending_Asio);

// A callable with a destructor (as one capturing a shared_ptr has) is kept
// in a Task, which cancel destroys through an indirect call; the lambdas
// above are kept without one (see internal::BatchedCallable).
struct NoopWithDestructor {
  ~NoopWithDestructor() {}
  void operator()() const {}
};
void BM_BatchedInsertCancel_1MPending_ManualClock_TaskCallable(
    benchmark::State& state) {
  BatchedInsertCancel<txaio::ManualLoop>(state,
                                         [] { return NoopWithDestructor(); });
}
BENCHMARK(BM_BatchedInsertCancel_1MPending_ManualClock_TaskCallable);

// A connection's lifetime: 1000 inserts, then 1000 cancels (1M pending).
void BM_BatchedInsertThenCancel1000_1MPending_Asio(benchmark::State& state) {
  txaio::AsioLoop loop;
  txaio::BatchedTimer timer = txaio::make_batched_timer(loop, 1.0, 1000);
  std::vector<txaio::BatchedCall> pending;
  for (int i = 0; i < 1'000'000; ++i) {
    pending.push_back(
        timer.call_later(absl::Seconds(30) + absl::Microseconds(i), [] {}));
  }
  std::vector<txaio::BatchedCall> batch(1000);
  for (auto _ : state) {
    for (auto& call : batch) call = timer.call_later(absl::Seconds(30), [] {});
    for (auto& call : batch) call.cancel();
  }
  state.SetItemsProcessed(state.iterations() * 1000);
  for (auto& call : pending) call.cancel();
}
BENCHMARK(BM_BatchedInsertThenCancel1000_1MPending_Asio);

// The clock read that the Asio variants pay per call_later.
void BM_SteadyClockNow(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(std::chrono::steady_clock::now());
  }
}
BENCHMARK(BM_SteadyClockNow);

// --- 100k timers spread over 1 s: CPU to fire them all --------------------

void ReportCpu(benchmark::State& state, double cpu_ms_total) {
  state.counters["cpu_ms"] =
      benchmark::Counter(cpu_ms_total, benchmark::Counter::kAvgIterations);
}

void BM_Fire100kOver1s_RawExactSteadyTimers(benchmark::State& state) {
  double cpu_total = 0;
  for (auto _ : state) {
    boost::asio::io_context io(1);
    std::vector<std::unique_ptr<boost::asio::steady_timer>> timers;
    timers.reserve(kSpread);
    int fired = 0;
    double start = ProcessCpuMs();
    auto now = std::chrono::steady_clock::now();
    for (int i = 0; i < kSpread; ++i) {
      auto timer = std::make_unique<boost::asio::steady_timer>(io);
      timer->expires_at(now + std::chrono::microseconds(10 * (i + 1)));
      timer->async_wait(
          [&fired](const boost::system::error_code&) { ++fired; });
      timers.push_back(std::move(timer));
    }
    io.run();
    cpu_total += ProcessCpuMs() - start;
    if (fired != kSpread) state.SkipWithError("not every timer fired");
  }
  ReportCpu(state, cpu_total);
}
BENCHMARK(BM_Fire100kOver1s_RawExactSteadyTimers)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

// Also checks the precision promise of coalesced wake-ups: counters early
// (calls that ran before their deadline: must be 0), late_mean_us and
// late_max_us (deadline to run, on the loop's clock).
void BM_Fire100kOver1s_TxaioCallLater(benchmark::State& state) {
  double cpu_total = 0;
  int64_t early = 0;
  absl::Duration late_sum;
  absl::Duration late_max;
  for (auto _ : state) {
    txaio::AsioLoop loop;
    int fired = 0;
    double start = ProcessCpuMs();
    for (int i = 0; i < kSpread; ++i) {
      absl::Duration deadline = loop.now() + absl::Microseconds(10 * (i + 1));
      loop.call_later(deadline - loop.now(), [&, deadline] {
        ++fired;
        absl::Duration late = loop.now() - deadline;
        if (late < absl::ZeroDuration()) ++early;
        late_sum += late;
        late_max = std::max(late_max, late);
      });
    }
    while (fired < kSpread) loop.run_for(absl::Milliseconds(50));
    cpu_total += ProcessCpuMs() - start;
  }
  ReportCpu(state, cpu_total);
  double calls = static_cast<double>(state.iterations()) * kSpread;
  state.counters["early"] = static_cast<double>(early);
  state.counters["late_mean_us"] = absl::ToDoubleMicroseconds(late_sum) / calls;
  state.counters["late_max_us"] = absl::ToDoubleMicroseconds(late_max);
}
BENCHMARK(BM_Fire100kOver1s_TxaioCallLater)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

// Argument: bucket in milliseconds; chunks of 1000.
void BM_Fire100kOver1s_Batched(benchmark::State& state) {
  double bucket = static_cast<double>(state.range(0)) / 1000;
  double cpu_total = 0;
  for (auto _ : state) {
    txaio::AsioLoop loop;
    txaio::BatchedTimer timer = txaio::make_batched_timer(loop, bucket, 1000);
    int fired = 0;
    double start = ProcessCpuMs();
    for (int i = 0; i < kSpread; ++i) {
      timer.call_later(absl::Microseconds(10 * (i + 1)), [&fired] { ++fired; });
    }
    while (fired < kSpread) loop.run_for(absl::Milliseconds(50));
    cpu_total += ProcessCpuMs() - start;
  }
  ReportCpu(state, cpu_total);
}
BENCHMARK(BM_Fire100kOver1s_Batched)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3)
    ->Arg(1)
    ->Arg(10)
    ->Arg(100)
    ->Arg(1000);

}  // namespace
