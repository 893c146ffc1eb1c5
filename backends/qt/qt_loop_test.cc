// Unit tests of QtLoop: what is specific to Qt. The application running its
// own QCoreApplication::exec(), wake-ups from other threads into a blocked
// event loop, the QCoreApplication the owning form creates and shares, and
// teardown leaving an application that runs on free of txaio's work.
#include "backends/qt/qt_loop.h"

#include <QtCore/qcoreapplication.h>
#include <QtCore/qtimer.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "backends/testing/loop_checks.h"
#include "core/api.h"
#include "core/loop_registry.h"
#include "gtest/gtest.h"

namespace txaio {
namespace {

// The application's own QCoreApplication, with a Qt timer (not ours) as a
// safety net so a lost wake-up fails the test instead of hanging it.
class App {
 public:
  App() : app_(argc_, argv_) {}
  QCoreApplication& app() { return app_; }
  void exec(int limit_ms = 5000) {
    QTimer::singleShot(limit_ms, &app_, [this] {
      timed_out_ = true;
      QCoreApplication::quit();
    });
    app_.exec();
  }
  bool timed_out() const { return timed_out_; }

 private:
  int argc_ = 1;
  char arg0_[8] = "test";
  char* argv_[2] = {arg0_, nullptr};
  QCoreApplication app_;
  bool timed_out_ = false;
};

TEST(QtLoopTest, RegisteredAsQtAndCreatesItsApplicationWhenThereIsNone) {
  ASSERT_EQ(QCoreApplication::instance(), nullptr);
  {
    std::unique_ptr<RunnableLoop> loop = make_loop("qt");
    EXPECT_EQ(loop->framework(), "qt");
    ASSERT_NE(QCoreApplication::instance(), nullptr);
    EXPECT_EQ(&static_cast<QtLoop&>(*loop).application(),
              QCoreApplication::instance());
    {
      // A second owning loop shares the application...
      QtLoop second;
      EXPECT_EQ(&second.application(), QCoreApplication::instance());
    }
    // ...which outlives it while the first still needs it.
    ASSERT_NE(QCoreApplication::instance(), nullptr);
    bool ran = false;
    loop->call_soon([&] { ran = true; });
    loop->run_until_idle();
    EXPECT_TRUE(ran);
  }
  EXPECT_EQ(QCoreApplication::instance(), nullptr)
      << "the application the loops created was not deleted with them";
}

TEST(QtLoopTest, OwningFormUsesTheApplicationsQCoreApplication) {
  App app;
  {
    QtLoop loop;
    EXPECT_EQ(&loop.application(), &app.app());
  }
  EXPECT_EQ(QCoreApplication::instance(), &app.app()) << "not ours to delete";
}

TEST(QtLoopTest, ApplicationRunsItsOwnExec) {
  App app;
  QtLoop loop(app.app());
  std::vector<int> order;
  loop.call_soon([&] { order.push_back(1); });
  const absl::Duration start = loop.now();
  Future<void> nap = with_config(loop).sleep(absl::Milliseconds(20));
  add_callbacks(
      nap,
      [&] {
        order.push_back(2);
        EXPECT_GE(loop.now() - start, absl::Milliseconds(20))
            << "timer was early";
        QCoreApplication::quit();
      },
      nullptr);
  app.exec();
  EXPECT_FALSE(app.timed_out());
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST(QtLoopTest, WrappingSomethingElseThanTheInstanceIsAnError) {
  App app;
  // Any QCoreApplication reference that is not instance(): here, a dangling
  // one is never dereferenced, only compared.
  QCoreApplication* other = reinterpret_cast<QCoreApplication*>(&app);
  EXPECT_THROW(QtLoop loop(*other), std::invalid_argument);
}

TEST(QtLoopTest, CallSoonThreadsafeWakesABlockedExec) {
  App app;
  QtLoop loop(app.app());
  std::atomic<bool> ran{false};
  std::thread worker([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    loop.call_soon_threadsafe([&] {
      ran = true;
      QCoreApplication::quit();
    });
  });
  app.exec();
  worker.join();
  EXPECT_FALSE(app.timed_out()) << "the wake-up from the worker was lost";
  EXPECT_TRUE(ran);
}

TEST(QtLoopTest, IdleRunWaitsUntilStoppedFromAnotherThread) {
  QtLoop loop;
  loop_checks::ExpectIdleRunWaitsUntilStoppedFromAnotherThread(loop);
}

TEST(QtLoopTest, OwningLoopsOnOneThreadKeepTheirWorkApart) {
  QtLoop a;
  QtLoop b;
  int a_ran = 0;
  int b_ran = 0;
  b.call_soon([&] { ++b_ran; });
  b.call_later(absl::Milliseconds(2), [&] { ++b_ran; });
  a.call_later(absl::Milliseconds(10), [&] { ++a_ran; });
  // a's run dispatches b's wake-up event and b's QTimer too (one thread, one
  // event dispatcher); b's work waits for b.
  a.run_for(absl::Milliseconds(20));
  EXPECT_EQ(a_ran, 1);
  EXPECT_EQ(b_ran, 0) << "a's run ran b's work";
  b.run_until_idle();
  EXPECT_EQ(b_ran, 2) << "b's set-aside work was lost";
}

TEST(QtLoopTest, WrappingLoopRunsWhileAnOwningLoopRuns) {
  App app;
  QtLoop wrapping(app.app());
  QtLoop owning;
  bool ran = false;
  wrapping.call_soon([&] { ran = true; });
  owning.run_for(absl::Milliseconds(5));
  EXPECT_TRUE(ran) << "the application's loop stalled while a library ran";
}

TEST(QtLoopTest, TimerThatFiresEarlyIsArmedAgain) {
  loop_checks::ExpectTimerFiringEarlyIsArmedAgain<QtLoop>();
}

TEST(QtLoopTest, TimersAreNeverEarly) {
  QtLoop loop;
  loop_checks::ExpectTimersAreNeverEarly(loop);
}

TEST(QtLoopTest, DestroyedLoopLeavesTheApplicationClean) {
  App app;
  auto token = std::make_shared<int>(0);
  bool ran = false;
  DelayedCall call;
  {
    QtLoop loop(app.app());
    loop.call_soon([&ran, token] { ran = true; });
    loop.call_soon_threadsafe([&ran, token] { ran = true; });
    call =
        loop.call_later(absl::Milliseconds(1), [&ran, token] { ran = true; });
  }
  EXPECT_EQ(token.use_count(), 1) << "the loop released what it held";
  EXPECT_FALSE(call.active());
  // The application keeps running: neither the posted wake-up nor the
  // timer of the destroyed loop fires.
  QTimer::singleShot(20, &app.app(), [] { QCoreApplication::quit(); });
  app.exec();
  EXPECT_FALSE(app.timed_out());
  EXPECT_FALSE(ran);
}

TEST(QtLoopTest, AThrowingCallbackLosesNothingQueuedAfterIt) {
  App app;
  QtLoop loop(app.app());
  loop_checks::ExpectAThrowingCallbackLosesNothingQueuedAfterIt(
      loop, [&] { app.exec(); }, [] { QCoreApplication::quit(); });
  EXPECT_FALSE(app.timed_out());
}

}  // namespace
}  // namespace txaio
