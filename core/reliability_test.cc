// Regression tests of the core's reliability items (issue 10,
// docs/reliability.md): the thread-local block cache after thread exit
// (item 6), an unhandled-failure handler that reports again (item 7), one
// delay rule with one message (item 12), and the misuse that debug builds
// detect (a foreign thread, destroying a running loop, a future outliving
// its loop), as death tests.
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "backends/manual/manual_loop.h"
#include "core/batched_timer.h"
#include "core/coroutine.h"
#include "core/errors.h"
#include "core/future.h"
#include "core/internal/misuse.h"
#include "core/unhandled.h"
#include "gtest/gtest.h"

namespace txaio {
namespace {

// The message of what `fn` throws as std::invalid_argument ("" if nothing).
template <typename F>
std::string InvalidArgument(F&& fn) {
  try {
    fn();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

// ---------------------------------------------------------------- item 12

TEST(DelayRuleTest, EveryDelaySaysWhatWasGivenAndWhatIsAccepted) {
  ManualLoop loop;
  Api api(loop);
  std::string m = InvalidArgument([&] { api.call_later(1e300, [] {}); });
  EXPECT_TRUE(absl::StrContains(m, "got 1e+300")) << m;
  EXPECT_TRUE(absl::StrContains(m, "from 0 to 1e+09")) << m;
  m = InvalidArgument([&] { api.call_later(std::nan(""), [] {}); });
  EXPECT_TRUE(absl::StrContains(m, "got nan")) << m;
  m = InvalidArgument([&] { api.call_later(-1.0, [] {}); });
  EXPECT_TRUE(absl::StrContains(m, "got -1")) << m;
  // Not silently clamped any more.
  m = InvalidArgument([&] { api.call_later(1e15, [] {}); });
  EXPECT_TRUE(absl::StrContains(m, "got 1e+15")) << m;
  m = InvalidArgument([&] { loop.call_later(absl::Seconds(1e15), [] {}); });
  EXPECT_TRUE(absl::StrContains(m, "from 0 to 1e+09")) << m;
  m = InvalidArgument([&] { api.sleep(1e10); });
  EXPECT_TRUE(absl::StrContains(m, "sleep: delay must be")) << m;
  m = InvalidArgument([&] { loop.run_for(absl::Seconds(1e10)); });
  EXPECT_TRUE(absl::StrContains(m, "run_for: delay must be")) << m;
  EXPECT_EQ(loop.pending_timers(), 0u);
  // The limit itself is accepted, everywhere.
  EXPECT_NO_THROW(api.call_later(1e9, [] {}).cancel());
}

TEST(DelayRuleTest, BatchedTimersFollowTheSameRule) {
  ManualLoop loop;
  std::string m = InvalidArgument([&] { make_batched_timer(loop, 1e-10, 10); });
  EXPECT_TRUE(absl::StrContains(m, "got 1e-10")) << m;
  EXPECT_TRUE(absl::StrContains(m, "from 1e-09 (1 ns)")) << m;
  m = InvalidArgument([&] { make_batched_timer(loop, 1e300, 10); });
  EXPECT_TRUE(absl::StrContains(m, "got 1e+300")) << m;
  BatchedTimer timer = make_batched_timer(loop, 1.0, 10);
  m = InvalidArgument([&] { timer.call_later(5e9, [] {}); });
  EXPECT_TRUE(absl::StrContains(m, "BatchedTimer::call_later: delay must be"))
      << m;
  EXPECT_TRUE(absl::StrContains(m, "from 0 to 1e+09")) << m;
  m = InvalidArgument([&] { timer.call_later(std::nan(""), [] {}); });
  EXPECT_TRUE(absl::StrContains(m, "got nan")) << m;
  EXPECT_NO_THROW(timer.call_later(1e9, [] {}).cancel());
}

// A loop whose clock is broken (a binding's clock that read NaN seconds).
class BrokenClockLoop : public ManualLoop {
 public:
  absl::Duration now() const override { return absl::InfiniteDuration(); }
};

TEST(DelayRuleTest, ABrokenClockIsNamedAsSuch) {
  BrokenClockLoop loop;
  BatchedTimer timer = make_batched_timer(loop, 1.0, 10);
  std::string m = InvalidArgument([&] { timer.call_later(5.0, [] {}); });
  EXPECT_TRUE(absl::StrContains(m, "the loop's clock reads inf")) << m;
  EXPECT_FALSE(absl::StrContains(m, "delay too large")) << m;
}

// ---------------------------------------------------------------- item 6

// Releases a future when its thread's thread_locals are destroyed.
struct ReleaseAtThreadExit {
  std::unique_ptr<Future<int>> future;
  ~ReleaseAtThreadExit() { future.reset(); }
};

TEST(BlockCacheTest, FutureReleasedAfterTheThreadsCacheIsGone) {
  ManualLoop loop;
  std::thread thread([&loop] {
    // Constructed before the block cache, so destroyed after it.
    thread_local ReleaseAtThreadExit holder;
    holder.future = std::make_unique<Future<int>>(loop);
    // Another future's block goes into this thread's cache.
    { Future<int> other(loop); }
  });
  thread.join();
}

TEST(BlockCacheDeathTest, FutureReleasedByAnAtexitHandler) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        static ManualLoop* loop = new ManualLoop;
        static Future<int>* future = new Future<int>(*loop);
        { Future<int> warm(*loop); }  // the cache exists and holds a block
        std::atexit([] { delete future; });
        std::exit(3);
      },
      ::testing::ExitedWithCode(3), "");
}

// ---------------------------------------------------------------- item 7

// The child of the test below: exits 0 if every failure was reported once,
// in order, and replacing the handler from inside it was refused.
[[noreturn]] void ReportFromInsideTheHandler() {
  alarm(10);  // the bug was a deadlock
  ManualLoop loop;
  auto second = std::make_shared<std::optional<Future<int>>>();
  second->emplace(loop);
  (*second)->reject(Failure(std::runtime_error("second")));
  std::vector<std::string> seen;
  UnhandledFailureHandler previous =
      set_unhandled_failure_handler([&seen, second](const Failure& f) {
        seen.push_back(failure_message(f));
        // Drops the last handle on another failed future: it reports from
        // inside this handler.
        second->reset();
        try {
          set_unhandled_failure_handler(nullptr);
          seen.push_back("replaced");
        } catch (const UsageError&) {
          seen.push_back("refused");
        }
      });
  {
    Future<int> first(loop);
    first.reject(Failure(std::runtime_error("first")));
  }
  set_unhandled_failure_handler(std::move(previous));
  const std::vector<std::string> expected = {
      "std::runtime_error: first", "refused", "std::runtime_error: second",
      "refused"};
  std::exit(seen == expected ? 0 : 1);
}

TEST(UnhandledReentryDeathTest, HandlerDroppingAnotherFailedFuture) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(ReportFromInsideTheHandler(), ::testing::ExitedWithCode(0), "");
}

