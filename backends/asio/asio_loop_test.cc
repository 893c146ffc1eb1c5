// Unit tests of AsioLoop: owning or wrapping an io_context, running it, and
// tearing down with work still queued.
#include "backends/asio/asio_loop.h"

#include <memory>
#include <thread>
#include <vector>

#include "backends/testing/loop_checks.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/post.hpp"
#include "core/api.h"
#include "gtest/gtest.h"

namespace txaio {
namespace {

TEST(AsioLoopTest, WrapsTheApplicationsIoContext) {
  boost::asio::io_context io;
  AsioLoop loop(io);
  EXPECT_EQ(&loop.io_context(), &io);
  std::vector<int> order;
  boost::asio::post(io, [&] { order.push_back(1); });
  loop.call_soon([&] { order.push_back(2); });
  io.run();  // the application's own run: txaio's work runs there too
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST(AsioLoopTest, RunUntilCompleteReturnsOnceTheFutureIsCalled) {
  AsioLoop loop;
  Future<void> nap = with_config(loop).sleep(absl::Milliseconds(2));
  loop.run_until_complete(nap);
  EXPECT_TRUE(nap.succeeded());
}

TEST(AsioLoopTest, RunUntilIdleDoesNotWaitForTimers) {
  AsioLoop loop;
  bool soon = false;
  bool later = false;
  loop.call_soon([&] { soon = true; });
  DelayedCall call = loop.call_later(absl::Seconds(60), [&] { later = true; });
  EXPECT_GT(loop.run_until_idle(), 0u);
  EXPECT_TRUE(soon);
  EXPECT_FALSE(later);
  EXPECT_TRUE(call.active());
}

TEST(AsioLoopTest, IdleRunWaitsUntilStoppedFromAnotherThread) {
  AsioLoop loop;
  loop_checks::ExpectIdleRunWaitsUntilStoppedFromAnotherThread(loop);
}

TEST(AsioLoopTest, DestroyedLoopLeavesItsQueuedWorkHarmless) {
  boost::asio::io_context io;
  auto token = std::make_shared<int>(0);
  bool ran = false;
  DelayedCall call;
  {
    AsioLoop loop(io);
    loop.call_soon([&ran, token] { ran = true; });
    call = loop.call_later(absl::Milliseconds(1), [token] {});
  }
  EXPECT_EQ(token.use_count(), 1) << "the loop released what it held";
  EXPECT_FALSE(call.active());
  io.run();  // wake-ups the loop posted must find it gone and do nothing
  EXPECT_FALSE(ran);
}

TEST(AsioLoopTest, StopBeforeRunMakesRunReturnAtOnce) {
  AsioLoop loop;
  bool ran = false;
  loop.call_soon([&] { ran = true; });
  loop.stop();
  loop.run();  // would block forever if the stop were lost
  EXPECT_FALSE(ran);
  loop.run_until_idle();  // the stop was consumed: the loop runs again
  EXPECT_TRUE(ran);
}

TEST(AsioLoopTest, RunUntilCompleteThrowsWhenStoppedFirst) {
  AsioLoop loop;
  Future<void> never = with_config(loop).create_future<void>();
  loop.call_soon([&] { loop.stop(); });
  EXPECT_THROW(loop.run_until_complete(never), std::runtime_error);
  Future<void> nap = with_config(loop).sleep(absl::Milliseconds(1));
  loop.run_until_complete(nap);  // usable again afterwards
  EXPECT_TRUE(nap.is_called());
}

TEST(AsioLoopTest, UseAsioSelectsAnAsioLoop) {
  std::shared_ptr<Loop> previous = use_loop(nullptr);
  EXPECT_FALSE(using_asio());
  AsioLoop& loop = use_asio();
  EXPECT_TRUE(using_asio());
  EXPECT_EQ(using_framework(), "asio");
  EXPECT_EQ(&default_loop(), &loop);
  use_loop(std::move(previous));
}

}  // namespace
}  // namespace txaio
