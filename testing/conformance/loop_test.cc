// Conformance: the Loop itself (call_soon, call_soon_threadsafe, error
// isolation) and the clock helpers.
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "testing/conformance/fixture.h"

namespace txaio::conformance {
namespace {

TEST_F(ConformanceTest, CallSoonRunsInOrderAndNeverInline) {
  std::vector<int> order;
  for (int i = 0; i < 4; ++i) {
    loop().call_soon([&order, i] { order.push_back(i); });
  }
  EXPECT_TRUE(order.empty());
  run_until_idle();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
}

TEST_F(ConformanceTest, CallSoonFromATaskRunsAfterTheTasksAlreadyQueued) {
  std::vector<std::string> order;
  loop().call_soon([&] {
    order.push_back("a");
    loop().call_soon([&] { order.push_back("c"); });
  });
  loop().call_soon([&] { order.push_back("b"); });
  run_until_idle();
  EXPECT_EQ(order, (std::vector<std::string>{"a", "b", "c"}));
}

TEST_F(ConformanceTest, TaskThatThrowsIsReportedAndLaterTasksStillRun) {
  std::vector<int> ran;
  loop().call_soon([&] { ran.push_back(1); });
  loop().call_soon([] { throw std::runtime_error("task broke"); });
  loop().call_soon([&] { ran.push_back(3); });
  EXPECT_NO_THROW(run_until_idle());
  EXPECT_EQ(ran, (std::vector<int>{1, 3}));
  EXPECT_EQ(unhandled(),
            (std::vector<std::string>{"std::runtime_error: task broke"}));
}

TEST_F(ConformanceTest, CallSoonThreadsafeFromSeveralThreads) {
  constexpr int kThreads = 4;
  constexpr int kTasksPerThread = 200;
  // Only touched on the loop thread, so no lock: TSan checks that the loop's
  // hand-over makes that safe.
  std::vector<std::vector<int>> seen(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, &seen, t] {
      for (int i = 0; i < kTasksPerThread; ++i) {
        loop().call_soon_threadsafe([&seen, t, i] { seen[t].push_back(i); });
      }
    });
  }
  // Drain while the threads are still posting.
  auto total = [&] {
    size_t n = 0;
    for (const auto& s : seen) n += s.size();
    return n;
  };
  while (total() < kThreads * kTasksPerThread) {
    run_until_idle();
    std::this_thread::yield();
  }
  for (std::thread& thread : threads) thread.join();
  run_until_idle();
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(seen[t].size(), static_cast<size_t>(kTasksPerThread));
    for (int i = 0; i < kTasksPerThread; ++i) {
      ASSERT_EQ(seen[t][i], i) << "thread " << t << " lost its order";
    }
  }
}

TEST_F(ConformanceTest, FutureResolvedFromAWorkerThroughCallSoonThreadsafe) {
  Future<int> f = create_future<int>();
  int seen = 0;
  add_callbacks(
      f, [&](int v) { seen = v; }, nullptr);
  std::thread worker([&] {
    int result = 6 * 7;  // the work
    loop().call_soon_threadsafe([f, result]() mutable { resolve(f, result); });
  });
  worker.join();
  EXPECT_FALSE(is_called(f)) << "nothing runs until the loop does";
  run_until_idle();
  EXPECT_EQ(seen, 42);
}

TEST_F(ConformanceTest, ThreadsafeTaskThatThrowsIsReported) {
  bool after = false;
  std::thread poster([&] {
    loop().call_soon_threadsafe([] { throw std::logic_error("remote"); });
    loop().call_soon_threadsafe([&] { after = true; });
  });
  poster.join();
  run_until_idle();
  EXPECT_TRUE(after);
  EXPECT_EQ(unhandled(),
            (std::vector<std::string>{"std::logic_error: remote"}));
}

TEST_F(ConformanceTest, LoopClockNeverGoesBackwards) {
  absl::Duration first = loop().now();
  advance(absl::Milliseconds(2));
  absl::Duration second = loop().now();
  EXPECT_GE(second - first, absl::Milliseconds(2));
}

TEST_F(ConformanceTest, TimeHelpersNeedNoFramework) {
  NoFrameworkSelected none;
  ASSERT_EQ(using_framework(), "");
  // 2020-01-01T00:00:00Z in ns: a wall clock well past that is plausible.
  constexpr int64_t k2020 = 1577836800LL * 1000 * 1000 * 1000;
  int64_t wall = 0;
  EXPECT_NO_THROW(wall = time_ns());
  EXPECT_GT(wall, k2020);
  int64_t a = perf_counter_ns();
  int64_t b = perf_counter_ns();
  EXPECT_LE(a, b) << "perf_counter_ns is monotonic";
}

}  // namespace
}  // namespace txaio::conformance
