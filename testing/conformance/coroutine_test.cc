// Conformance: co_await on futures and coroutines returning futures.
#include "core/coroutine.h"

#include <stdexcept>
#include <string>
#include <vector>

#include "testing/conformance/fixture.h"

namespace txaio::conformance {
namespace {

Future<int> AddLater(Future<int> a, Future<int> b) {
  int x = co_await a;
  int y = co_await b;
  co_return x + y;
}

TEST_F(ConformanceTest, CoroutineAwaitsValuesInOrder) {
  Future<int> a = create_future<int>();
  Future<int> b = create_future<int>();
  Future<int> sum = AddLater(a, b);
  EXPECT_FALSE(sum.is_called()) << "suspended on the first pending future";
  resolve(b, 2);
  resolve(a, 40);
  EXPECT_FALSE(sum.is_called()) << "resumed from the loop, not inside resolve";
  run_until_idle();
  ASSERT_TRUE(sum.is_called());
  EXPECT_EQ(sum.value(), 42);
}

TEST_F(ConformanceTest, AwaitingACalledFutureDoesNotSuspend) {
  Future<int> ready = create_future_success(7);
  Future<int> same = AddLater(ready, ready);
  ASSERT_TRUE(same.is_called()) << "ran to completion without the loop";
  EXPECT_EQ(same.value(), 14);
}

Future<std::string> Describe(Future<int> f) {
  try {
    int v = co_await f;
    co_return "value " + std::to_string(v);
  } catch (const std::runtime_error& e) {
    co_return std::string("caught ") + e.what();
  }
}

TEST_F(ConformanceTest, AwaitingAFailedFutureThrowsItsException) {
  Future<int> f = create_future<int>();
  Future<std::string> described = Describe(f);
  reject(f, std::runtime_error("boom"));
  run_until_idle();
  ASSERT_TRUE(described.is_called());
  EXPECT_EQ(described.value(), "caught boom");
}

Future<int> Throws(Future<void> gate) {
  co_await gate;
  throw std::invalid_argument("bad request");
}

TEST_F(ConformanceTest, AnExceptionEscapingACoroutineRejectsItsFuture) {
  Future<void> gate = create_future<void>();
  Future<int> result = Throws(gate);
  std::string seen;
  add_callbacks(result, nullptr, [&](const Failure& failure) {
    seen = failure_message(failure);
  });
  resolve(gate);
  run_until_idle();
  EXPECT_EQ(seen, "std::invalid_argument: bad request");
  EXPECT_TRUE(unhandled().empty());
}

Future<void> SleepThenRecord(Api txa, std::vector<std::string>* log) {
  log->push_back("start");
  co_await txa.sleep(absl::Milliseconds(2));
  log->push_back("woke");
}

TEST_F(ConformanceTest, CoroutineSleepsOnTheLoopOfItsApiParameter) {
  std::vector<std::string> log;
  Future<void> done = SleepThenRecord(api(), &log);
  EXPECT_EQ(&done.loop(), &loop());
  EXPECT_EQ(log, (std::vector<std::string>{"start"}));
  advance(absl::Milliseconds(5));
  EXPECT_EQ(log, (std::vector<std::string>{"start", "woke"}));
  EXPECT_TRUE(done.is_called());
}

Future<int> Forever(Future<int> never) { co_return co_await never; }

TEST_F(ConformanceTest, CancellingACoroutinesFutureReachesItsErrbacks) {
  Future<int> never = create_future<int>();
  Future<int> running = Forever(never);
  bool cancelled = false;
  add_callbacks(running, nullptr, [&](const Failure& failure) {
    cancelled = failure.is<CancelledError>();
  });
  EXPECT_TRUE(cancel(running));
  run_until_idle();
  EXPECT_TRUE(cancelled);
  EXPECT_TRUE(never.is_cancelled()) << "the awaited future is cancelled too";
  EXPECT_TRUE(running.is_cancelled());
  EXPECT_TRUE(unhandled().empty());
}

}  // namespace
}  // namespace txaio::conformance