// ------------------------------------------------- found by the fuzzers

TEST(CancelTest, CancellerMayDestroyTheHandleCancelWasCalledOn) {
  ManualLoop loop;
  std::optional<Future<int>> handle;
  bool cancelled = false;
  handle.emplace(loop, [&handle](Future<int>&) { handle.reset(); });
  Future<int> other = *handle;
  other.add_callbacks(nullptr, [&](const Failure&) { cancelled = true; });
  EXPECT_TRUE(handle->cancel());
  EXPECT_FALSE(handle.has_value());
  loop.run_until_idle();
  EXPECT_TRUE(cancelled);
  EXPECT_TRUE(other.is_cancelled());
}

// ---------------------------------------------------------------- misuse

TEST(MisuseTest, NestedRunsThrowUsageError) {
  ManualLoop loop;
  int threw = 0;
  loop.call_soon([&] {
    try {
      loop.run_until_idle();
    } catch (const UsageError&) {
      ++threw;
    }
    try {
      loop.run_for(absl::Seconds(1));
    } catch (const UsageError&) {
      ++threw;
    }
  });
  loop.run_until_idle();
  EXPECT_EQ(threw, 2);
}

class MisuseDeathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!TXAIO_MISUSE_CHECKS) {
      GTEST_SKIP() << "misuse checks are compiled out (NDEBUG)";
    }
    GTEST_FLAG_SET(death_test_style, "threadsafe");
  }
};

TEST_F(MisuseDeathTest, CallFromAThreadThatIsNotTheLoops) {
  EXPECT_DEATH(
      {
        ManualLoop loop;
        loop.call_soon([&loop] {
          std::thread other([&loop] { loop.call_soon([] {}); });
          other.join();
        });
        loop.run_until_idle();
      },
      "misuse detected: a loop, its futures and its timers are used only "
      "from the thread running the loop");
}

