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
#include "testing/benchmarks/loop_timers.h"

namespace {

using txaio::bench::kPending;

// --- call_later schedule + cancel with 100k pending ----------------------

void BM_CallLaterCancel_100kPending_TxaioUv(benchmark::State& state) {
  txaio::UvLoop loop;
  txaio::bench::CallLaterCancelWithPending(state, loop);
}
BENCHMARK(BM_CallLaterCancel_100kPending_TxaioUv);
void BM_CallLaterCancel_100kPending_TxaioLibevent(benchmark::State& state) {
  txaio::LibeventLoop loop;
  txaio::bench::CallLaterCancelWithPending(state, loop);
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

void BM_BatchedInsertCancel_1MPending_ManualClock(benchmark::State& state) {
  txaio::ManualLoop loop;
  txaio::bench::BatchedInsertCancelWithPending(state, loop);
}
BENCHMARK(BM_BatchedInsertCancel_1MPending_ManualClock);
void BM_BatchedInsertCancel_1MPending_Uv(benchmark::State& state) {
  txaio::UvLoop loop;
  txaio::bench::BatchedInsertCancelWithPending(state, loop);
}
BENCHMARK(BM_BatchedInsertCancel_1MPending_Uv);
void BM_BatchedInsertCancel_1MPending_Libevent(benchmark::State& state) {
  txaio::LibeventLoop loop;
  txaio::bench::BatchedInsertCancelWithPending(state, loop);
}
BENCHMARK(BM_BatchedInsertCancel_1MPending_Libevent);

}  // namespace
