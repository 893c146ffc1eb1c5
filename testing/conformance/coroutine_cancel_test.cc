// Conformance: cancelling a coroutine's future stops the coroutine (asyncio's
// Task.cancel()), and member function coroutines run on their object's loop.
#include <memory>
#include <string>
#include <vector>

#include "core/coroutine.h"
#include "testing/conformance/fixture.h"

namespace txaio::conformance {
namespace {

Future<void> SleepThenLog(Api txa, std::vector<std::string>* log) {
  log->push_back("start");
  try {
    co_await txa.sleep(absl::Milliseconds(5));
    log->push_back("woke");
  } catch (const CancelledError& e) {
    log->push_back(std::string("cancelled: ") + e.what());
    throw;
  }
}

TEST_F(ConformanceTest, CancellingACoroutineThrowsAtItsCoAwait) {
  std::vector<std::string> log;
  Future<void> task = SleepThenLog(api(), &log);
  EXPECT_TRUE(cancel(task, "caller gave up"));
  EXPECT_TRUE(task.is_cancelled()) << "the coroutine's future, at once";
  EXPECT_EQ(log, (std::vector<std::string>{"start"}))
      << "resumed from the loop, not inside cancel()";
  run_until_idle();
  EXPECT_EQ(log,
            (std::vector<std::string>{"start", "cancelled: caller gave up"}));
  advance(absl::Milliseconds(10));
  EXPECT_EQ(log.size(), 2u) << "the sleep's timer was cancelled: no 'woke'";
  EXPECT_TRUE(unhandled().empty());
}

Future<int> AwaitAndRecord(Future<int> inner, std::vector<std::string>* log) {
  int v = co_await inner;
  log->push_back("after " + std::to_string(v));
  co_return v;
}

TEST_F(ConformanceTest, CancellingACoroutineCancelsTheFutureItAwaits) {
  bool canceller_ran = false;
  Future<int> inner =
      create_future<int>([&](Future<int>&) { canceller_ran = true; });
  std::vector<std::string> log;
  Future<int> task = AwaitAndRecord(inner, &log);
  std::vector<std::string> errbacks;
  add_callbacks(task, nullptr, [&](const Failure& failure) {
    errbacks.push_back(failure_message(failure));
  });
  cancel(task);
  EXPECT_TRUE(canceller_ran);
  EXPECT_TRUE(inner.is_cancelled());
  run_until_idle();
  EXPECT_TRUE(log.empty()) << "the code after co_await did not run";
  EXPECT_EQ(errbacks,
            (std::vector<std::string>{"txaio::CancelledError: cancelled"}));
  EXPECT_TRUE(unhandled().empty());
}

Future<int> CatchCancelThenContinue(Future<int> first, Future<int> second,
                                    std::vector<std::string>* log) {
  try {
    co_await first;
  } catch (const CancelledError&) {
    log->push_back("caught");
  }
  int v = co_await second;  // thrown once: this await works normally
  log->push_back("second " + std::to_string(v));
  co_return v;
}

TEST_F(ConformanceTest, ACancelledCoroutineMayCatchAndGoOn) {
  Future<int> first = create_future<int>();
  Future<int> second = create_future<int>();
  std::vector<std::string> log;
  Future<int> task = CatchCancelThenContinue(first, second, &log);
  cancel(task);
  run_until_idle();
  EXPECT_EQ(log, (std::vector<std::string>{"caught"}));
  EXPECT_FALSE(second.is_cancelled()) << "only the awaited future is cancelled";
  resolve(second, 5);
  run_until_idle();
  EXPECT_EQ(log, (std::vector<std::string>{"caught", "second 5"}));
  EXPECT_TRUE(task.is_cancelled()) << "its co_return after cancel is dropped";
}

TEST_F(ConformanceTest, CancelAfterTheAwaitedFutureCompletedStillThrows) {
  Future<int> inner = create_future<int>();
  std::vector<std::string> log;
  Future<int> task = AwaitAndRecord(inner, &log);
  resolve(inner, 1);  // the resumption is queued, not run
  EXPECT_TRUE(cancel(task));
  run_until_idle();
  EXPECT_TRUE(log.empty()) << "resumed with CancelledError, not the value";
  EXPECT_TRUE(task.is_cancelled());
}

Future<int> CancelsItself(Future<void> gate, Future<int>* self,
                          Future<int> next, std::vector<std::string>* log) {
  co_await gate;
  cancel(*self);
  log->push_back("still running");
  try {
    co_await next;
    log->push_back("not reached");
  } catch (const CancelledError& e) {
    log->push_back(std::string("next co_await threw ") + e.what());
  }
  co_return 0;
}

TEST_F(ConformanceTest, ACoroutineCancelledWhileRunningThrowsAtItsNextCoAwait) {
  Future<void> gate = create_future<void>();
  Future<int> next = create_future<int>();
  std::vector<std::string> log;
  Future<int> task;
  task = CancelsItself(gate, &task, next, &log);
  resolve(gate);
  run_until_idle();
  EXPECT_EQ(log, (std::vector<std::string>{"still running",
                                           "next co_await threw cancelled"}));
  EXPECT_FALSE(next.is_cancelled())
      << "it was not awaiting `next` when cancelled";
  EXPECT_TRUE(task.is_cancelled());
}

// A class whose coroutines run on its own loop.
class Session {
 public:
  explicit Session(Api txa) : txa_(txa) {}
  Api txaio_api() const { return txa_; }

  Future<int> request(int value) {
    co_await txa_.sleep(absl::Milliseconds(1));
    co_return value * 2;
  }
  Future<int> peek() const { co_return 1; }

 private:
  Api txa_;
};

TEST_F(ConformanceTest, MemberCoroutinesRunOnTheirObjectsLoop) {
  std::unique_ptr<TestLoop> other = MakeTestLoop();
  Session session(with_config(other->loop()));
  Future<int> reply;
  Future<int> peeked;
  {
    NoFrameworkSelected none;  // no default loop to fall back on
    reply = session.request(21);
    peeked = session.peek();
  }
  EXPECT_EQ(&reply.loop(), &other->loop());
  EXPECT_EQ(&peeked.loop(), &other->loop()) << "const member functions too";
  other->advance(absl::Milliseconds(5));
  ASSERT_TRUE(reply.is_called());
  EXPECT_EQ(reply.value(), 42);
}

}  // namespace
}  // namespace txaio::conformance
