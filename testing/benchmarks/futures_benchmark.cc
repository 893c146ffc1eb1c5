// The future round trip on the Asio backend beside raw baselines.
//
// Per item: create a future, add a callback pair, resolve it, and have the
// loop dispatch the callback; measured in batches of 1000 so loop wake-ups are
// amortised as they are in a busy server. Baselines in the same binary: a raw
// io_context::post + run of an equivalent handler, and std::promise/std::future.
//
//   bazel run -c opt //testing/benchmarks:futures_benchmark
#include <future>
#include <vector>

#include "backends/asio/asio_loop.h"
#include "benchmark/benchmark.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/post.hpp"
#include "core/txaio.h"

namespace {

constexpr int kBatch = 1000;

void BM_TxaioFutureRoundTrip(benchmark::State& state) {
  txaio::AsioLoop loop;
  txaio::Api api = txaio::with_config(loop);
  int64_t sum = 0;
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      txaio::Future<int> f = api.create_future<int>();
      f.add_callbacks([&sum](const int& v) { sum += v; }, nullptr);
      f.resolve(i);
    }
    loop.run_until_idle();
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_TxaioFutureRoundTrip);

// The same, but each callback is added after the future is resolved.
void BM_TxaioFutureAlreadyResolved(benchmark::State& state) {
  txaio::AsioLoop loop;
  txaio::Api api = txaio::with_config(loop);
  int64_t sum = 0;
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      txaio::Future<int> f = api.create_future_success(i);
      f.add_callbacks([&sum](const int& v) { sum += v; }, nullptr);
    }
    loop.run_until_idle();
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_TxaioFutureAlreadyResolved);

void BM_RawAsioPost(benchmark::State& state) {
  boost::asio::io_context io(1);
  int64_t sum = 0;
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      boost::asio::post(io, [&sum, i] { sum += i; });
    }
    io.restart();
    io.run();
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_RawAsioPost);

void BM_StdPromiseFuture(benchmark::State& state) {
  int64_t sum = 0;
  std::vector<std::future<int>> futures;
  futures.reserve(kBatch);
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      std::promise<int> promise;
      futures.push_back(promise.get_future());
      promise.set_value(i);
    }
    for (std::future<int>& f : futures) sum += f.get();
    futures.clear();
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_StdPromiseFuture);

}  // namespace
