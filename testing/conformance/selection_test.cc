// Conformance: selecting the framework, with_config, and replace_loop.
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "testing/conformance/fixture.h"

namespace txaio::conformance {
namespace {

// A Loop the suite does not drive: only its identity and name matter.
std::shared_ptr<Loop> Borrow(Loop& loop) {
  return std::shared_ptr<Loop>(&loop, [](Loop*) {});
}

TEST_F(ConformanceTest, UsingFrameworkNamesTheSelectedLoop) {
  EXPECT_EQ(&default_loop(), &loop());
  EXPECT_EQ(using_framework(), loop().framework());
  EXPECT_FALSE(using_framework().empty());
}

TEST_F(ConformanceTest, FreeFunctionsUseTheDefaultLoop) {
  EXPECT_EQ(&create_future<int>().loop(), &loop());
  EXPECT_EQ(&create_future_success().loop(), &loop());
  EXPECT_EQ(&default_api().loop(), &loop());
  Future<void> nap = sleep(60.0);
  EXPECT_EQ(&nap.loop(), &loop());
  cancel(nap);
}

TEST_F(ConformanceTest, EveryLoopCallBeforeASelectionThrowsUsageError) {
  NoFrameworkSelected none;
  EXPECT_EQ(using_framework(), "");
  EXPECT_THROW(default_loop(), UsageError);
  EXPECT_THROW(default_api(), UsageError);
  EXPECT_THROW(create_future<int>(), UsageError);
  EXPECT_THROW(create_future<int>(1, std::nullopt), UsageError);
  EXPECT_THROW(create_future_success(1), UsageError);
  EXPECT_THROW(create_future_success(), UsageError);
  EXPECT_THROW(create_future_error<int>(Failure(std::runtime_error("x"))),
               UsageError);
  EXPECT_THROW(as_future([] { return 1; }), UsageError);
  EXPECT_THROW(call_later(0.001, [] {}), UsageError);
  EXPECT_THROW(sleep(0.001), UsageError);
  EXPECT_THROW(gather(std::vector<Future<int>>{}), UsageError);
}

TEST_F(ConformanceTest, UsageErrorSaysWhatToCall) {
  NoFrameworkSelected none;
  try {
    create_future<int>();
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("use_asio()"), std::string::npos)
        << e.what();
  }
}

TEST_F(ConformanceTest, AsFutureBeforeASelectionDoesNotCallTheFunction) {
  NoFrameworkSelected none;
  bool called = false;
  EXPECT_THROW(as_future([&] { called = true; }), UsageError);
  EXPECT_FALSE(called);
}

TEST_F(ConformanceTest, UseLoopReturnsThePreviousSelection) {
  std::unique_ptr<TestLoop> other = MakeTestLoop();
  std::shared_ptr<Loop> previous = use_loop(Borrow(other->loop()));
  EXPECT_EQ(previous.get(), &loop());
  EXPECT_EQ(&default_loop(), &other->loop());
  std::shared_ptr<Loop> mine = use_loop(std::move(previous));
  EXPECT_EQ(mine.get(), &other->loop());
  EXPECT_EQ(&default_loop(), &loop());
}

TEST_F(ConformanceTest, WithConfigNeedsNoSelection) {
  std::unique_ptr<TestLoop> other = MakeTestLoop();
  NoFrameworkSelected none;
  Api api = with_config(other->loop());
  EXPECT_EQ(&api.loop(), &other->loop());
  Future<int> f = api.create_future<int>();
  int seen = 0;
  add_callbacks(
      f, [&](int v) { seen = v; }, nullptr);
  resolve(f, 17);
  DelayedCall call = api.call_later(0.001, [&] { seen += 1; });
  other->advance(absl::Milliseconds(10));
  EXPECT_EQ(seen, 18);
  EXPECT_FALSE(call.active());
}

TEST_F(ConformanceTest, WithConfigIsIndependentOfTheDefault) {
  std::unique_ptr<TestLoop> other = MakeTestLoop();
  Api api = with_config(other->loop());
  Future<int> on_other = api.create_future_success(1);
  Future<int> on_default = create_future_success(2);
  std::vector<int> seen;
  add_callbacks(
      on_other, [&](int v) { seen.push_back(v); }, nullptr);
  add_callbacks(
      on_default, [&](int v) { seen.push_back(v); }, nullptr);
  run_until_idle();
  EXPECT_EQ(seen, (std::vector<int>{2}));
  other->run_until_idle();
  EXPECT_EQ(seen, (std::vector<int>{2, 1}));
}

TEST_F(ConformanceTest, WithConfigCreateFutureFullForm) {
  std::unique_ptr<TestLoop> other = MakeTestLoop();
  Api api = with_config(other->loop());
  EXPECT_THROW(api.create_future<int>(1, Failure(std::runtime_error("x"))),
               std::invalid_argument);
  Future<int> ok = api.create_future<int>(3, std::nullopt);
  Future<int> bad =
      api.create_future_error<int>(Failure(std::runtime_error("api error")));
  EXPECT_TRUE(ok.succeeded());
  EXPECT_EQ(bad.failure()->message(), "api error");
  EXPECT_EQ(&bad.loop(), &other->loop());
}

TEST_F(ConformanceTest, ReplaceLoopRestoresThePreviousLoop) {
  std::unique_ptr<TestLoop> other = MakeTestLoop();
  {
    auto guard = testutil::replace_loop(other->loop());
    EXPECT_EQ(&default_loop(), &other->loop());
    EXPECT_EQ(&create_future<int>().loop(), &other->loop());
  }
  EXPECT_EQ(&default_loop(), &loop());
}

TEST_F(ConformanceTest, ReplaceLoopNestsAndUnwindsInOrder) {
  std::unique_ptr<TestLoop> a = MakeTestLoop();
  std::unique_ptr<TestLoop> b = MakeTestLoop();
  {
    auto outer = testutil::replace_loop(a->loop());
    {
      auto inner = testutil::replace_loop(b->loop());
      EXPECT_EQ(&default_loop(), &b->loop());
    }
    EXPECT_EQ(&default_loop(), &a->loop());
  }
  EXPECT_EQ(&default_loop(), &loop());
}

TEST_F(ConformanceTest, ReplaceLoopRestoresWhenAnExceptionPassesThrough) {
  std::unique_ptr<TestLoop> other = MakeTestLoop();
  try {
    auto guard = testutil::replace_loop(other->loop());
    ASSERT_EQ(&default_loop(), &other->loop());
    throw std::runtime_error("test body failed");
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "test body failed");
  }
  EXPECT_EQ(&default_loop(), &loop());
  EXPECT_EQ(using_framework(), loop().framework());
}

TEST_F(ConformanceTest, ReplaceLoopWithNothingSelectedRestoresNothing) {
  std::unique_ptr<TestLoop> other = MakeTestLoop();
  NoFrameworkSelected none;
  {
    auto guard = testutil::replace_loop(other->loop());
    EXPECT_EQ(&default_loop(), &other->loop());
  }
  EXPECT_THROW(default_loop(), UsageError);
}

}  // namespace
}  // namespace txaio::conformance
