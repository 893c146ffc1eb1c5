// Unit tests of how a future's state is shared and dispatched: the loop's
// reference on a queued dispatch (LoopBase's intrusive queue and the Task that
// Loop's default dispatch_soon() wraps it in), and the state's reference count
// under handles copied and dropped on other threads. The Future API itself is
// pinned by //testing/conformance.
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/failure.h"
#include "core/future.h"
#include "core/loop_base.h"
#include "core/unhandled.h"
#include "gtest/gtest.h"

namespace txaio {
namespace {

// A LoopBase whose rounds the test runs by hand.
class HandRunLoop : public LoopBase {
 public:
  std::string_view framework() const override { return "hand"; }
  absl::Duration now() const override { return absl::ZeroDuration(); }
  using LoopBase::run_once;

 protected:
  void wake_up() override {}
  void wake_at(absl::Duration) override {}
};

// A Loop that is not a LoopBase: it keeps Tasks in a list, so futures reach
// it through Loop's default dispatch_soon().
class TaskListLoop : public Loop {
 public:
  std::string_view framework() const override { return "task-list"; }
  absl::Duration now() const override { return absl::ZeroDuration(); }
  void call_soon(Task task) override { tasks.push_back(std::move(task)); }
  void call_soon_threadsafe(Task task) override {
    tasks.push_back(std::move(task));
  }
  DelayedCall call_later(absl::Duration, Task) override {
    throw std::logic_error("TaskListLoop has no timers");
  }
  size_t pending_timers() const override { return 0; }

  std::vector<Task> tasks;
};

// Records the messages of unhandled failures while it lives.
class RecordUnhandled {
 public:
  RecordUnhandled()
      : previous_(set_unhandled_failure_handler([this](const Failure& f) {
          messages.push_back(failure_message(f));
        })) {}
  ~RecordUnhandled() { set_unhandled_failure_handler(std::move(previous_)); }

  std::vector<std::string> messages;

 private:
  UnhandledFailureHandler previous_;
};

TEST(FutureDispatchTest, LoopBaseDestroyedWithADispatchQueuedFreesTheState) {
  auto token = std::make_shared<int>(0);
  bool ran = false;
  {
    HandRunLoop loop;
    Future<std::shared_ptr<int>> f(loop);
    f.add_callbacks([&ran](const std::shared_ptr<int>&) { ran = true; },
                    nullptr);
    f.resolve(token);
  }  // the handle goes first, then the loop with the dispatch still queued
  EXPECT_FALSE(ran);
  EXPECT_EQ(token.use_count(), 1) << "the queued dispatch kept the state";
}

TEST(FutureDispatchTest, DiscardedFailedFutureIsReportedOnce) {
  RecordUnhandled unhandled;
  {
    HandRunLoop loop;
    Future<int> f(loop);
    f.add_callbacks([](const int&) {}, nullptr);
    f.reject(Failure(std::runtime_error("never seen")));
  }
  EXPECT_EQ(unhandled.messages,
            std::vector<std::string>{"std::runtime_error: never seen"});
}

TEST(FutureDispatchTest, DispatchRunsInOrderWithTasks) {
  HandRunLoop loop;
  std::vector<std::string> order;
  Future<int> f(loop);
  f.add_callbacks([&](const int&) { order.push_back("callback"); }, nullptr);
  loop.call_soon([&] { order.push_back("before"); });
  f.resolve(1);
  loop.call_soon([&] { order.push_back("after"); });
  EXPECT_TRUE(loop.run_once());
  EXPECT_EQ(order, (std::vector<std::string>{"before", "callback", "after"}));
}

TEST(FutureDispatchTest, DefaultDispatchSoonRunsThroughATask) {
  TaskListLoop loop;
  int seen = 0;
  Future<int> f(loop);
  f.add_callbacks([&seen](const int& v) { seen = v; }, nullptr);
  f.resolve(7);
  ASSERT_EQ(loop.tasks.size(), 1u);
  EXPECT_EQ(seen, 0) << "never inline";
  std::move(loop.tasks[0])();
  EXPECT_EQ(seen, 7);
  // Pairs added later get a dispatch of their own.
  f.add_callbacks([&seen](const int& v) { seen += v; }, nullptr);
  ASSERT_EQ(loop.tasks.size(), 2u);
  std::move(loop.tasks[1])();
  EXPECT_EQ(seen, 14);
}

TEST(FutureDispatchTest, DefaultDispatchSoonTaskDroppedUnrunFreesTheState) {
  auto token = std::make_shared<int>(0);
  TaskListLoop loop;
  {
    Future<std::shared_ptr<int>> f(loop);
    f.add_callbacks([](const std::shared_ptr<int>&) {}, nullptr);
    f.resolve(token);
  }
  ASSERT_EQ(loop.tasks.size(), 1u);
  EXPECT_EQ(token.use_count(), 2) << "the task holds the state";
  loop.tasks.clear();
  EXPECT_EQ(token.use_count(), 1);
}

TEST(FutureDispatchTest, HandlesCopiedAndDroppedOnOtherThreads) {
  constexpr int kThreads = 4;
  constexpr int kCopies = 10000;
  auto token = std::make_shared<int>(42);
  HandRunLoop loop;
  int seen = 0;
  std::vector<std::thread> threads;
  {
    Future<std::shared_ptr<int>> f(loop);
    f.add_callbacks([&seen](const std::shared_ptr<int>& v) { seen = *v; },
                    nullptr);
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([copy = f]() mutable {
        for (int i = 0; i < kCopies; ++i) {
          Future<std::shared_ptr<int>> another = copy;
          Future<std::shared_ptr<int>> moved = std::move(another);
          copy = moved;
        }
      });
    }
    f.resolve(token);
    EXPECT_TRUE(loop.run_once());
  }  // this thread's handle goes while the workers may still hold theirs
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(seen, 42);
  EXPECT_EQ(token.use_count(), 1)
      << "the last handle, on whichever thread, freed the state";
}

}  // namespace
}  // namespace txaio
