// Unit tests of GlibLoop: what is specific to GLib. The application running
// the wrapped context with its own API (g_main_loop_run), wake-ups from other
// threads into a context blocked in poll(), timers against GLib's clock, and
// teardown leaving a context that lives on free of txaio's work.
#include "backends/glib/glib_loop.h"

#include <glib.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "backends/testing/loop_checks.h"
#include "core/api.h"
#include "core/loop_registry.h"
#include "gtest/gtest.h"

namespace txaio {
namespace {

// A GMainContext and a GMainLoop of the application's own.
class AppContext {
 public:
  AppContext()
      : context_(g_main_context_new()),
        main_loop_(g_main_loop_new(context_, FALSE)) {}
  ~AppContext() {
    g_main_loop_unref(main_loop_);
    g_main_context_unref(context_);
  }
  GMainContext& context() { return *context_; }
  GMainLoop* main_loop() { return main_loop_; }
  // g_main_loop_run, with a GLib timeout (not ours) as a safety net so a
  // broken wake-up fails the test instead of hanging it.
  void run(guint limit_ms = 5000) {
    GSource* limit = g_timeout_source_new(limit_ms);
    g_source_set_callback(
        limit,
        [](gpointer data) -> gboolean {
          auto* self = static_cast<AppContext*>(data);
          self->timed_out_ = true;
          g_main_loop_quit(self->main_loop_);
          return G_SOURCE_REMOVE;
        },
        this, nullptr);
    g_source_attach(limit, context_);
    g_main_loop_run(main_loop_);
    g_source_destroy(limit);
    g_source_unref(limit);
  }
  bool timed_out() const { return timed_out_; }

 private:
  GMainContext* context_;
  GMainLoop* main_loop_;
  bool timed_out_ = false;
};

TEST(GlibLoopTest, RegisteredAsGlib) {
  loop_checks::ExpectRegisteredAs<GlibLoop>("glib");
}

TEST(GlibLoopTest, ApplicationRunsTheWrappedContextWithItsOwnApi) {
  AppContext app;
  GlibLoop loop(app.context());
  EXPECT_EQ(&loop.context(), &app.context());
  std::vector<int> order;
  // An idle source of the application's, beside txaio's work.
  g_main_context_invoke(
      &app.context(),
      [](gpointer data) -> gboolean {
        static_cast<std::vector<int>*>(data)->push_back(1);
        return G_SOURCE_REMOVE;
      },
      &order);
  loop.call_soon([&] { order.push_back(2); });
  const absl::Duration start = loop.now();
  Future<void> nap = with_config(loop).sleep(absl::Milliseconds(20));
  add_callbacks(
      nap,
      [&] {
        order.push_back(3);
        EXPECT_GE(loop.now() - start, absl::Milliseconds(20))
            << "timer was early";
        g_main_loop_quit(app.main_loop());
      },
      nullptr);
  app.run();
  EXPECT_FALSE(app.timed_out());
  // GLib orders sources of one priority by when they were attached, not
  // what was queued first: the application's idle and txaio's task both ran,
  // before the timer.
  ASSERT_EQ(order.size(), 3u);
  std::sort(order.begin(), order.begin() + 2);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(GlibLoopTest, WrapsTheDefaultContext) {
  GlibLoop loop(*g_main_context_default());
  EXPECT_EQ(&loop.context(), g_main_context_default());
  bool ran = false;
  loop.call_soon([&] { ran = true; });
  // The application's own iteration of the default context runs it.
  while (!ran) g_main_context_iteration(nullptr, TRUE);
  EXPECT_TRUE(ran);
}

TEST(GlibLoopTest, CallSoonThreadsafeWakesAContextBlockedInPoll) {
  AppContext app;
  GlibLoop loop(app.context());
  std::atomic<bool> ran{false};
  std::thread worker([&] {
    // Let the loop thread block in poll() with nothing to do first.
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    loop.call_soon_threadsafe([&] {
      ran = true;
      g_main_loop_quit(app.main_loop());
    });
  });
  app.run();
  worker.join();
  EXPECT_FALSE(app.timed_out()) << "the wake-up from the worker was lost";
  EXPECT_TRUE(ran);
}

TEST(GlibLoopTest, IdleRunWaitsUntilStoppedFromAnotherThread) {
  GlibLoop loop;
  loop_checks::ExpectIdleRunWaitsUntilStoppedFromAnotherThread(loop);
}

TEST(GlibLoopTest, TimerThatFiresEarlyIsArmedAgain) {
  loop_checks::ExpectTimerFiringEarlyIsArmedAgain<GlibLoop>();
}

TEST(GlibLoopTest, TimersAreNeverEarlyOnGlibsClock) {
  // GLib's own timeouts count from its cached iteration time; ours compare
  // the deadline with CLOCK_MONOTONIC read when the source is checked.
  GlibLoop loop;
  loop_checks::ExpectTimersAreNeverEarly(loop);
  // And GLib's g_get_monotonic_time agrees with our clock (same source).
  const int64_t glib_us = g_get_monotonic_time();
  EXPECT_LT(absl::AbsDuration(absl::Microseconds(glib_us) - loop.now()),
            absl::Milliseconds(50));
}

TEST(GlibLoopTest, CancelledTimerLetsTheContextSleep) {
  GlibLoop loop;
  DelayedCall call = loop.call_later(absl::Milliseconds(5), [] {});
  call.cancel();
  loop.run_until_idle();
  // Nothing of ours is ready or due: a non-blocking iteration finds no work.
  EXPECT_FALSE(g_main_context_pending(&loop.context()));
}

TEST(GlibLoopTest, DestroyedLoopLeavesTheWrappedContextClean) {
  AppContext app;
  auto token = std::make_shared<int>(0);
  bool ran = false;
  DelayedCall call;
  {
    GlibLoop loop(app.context());
    loop.call_soon([&ran, token] { ran = true; });
    loop.call_soon_threadsafe([&ran, token] { ran = true; });
    call =
        loop.call_later(absl::Milliseconds(1), [&ran, token] { ran = true; });
    EXPECT_TRUE(g_main_context_pending(&app.context()));
  }
  EXPECT_EQ(token.use_count(), 1) << "the loop released what it held";
  EXPECT_FALSE(call.active());
  EXPECT_FALSE(g_main_context_pending(&app.context()))
      << "a source of ours is still attached and ready";
  // The application keeps running its context: nothing of ours fires.
  GSource* quit = g_timeout_source_new(20);
  g_source_set_callback(
      quit,
      [](gpointer data) -> gboolean {
        g_main_loop_quit(static_cast<GMainLoop*>(data));
        return G_SOURCE_REMOVE;
      },
      app.main_loop(), nullptr);
  g_source_attach(quit, &app.context());
  g_source_unref(quit);
  app.run();
  EXPECT_FALSE(app.timed_out());
  EXPECT_FALSE(ran);
}

TEST(GlibLoopTest, AThrowingCallbackLosesNothingQueuedAfterIt) {
  AppContext app;
  GlibLoop loop(app.context());
  loop_checks::ExpectAThrowingCallbackLosesNothingQueuedAfterIt(
      loop, [&] { app.run(); }, [&] { g_main_loop_quit(app.main_loop()); });
  EXPECT_FALSE(app.timed_out());
}

}  // namespace
}  // namespace txaio