TEST_F(MisuseDeathTest, ResolveFromAThreadThatIsNotTheLoops) {
  EXPECT_DEATH(
      {
        ManualLoop loop;
        Future<int> f(loop);
        f.add_callbacks([](int) {}, nullptr);
        loop.call_soon([&f] {
          std::thread other([&f] { f.resolve(1); });
          other.join();
        });
        loop.run_until_idle();
      },
      "used only from the thread running the loop");
}

TEST_F(MisuseDeathTest, CallSoonThreadsafeFromAnotherThreadIsFine) {
  ManualLoop loop;
  int ran = 0;
  loop.call_soon([&] {
    std::thread other([&] { loop.call_soon_threadsafe([&] { ++ran; }); });
    other.join();
  });
  loop.run_until_idle();
  EXPECT_EQ(ran, 1);
}

TEST_F(MisuseDeathTest, DestroyingALoopFromItsOwnCallback) {
  EXPECT_DEATH(
      {
        auto* loop = new ManualLoop;
        loop->call_soon([loop] { delete loop; });
        loop->run_until_idle();
      },
      "misuse detected: a loop must not be destroyed while it is running");
}

TEST_F(MisuseDeathTest, UsingAFutureAfterItsLoopIsGone) {
  EXPECT_DEATH(
      {
        auto loop = std::make_unique<ManualLoop>();
        Future<int> f(*loop);
        f.add_callbacks([](int) {}, nullptr);
        loop.reset();
        f.resolve(1);
      },
      "misuse detected: a future is used only while its loop is alive");
}

// Issue 10, item 10: coroutines suspended on a destroyed loop's futures.
// The conformance suite (coroutine_lifetime_test) covers every backend,
// whose destructors destroy the frames first thing; these cover the loops
// that do not.

// Counts its destruction; its destructor uses the loop (see below).
struct LoopUsingLocal {
  Loop* loop;
  int* destroyed;
  ~LoopUsingLocal() {
    ++*destroyed;
    Future<int> other(*loop);
    other.add_callbacks([](int) {}, nullptr);
    other.resolve(1);  // a dispatch, queued and dropped
    loop->call_soon([] {});
    loop->call_later(absl::Seconds(1), [] {});  // dropped: no clock now
  }
};

Future<int> SuspendsOn(Loop& loop, Future<int> awaited, int* destroyed) {
  LoopUsingLocal local{&loop, destroyed};
  co_return co_await awaited;
}

// A LoopBase whose destructor does not destroy the suspended coroutines (as
// the Python adapter's did not): ~LoopBase does, with the backend gone.
class ForgetfulLoop : public LoopBase {
 public:
  std::string_view framework() const override { return "forgetful"; }
  absl::Duration now() const override { return absl::ZeroDuration(); }
  void run() { run_once(); }

 protected:
  void wake_up() override {}
  void wake_at(absl::Duration) override {}
};

TEST(SuspendedCoroutineTest, LoopBaseDestroysThemWhenTheBackendDidNot) {
  int destroyed = 0;
  auto loop = std::make_unique<ForgetfulLoop>();
  Future<int> never(*loop);
  {
    // One on a future only the test holds, one on a future a timer holds.
    SuspendsOn(*loop, never, &destroyed);
    Future<int> later(*loop);
    loop->call_later(absl::Seconds(1), [later]() mutable { later.resolve(2); });
    SuspendsOn(*loop, later, &destroyed);
  }
  loop->run();
  never = Future<int>();
  loop.reset();  // no pure virtual call, no leak (ASan)
  EXPECT_EQ(destroyed, 2);
}

// A Loop that is not a LoopBase and does not destroy them itself.
class BareLoop : public Loop {
 public:
  std::string_view framework() const override { return "bare"; }
  absl::Duration now() const override { return absl::ZeroDuration(); }
  void call_soon(Task) override {}
  void call_soon_threadsafe(Task) override {}
  DelayedCall call_later(absl::Duration, Task) override { return {}; }
  size_t pending_timers() const override { return 0; }
};

TEST_F(MisuseDeathTest, ABareLoopDestroyedWithCoroutinesSuspendedOnIt) {
  EXPECT_DEATH(
      {
        int destroyed = 0;
        auto loop = std::make_unique<BareLoop>();
        ManualLoop own;
        Future<int> never(*loop);
        SuspendsOn(own, never, &destroyed);
        never = Future<int>();
        loop.reset();
      },
      "misuse detected: a loop destroys the coroutines suspended on its "
      "futures while it still works");
}

}  // namespace
}  // namespace txaio
