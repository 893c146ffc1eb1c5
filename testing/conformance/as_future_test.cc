// Conformance: as_future turns whatever a function does into a future.
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "testing/conformance/fixture.h"

namespace txaio::conformance {
namespace {

int Add(int a, int b) { return a + b; }

TEST_F(ConformanceTest, AsFutureWrapsAReturnedValueAndPassesArguments) {
  Future<int> f = as_future(Add, 2, 3);
  EXPECT_TRUE(f.succeeded());
  int seen = 0;
  add_callbacks(
      f, [&](int v) { seen = v; }, nullptr);
  EXPECT_EQ(seen, 0) << "even an immediate result is delivered from the loop";
  run_until_idle();
  EXPECT_EQ(seen, 5);
}

TEST_F(ConformanceTest, AsFutureOfAVoidFunctionGivesFutureVoid) {
  int calls = 0;
  auto f = as_future([&](int times) { calls += times; }, 4);
  static_assert(std::is_same_v<decltype(f), Future<void>>);
  EXPECT_EQ(calls, 4) << "the function runs now, inside as_future";
  bool done = false;
  add_callbacks(
      f, [&] { done = true; }, nullptr);
  run_until_idle();
  EXPECT_TRUE(done);
}

TEST_F(ConformanceTest, AsFutureTurnsAThrownExceptionIntoAFailure) {
  Future<std::string> f = as_future(
      []() -> std::string { throw std::runtime_error("thrown inside"); });
  EXPECT_TRUE(is_called(f));
  EXPECT_FALSE(f.succeeded());
  std::string seen;
  add_callbacks(f, nullptr,
                [&](const Failure& e) { seen = failure_message(e); });
  run_until_idle();
  EXPECT_EQ(seen, "std::runtime_error: thrown inside");
  EXPECT_TRUE(unhandled().empty());
}

TEST_F(ConformanceTest, AsFutureOfAThrowingVoidFunctionFails) {
  Future<void> f = as_future([] { throw std::length_error("void threw"); });
  std::string seen;
  add_callbacks(
      f, [] {}, [&](const Failure& e) { seen = failure_message(e); });
  run_until_idle();
  EXPECT_EQ(seen, "std::length_error: void threw");
}

TEST_F(ConformanceTest, AsFutureReturnsAReturnedFutureItself) {
  Future<int> inner = create_future<int>();
  Future<int> outer = as_future([&] { return inner; });
  EXPECT_TRUE(outer == inner);
  EXPECT_FALSE(is_called(outer)) << "a pending future stays pending";
  int seen = 0;
  add_callbacks(
      outer, [&](int v) { seen = v; }, nullptr);
  resolve(inner, 31);
  run_until_idle();
  EXPECT_EQ(seen, 31);
}

TEST_F(ConformanceTest, AsFutureOfAFutureFunctionThatThrowsFails) {
  auto f = as_future([]() -> Future<double> {
    throw std::runtime_error("before any future");
  });
  static_assert(std::is_same_v<decltype(f), Future<double>>);
  std::string seen;
  add_callbacks(f, nullptr, [&](const Failure& e) { seen = e.message(); });
  run_until_idle();
  EXPECT_EQ(seen, "before any future");
}

TEST_F(ConformanceTest, AsFutureThroughWithConfigUsesThatLoop) {
  std::unique_ptr<TestLoop> other = MakeTestLoop();
  Future<int> f = with_config(other->loop()).as_future(Add, 1, 1);
  EXPECT_EQ(&f.loop(), &other->loop());
  int seen = 0;
  add_callbacks(
      f, [&](int v) { seen = v; }, nullptr);
  run_until_idle();
  EXPECT_EQ(seen, 0);
  other->run_until_idle();
  EXPECT_EQ(seen, 2);
}

}  // namespace
}  // namespace txaio::conformance
