// txaio-cpp used from a workspace with its own rules_cc and GoogleTest.
#include <string>
#include <variant>
#include <vector>

#include "absl/time/time.h"
#include "backends/asio/asio_loop.h"
#include "backends/manual/manual_loop.h"
#include "core/testutil.h"
#include "core/txaio.h"
#include "gtest/gtest.h"

namespace {

TEST(OwnDeps, BuiltWithThisWorkspacesRulesCc) {
  EXPECT_EQ(std::string(RULES_CC_OWNER), "bazel_consumer_own_deps");
}

TEST(OwnDeps, GatherOnTheManualClockKeepsInputOrder) {
  txaio::ManualLoop clock;
  auto guard = txaio::testutil::replace_loop(clock);
  txaio::Future<int> slow = txaio::create_future<int>();
  txaio::Future<int> fast = txaio::create_future<int>();
  txaio::call_later(2.0, [slow]() mutable { slow.resolve(2); });
  txaio::call_later(1.0, [fast]() mutable { fast.resolve(1); });
  auto all = txaio::gather(std::vector<txaio::Future<int>>{slow, fast});

  clock.advance(absl::Seconds(1));
  EXPECT_FALSE(all.is_called());
  clock.advance(absl::Seconds(1));
  ASSERT_TRUE(all.succeeded());
  ASSERT_EQ(all.value().size(), 2u);
  EXPECT_EQ(std::get<int>(all.value()[0]), 2);
  EXPECT_EQ(std::get<int>(all.value()[1]), 1);
}

TEST(OwnDeps, SleepCompletesOnTheAsioBackend) {
  txaio::AsioLoop loop;
  auto guard = txaio::testutil::replace_loop(loop);
  txaio::Future<void> nap = txaio::sleep(0.001);
  loop.run_until_complete(nap);
  EXPECT_TRUE(nap.succeeded());
  EXPECT_EQ(txaio::using_framework(), "asio");
}

}  // namespace
