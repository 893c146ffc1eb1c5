// Conformance: gather, with and without consume_exceptions.
#include <memory>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "testing/conformance/fixture.h"

namespace txaio::conformance {
namespace {

// The gathered results once the future succeeded; fails the test otherwise.
template <typename Results>
Results ResultsOf(Future<Results>& gathered) {
  EXPECT_TRUE(gathered.succeeded());
  if (!gathered.succeeded()) return {};
  return gathered.value();
}

TEST_F(ConformanceTest, GatherKeepsInputOrderWhateverTheCompletionOrder) {
  std::vector<Future<int>> parts = {create_future<int>(), create_future<int>(),
                                    create_future<int>()};
  auto gathered = gather(parts);
  resolve(parts[2], 30);
  resolve(parts[0], 10);
  run_until_idle();
  EXPECT_FALSE(is_called(gathered)) << "one input is still pending";
  resolve(parts[1], 20);
  run_until_idle();
  std::vector<Outcome<int>> results = ResultsOf(gathered);
  ASSERT_EQ(results.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(results[i].index(), 0u) << i;
    EXPECT_EQ(std::get<0>(results[i]), 10 * (i + 1));
  }
}

TEST_F(ConformanceTest, GatherDeliversToCallbacksFromTheLoop) {
  std::vector<Future<std::string>> parts = {
      create_future_success(std::string("a")),
      create_future_success(std::string("b"))};
  auto gathered = gather(parts);
  std::vector<std::string> seen;
  add_callbacks(
      gathered,
      [&](const std::vector<Outcome<std::string>>& results) {
        for (const auto& r : results) seen.push_back(std::get<0>(r));
      },
      nullptr);
  EXPECT_TRUE(seen.empty());
  run_until_idle();
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b"}));
}

TEST_F(ConformanceTest, GatherListsFailuresAsFailureEntries) {
  std::vector<Future<int>> parts = {create_future<int>(), create_future<int>(),
                                    create_future<int>()};
  auto gathered = gather(parts, /*consume_exceptions=*/true);
  resolve(parts[0], 1);
  reject(parts[1], std::runtime_error("middle failed"));
  resolve(parts[2], 3);
  run_until_idle();
  std::vector<Outcome<int>> results = ResultsOf(gathered);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(std::get<0>(results[0]), 1);
  ASSERT_EQ(results[1].index(), 1u);
  EXPECT_EQ(failure_message(std::get<1>(results[1])),
            "std::runtime_error: middle failed");
  EXPECT_EQ(std::get<0>(results[2]), 3);
  EXPECT_TRUE(unhandled().empty()) << "gather consumed the failure";
}

TEST_F(ConformanceTest, GatherWithoutConsumingFailsOnTheFirstFailure) {
  std::vector<Future<int>> parts = {create_future<int>(), create_future<int>(),
                                    create_future<int>()};
  auto gathered = gather(parts, /*consume_exceptions=*/false);
  std::vector<std::string> seen;
  add_callbacks(
      gathered, [&](const std::vector<Outcome<int>>&) { seen.push_back("ok"); },
      [&](const Failure& e) { seen.push_back(failure_message(e)); });
  // parts[2] fails first in time although it is last in the input.
  reject(parts[2], std::runtime_error("first in time"));
  run_until_idle();
  EXPECT_TRUE(is_called(gathered)) << "no need to wait for the others";
  reject(parts[0], std::runtime_error("second in time"));
  resolve(parts[1], 2);
  run_until_idle();
  EXPECT_EQ(seen,
            (std::vector<std::string>{"std::runtime_error: first in time"}));
}

TEST_F(ConformanceTest, GatherOfNothingResolvesToAnEmptyList) {
  auto gathered = gather(std::vector<Future<int>>{});
  EXPECT_TRUE(is_called(gathered));
  bool called = false;
  size_t size = 99;
  add_callbacks(
      gathered,
      [&](const std::vector<Outcome<int>>& results) {
        called = true;
        size = results.size();
      },
      nullptr);
  run_until_idle();
  EXPECT_TRUE(called);
  EXPECT_EQ(size, 0u);
}

TEST_F(ConformanceTest, GatherOfVoidFutures) {
  std::vector<Future<void>> parts = {create_future<void>(),
                                     create_future<void>()};
  auto gathered = gather(parts);
  resolve(parts[1]);
  reject(parts[0], std::runtime_error("void part"));
  run_until_idle();
  std::vector<Outcome<void>> results = ResultsOf(gathered);
  ASSERT_EQ(results.size(), 2u);
  ASSERT_EQ(results[0].index(), 1u);
  EXPECT_EQ(std::get<1>(results[0]).message(), "void part");
  EXPECT_TRUE(std::holds_alternative<std::monostate>(results[1]));
}

TEST_F(ConformanceTest, GatherOfAlreadyCalledFutures) {
  std::vector<Future<int>> parts = {
      create_future_success(5),
      create_future_error<int>(Failure(std::runtime_error("early")))};
  auto gathered = gather(parts);
  EXPECT_FALSE(is_called(gathered)) << "results come from the loop";
  run_until_idle();
  std::vector<Outcome<int>> results = ResultsOf(gathered);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(std::get<0>(results[0]), 5);
  EXPECT_EQ(std::get<1>(results[1]).message(), "early");
}

TEST_F(ConformanceTest, GatherCountsCancelledInputsAsFailures) {
  std::vector<Future<int>> parts = {create_future<int>(), create_future<int>()};
  auto gathered = gather(parts);
  cancel(parts[0], "not needed");
  resolve(parts[1], 2);
  run_until_idle();
  std::vector<Outcome<int>> results = ResultsOf(gathered);
  ASSERT_EQ(results.size(), 2u);
  ASSERT_EQ(results[0].index(), 1u);
  EXPECT_TRUE(std::get<1>(results[0]).is<CancelledError>());
  EXPECT_EQ(std::get<0>(results[1]), 2);
}

TEST_F(ConformanceTest, CancellingTheGatheredFutureIgnoresLaterResults) {
  std::vector<Future<int>> parts = {create_future<int>(), create_future<int>()};
  auto gathered = gather(parts);
  std::string seen;
  add_callbacks(
      gathered, [&](const std::vector<Outcome<int>>&) { seen = "results"; },
      [&](const Failure& e) { seen = e.type_name(); });
  EXPECT_TRUE(cancel(gathered));
  resolve(parts[0], 1);
  reject(parts[1], std::runtime_error("after cancel"));
  EXPECT_NO_THROW(run_until_idle());
  EXPECT_EQ(seen, "txaio::CancelledError");
  EXPECT_TRUE(unhandled().empty());
}

TEST_F(ConformanceTest, GatherThroughWithConfigRunsOnThatLoop) {
  std::unique_ptr<TestLoop> other = MakeTestLoop();
  Api api = with_config(other->loop());
  std::vector<Future<int>> parts = {api.create_future_success(1),
                                    api.create_future_success(2)};
  auto gathered = gather(api, parts);
  EXPECT_EQ(&gathered.loop(), &other->loop());
  other->run_until_idle();
  std::vector<Outcome<int>> results = ResultsOf(gathered);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(std::get<0>(results[1]), 2);
}

}  // namespace
}  // namespace txaio::conformance
