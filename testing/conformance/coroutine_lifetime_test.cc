// Conformance: a destroyed loop drops the coroutines suspended on its
// futures (issue 10, item 10). Their frames are destroyed, so their locals'
// destructors run, instead of leaking: nothing could ever resume them, since
// a future whose loop is gone may not be completed.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "core/coroutine.h"
#include "testing/conformance/fixture.h"

namespace txaio::conformance {
namespace {

// Counts its own destruction; optionally does something on the loop from
// its destructor (which then runs while the loop is being destroyed).
class Local {
 public:
  Local(std::vector<std::string>* log, std::string name)
      : log_(log), name_(std::move(name)) {}
  Local(const Local&) = delete;
  Local& operator=(const Local&) = delete;
  ~Local() {
    if (on_destroy) on_destroy();
    log_->push_back(name_);
  }
  absl::AnyInvocable<void()> on_destroy;

 private:
  std::vector<std::string>* log_;
  std::string name_;
};

// Suspended on a sleep: the future is held by the loop's timer and the frame.
Future<void> Sleeps(Api txa, std::vector<std::string>* log) {
  Local local(log, "sleeps");
  co_await txa.sleep(1000.0);
  log->push_back("sleeps resumed");
}

// Suspended on a future that only its own frame holds (a cycle through the
// future's callbacks, were the frame owned by them).
Future<int> AwaitsItsOwn(Api txa, std::vector<std::string>* log) {
  Local local(log, "awaits its own");
  Future<int> mine = txa.create_future<int>();
  co_return co_await mine;
}

// Suspended on another coroutine's future, on the same loop.
Future<int> AwaitsACoroutine(Api txa, std::vector<std::string>* log) {
  Local local(log, "awaits a coroutine");
  co_return 1 + co_await AwaitsItsOwn(txa, log);
}

// Whose local, when destroyed, uses the loop being destroyed: completes a
// future with callbacks (a dispatch is queued), schedules a call and a timer
// and cancels another timer.
Future<void> TouchesTheLoopWhenDestroyed(Api txa, Future<int> gate,
                                         std::vector<std::string>* log) {
  DelayedCall timer = txa.call_later(500.0, [] {});
  Future<int> other = txa.create_future<int>();
  other.add_callbacks([](int) {}, nullptr);
  Local local(log, "touches the loop");
  local.on_destroy = [txa, timer, other]() mutable {
    other.resolve(3);
    txa.loop().call_soon([] {});
    txa.call_later(1.0, [] {});
    timer.cancel();
  };
  co_await gate;
  log->push_back("touches the loop resumed");
}

TEST_F(ConformanceTest, DestroyingALoopDestroysTheCoroutinesSuspendedOnIt) {
  std::vector<std::string> log;
  std::unique_ptr<TestLoop> doomed = MakeTestLoop();
  Api txa = with_config(doomed->loop());
  Future<int> gate = txa.create_future<int>();
  {
    // The coroutines' own futures are dropped: nothing holds the frames.
    Sleeps(txa, &log);
    AwaitsACoroutine(txa, &log);
    TouchesTheLoopWhenDestroyed(txa, gate, &log);
  }
  doomed->run_until_idle();
  EXPECT_TRUE(log.empty()) << "all three are suspended";
  // Completed, but the dispatch that would resume the coroutine never runs.
  gate.resolve(1);
  gate = Future<int>();
  doomed.reset();
  std::vector<std::string> sorted = log;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted,
            (std::vector<std::string>{"awaits a coroutine", "awaits its own",
                                      "sleeps", "touches the loop"}))
      << "every frame was destroyed, none resumed";
  EXPECT_TRUE(unhandled().empty());
}

// A coroutine suspended on a future of the destroyed loop whose own future
// belongs to a loop that lives on: the frame goes, and its future is
// cancelled, so that whoever awaits it on the living loop goes on.
Future<int> AwaitsOnAnotherLoop(Future<int> elsewhere,
                                std::vector<std::string>* log) {
  Local local(log, "awaits on another loop");
  co_return co_await elsewhere;
}

Future<void> AwaitsTheOrphan(Future<int> orphan,
                             std::vector<std::string>* log) {
  try {
    co_await orphan;
    log->push_back("orphan succeeded");
  } catch (const CancelledError& e) {
    log->push_back(std::string("orphan cancelled: ") + e.what());
  }
}

TEST_F(ConformanceTest, ACoroutineOfALivingLoopDroppedWithAnotherIsCancelled) {
  std::vector<std::string> log;
  std::unique_ptr<TestLoop> doomed = MakeTestLoop();
  // The coroutine's future is made on its first Loop& / Api parameter: none
  // here, so on the default loop (this case's loop), which lives on.
  Future<int> orphan = AwaitsOnAnotherLoop(
      with_config(doomed->loop()).create_future<int>(), &log);
  ASSERT_EQ(&orphan.loop(), &loop());
  Future<void> waiter = AwaitsTheOrphan(orphan, &log);
  run_until_idle();
  EXPECT_TRUE(log.empty());
  doomed.reset();
  EXPECT_EQ(log, (std::vector<std::string>{"awaits on another loop"}));
  EXPECT_TRUE(orphan.is_cancelled());
  run_until_idle();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[1].rfind("orphan cancelled: ", 0), 0u) << log[1];
  EXPECT_TRUE(waiter.is_called());
  EXPECT_TRUE(unhandled().empty());
}

}  // namespace
}  // namespace txaio::conformance
