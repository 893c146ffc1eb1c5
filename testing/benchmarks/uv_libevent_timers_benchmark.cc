// Timers on the libuv and libevent backends, beside those libraries' own raw
// timers and beside ManualLoop, in the same binary (the Asio versions are in
// timers_benchmark.cc):
//
// - schedule + cancel one call_later with 100k others pending (UvLoop,
//   LibeventLoop) vs the library's raw timer with 100k pending: one
//   uv_timer_start + uv_timer_stop on an initialised uv_timer_t, one
//   evtimer_add + evtimer_del on an allocated event (on a base with
//   EVENT_BASE_FLAG_PRECISE_TIMER, as LibeventLoop makes);
// - BatchedTimer call_later + cancel with 1M calls pending on UvLoop,
//   LibeventLoop and ManualLoop (the real-clock ones include reading
//   steady_clock, which the manual clock does not).
//
//   bazel run -c opt //testing/benchmarks:uv_libevent_timers_benchmark
#include <event2/event.h>
#include <uv.h>

#include <chrono>
#include <memory>
#include <vector>

#include "backends/libevent/libevent_loop.h"
#include "backends/manual/manual_loop.h"
#include "backends/uv/uv_loop.h"
#include "benchmark/benchmark.h"
#include "core/batched_timer.h"
#include "core/txaio.h"

namespace {

constexpr int kPending = 100'000;

// --- call_later schedule + cancel with 100k pending ----------------------

template <typename LoopT>
void CallLaterCancel(benchmark::State& state) {
  LoopT loop;
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
  for (auto& call : pending) call.cancel();
}
void BM_CallLaterCancel_100kPending_TxaioUv(benchmark::State& state) {
  CallLaterCancel<txaio::UvLoop>(state);
}
BENCHMARK(BM_CallLaterCancel_100kPending_TxaioUv);
void BM_CallLaterCancel_100kPending_TxaioLibevent(benchmark::State& state) {
  CallLaterCancel<txaio::LibeventLoop>(state);
}
BENCHMARK(BM_CallLaterCancel_100kPending_TxaioLibevent);

void BM_CallLaterCancel_100kPending_RawUvTimer(benchmark::State& state) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  auto noop = [](uv_timer_t*) {};
  std::vector<uv_timer_t> pending(kPending);
  for (int i = 0; i < kPending; ++i) {
    uv_timer_init(&loop, &pending[i]);
    // libuv's timeouts are whole milliseconds.
    uv_timer_start(&pending[i], noop, 1'000'000 + i / 1000, 0);
  }
  uv_timer_t timer;
  uv_timer_init(&loop, &timer);
  int i = 0;
  for (auto _ : state) {
    uv_timer_start(&timer, noop, 1'000'000 + (i++ % kPending) / 1000, 0);
    uv_timer_stop(&timer);
  }
  state.SetItemsProcessed(state.iterations());
  uv_close(reinterpret_cast<uv_handle_t*>(&timer), nullptr);
  for (auto& t : pending) uv_close(reinterpret_cast<uv_handle_t*>(&t), nullptr);
  uv_run(&loop, UV_RUN_NOWAIT);
  uv_loop_close(&loop);
}
BENCHMARK(BM_CallLaterCancel_100kPending_RawUvTimer);

void BM_CallLaterCancel_100kPending_RawEvtimer(benchmark::State& state) {
  event_config* config = event_config_new();
  event_config_set_flag(config, EVENT_BASE_FLAG_PRECISE_TIMER);
  event_base* base = event_base_new_with_config(config);
  event_config_free(config);
  auto noop = [](evutil_socket_t, short, void*) {};
  auto after = [](int i) {
    return timeval{1000 + i / 1'000'000, i % 1'000'000};
  };
  std::vector<event*> pending(kPending);
  for (int i = 0; i < kPending; ++i) {
    pending[i] = evtimer_new(base, noop, nullptr);
    const timeval tv = after(i);
    evtimer_add(pending[i], &tv);
  }
  event* timer = evtimer_new(base, noop, nullptr);
  int i = 0;
  for (auto _ : state) {
    const timeval tv = after(i++ % kPending);
    evtimer_add(timer, &tv);
    evtimer_del(timer);
  }
  state.SetItemsProcessed(state.iterations());
  event_free(timer);
  for (event* e : pending) event_free(e);
  event_base_free(base);
}
BENCHMARK(BM_CallLaterCancel_100kPending_RawEvtimer);

// --- BatchedTimer insert + cancel with 1M pending ------------------------

// The 1M pending calls are spread over 100 s (10k per 1 s bucket), not 1 s
// as in timers_benchmark.cc: on a real clock the measured calls land in the
// bucket of now + 30 s, which after the first second of the run would
// otherwise be empty. A call alone in its bucket creates the bucket, and its
// cancel forgets it again, each time with a LoopBase::call_later and cancel
// for the bucket's loop timer: a different case (about 100 ns more here).
template <typename LoopT>
void BatchedInsertCancel(benchmark::State& state) {
  LoopT loop;
  txaio::BatchedTimer timer = txaio::make_batched_timer(loop, 1.0, 1000);
  std::vector<txaio::BatchedCall> pending;
  pending.reserve(1'000'000);
  for (int i = 0; i < 1'000'000; ++i) {
    pending.push_back(timer.call_later(
        absl::Seconds(30) + absl::Microseconds(100 * i), [] {}));
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
void BM_BatchedInsertCancel_1MPending_Uv(benchmark::State& state) {
  BatchedInsertCancel<txaio::UvLoop>(state);
}
BENCHMARK(BM_BatchedInsertCancel_1MPending_Uv);
void BM_BatchedInsertCancel_1MPending_Libevent(benchmark::State& state) {
  BatchedInsertCancel<txaio::LibeventLoop>(state);
}
BENCHMARK(BM_BatchedInsertCancel_1MPending_Libevent);

// The clock read the real-clock variants pay per call_later.
void BM_SteadyClockNow(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(std::chrono::steady_clock::now());
  }
}
BENCHMARK(BM_SteadyClockNow);

}  // namespace
