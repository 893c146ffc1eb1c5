// Scaling across cores: one loop per thread, each thread doing future round
// trips and handing every 64th item to the next thread's loop with
// call_soon_threadsafe (a ring), beside raw Boost.Asio doing the same with
// one io_context per thread (handler chains, every 64th handler posted to
// the next thread's io_context). One iteration runs kItems per thread on
// 1, 2, ... threads; items_per_second is the total over all threads, so the
// N-thread/1-thread ratio of a row family is its scaling, and txaio's ratio
// divided by raw Asio's (same run) is the figure docs/benchmarks.md reports.
// The txaio rows run on every linked backend that runs its own loop.
//
//   bazel run -c opt //testing/benchmarks:scale_benchmark
#include <atomic>
#include <barrier>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "benchmark/benchmark.h"
#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/post.hpp"
#include "core/loop_registry.h"
#include "core/txaio.h"

namespace {

constexpr int kItems = 200'000;
constexpr int kHandOffEvery = 64;
constexpr int kHandOffs = kItems / kHandOffEvery;

// Fails the benchmark unless every thread did every item and received every
// hand-off meant for it.
void Check(benchmark::State& state, const std::vector<int64_t>& done,
           const std::vector<int64_t>& received, int64_t iterations) {
  for (size_t i = 0; i < done.size(); ++i) {
    if (done[i] != iterations * kItems ||
        received[i] != iterations * kHandOffs) {
      state.SkipWithError("an item or a hand-off was lost");
      return;
    }
  }
  state.SetItemsProcessed(iterations * kItems *
                          static_cast<int64_t>(done.size()));
}

// One thread's share on txaio: a chain of future round trips on its own
// loop, every kHandOffEvery-th item also handed to `next`.
struct TxaioWorker {
  std::unique_ptr<txaio::RunnableLoop> loop;
  TxaioWorker* next = nullptr;
  int64_t done = 0;            // items finished by this thread, all iterations
  int64_t received = 0;        // hand-offs run on this loop, this iteration
  int64_t received_total = 0;  // the same, all iterations
  int64_t received_goal = 0;
  int left = 0;
  txaio::Future<void> finished;

  void maybe_finish() {
    if (left == 0 && received == received_goal && !finished.is_called()) {
      finished.resolve();
    }
  }
  void step() {
    if (left == 0) return maybe_finish();
    --left;
    txaio::Future<int> f = txaio::with_config(*loop).create_future<int>();
    f.add_callbacks(
        [this](const int& k) {
          ++done;
          if (k % kHandOffEvery == 0) {
            TxaioWorker* to = next;
            to->loop->call_soon_threadsafe([to] {
              ++to->received;
              to->maybe_finish();
            });
          }
          step();
        },
        nullptr);
    f.resolve(left);
  }
};

void BM_Scale_Txaio(benchmark::State& state, const std::string& name) {
  const int threads = static_cast<int>(state.range(0));
  std::vector<TxaioWorker> workers(threads);
  for (int i = 0; i < threads; ++i) {
    workers[i].next = &workers[(i + 1) % threads];
  }
  // Each loop is made, run and destroyed on its own thread (a Qt loop's
  // objects belong to the thread that made them); the barriers keep every
  // loop alive while any thread may still hand work to it.
  std::barrier made(threads);
  std::barrier ran(threads);
  int64_t iterations = 0;
  for (auto _ : state) {
    ++iterations;
    std::vector<std::thread> pool;
    for (TxaioWorker& w : workers) {
      pool.emplace_back([&w, &name, &made, &ran] {
        w.loop = txaio::make_loop(name);
        w.left = kItems;
        w.received = 0;
        w.received_goal = kHandOffs;
        w.finished = txaio::with_config(*w.loop).create_future<void>();
        made.arrive_and_wait();
        w.loop->call_soon([&w] { w.step(); });
        w.loop->run_until_complete(w.finished);
        ran.arrive_and_wait();
        w.finished = txaio::Future<void>();
        w.loop.reset();
      });
    }
    for (std::thread& t : pool) t.join();
    for (TxaioWorker& w : workers) w.received_total += w.received;
  }
  std::vector<int64_t> done, received;
  for (TxaioWorker& w : workers) {
    done.push_back(w.done);
    received.push_back(w.received_total);
  }
  Check(state, done, received, iterations);
}

// The same on raw Asio: a handler chain per io_context.
struct AsioWorker {
  boost::asio::io_context io{1};
  AsioWorker* next = nullptr;
  int64_t done = 0;
  int64_t received = 0;
  int64_t received_goal = 0;
  int left = 0;

  void maybe_finish() {
    if (left == 0 && received == received_goal) io.stop();
  }
  void step() {
    if (left == 0) return maybe_finish();
    const int k = --left;
    boost::asio::post(io, [this, k] {
      ++done;
      if (k % kHandOffEvery == 0) {
        AsioWorker* to = next;
        boost::asio::post(to->io, [to] {
          ++to->received;
          to->maybe_finish();
        });
      }
      step();
    });
  }
};

void BM_Scale_RawAsio(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  std::vector<std::unique_ptr<AsioWorker>> workers;
  for (int i = 0; i < threads; ++i) {
    workers.push_back(std::make_unique<AsioWorker>());
  }
  for (int i = 0; i < threads; ++i) {
    workers[i]->next = workers[(i + 1) % threads].get();
  }
  int64_t iterations = 0;
  for (auto _ : state) {
    ++iterations;
    for (auto& w : workers) {
      w->left = kItems;
      w->received_goal += kHandOffs;
      w->io.restart();
    }
    std::vector<std::thread> pool;
    for (auto& w : workers) {
      pool.emplace_back([w = w.get()] {
        auto work = boost::asio::make_work_guard(w->io);
        boost::asio::post(w->io, [w] { w->step(); });
        w->io.run();
      });
    }
    for (std::thread& t : pool) t.join();
  }
  std::vector<int64_t> done, received;
  for (auto& w : workers) {
    done.push_back(w->done);
    received.push_back(w->received);
  }
  Check(state, done, received, iterations);
}

void ThreadCounts(benchmark::internal::Benchmark* b) {
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  for (int n = 1; n <= std::max(2, cores); n *= 2) b->Arg(n);
  b->UseRealTime()->Unit(benchmark::kMillisecond);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::RegisterBenchmark("BM_Scale_RawAsio", BM_Scale_RawAsio)
      ->Apply(ThreadCounts);
  for (const std::string& name : txaio::loop_names()) {
    if (name == "manual") continue;  // its clock never waits: no real loop
    benchmark::RegisterBenchmark(("BM_Scale_Txaio/" + name).c_str(),
                                 BM_Scale_Txaio, name)
        ->Apply(ThreadCounts);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
