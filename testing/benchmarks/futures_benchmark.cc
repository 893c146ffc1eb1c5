// The future round trip on the Asio backend beside raw baselines.
//
// Per item: create a future, add a callback pair, resolve it, and have the
// loop dispatch the callback; measured in batches of 1000 so loop wake-ups are
// amortised as they are in a busy server. Baselines in the same binary: a raw
// io_context::post + run of an equivalent handler, the same small lambda
// queued with Loop::call_soon on the same AsioLoop, and
// std::promise/std::future. Every case checks that each item's work was done.
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

// Fails the benchmark unless every item of every batch added its index.
void CheckSum(benchmark::State& state, int64_t sum) {
  const int64_t per_batch = int64_t{kBatch} * (kBatch - 1) / 2;
  if (sum != static_cast<int64_t>(state.iterations()) * per_batch) {
    state.SkipWithError("an item's work was lost");
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

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
  CheckSum(state, sum);
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
  CheckSum(state, sum);
}
BENCHMARK(BM_TxaioFutureAlreadyResolved);

// The loop's share of a round trip: a small lambda through the same queue.
void BM_TxaioCallSoon(benchmark::State& state) {
  txaio::AsioLoop loop;
  int64_t sum = 0;
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      loop.call_soon([&sum, i] { sum += i; });
    }
    loop.run_until_idle();
  }
  CheckSum(state, sum);
}
BENCHMARK(BM_TxaioCallSoon);

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
  CheckSum(state, sum);
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
  CheckSum(state, sum);
}
BENCHMARK(BM_StdPromiseFuture);

}  // namespace
