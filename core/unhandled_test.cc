// Unit tests of the unhandled-failure handler.
#include "core/unhandled.h"

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace txaio {
namespace {

// Installs a handler for the test's lifetime, restoring the previous one.
class HandlerScope {
 public:
  explicit HandlerScope(UnhandledFailureHandler handler)
      : previous_(set_unhandled_failure_handler(std::move(handler))) {}
  ~HandlerScope() { set_unhandled_failure_handler(std::move(previous_)); }

 private:
  UnhandledFailureHandler previous_;
};

TEST(UnhandledTest, InstalledHandlerReceivesReports) {
  std::vector<std::string> seen;
  HandlerScope scope(
      [&](const Failure& f) { seen.push_back(failure_message(f)); });
  report_unhandled_failure(Failure(std::runtime_error("one")));
  report_unhandled_failure(Failure(std::logic_error("two")));
  EXPECT_EQ(seen, (std::vector<std::string>{"std::runtime_error: one",
                                            "std::logic_error: two"}));
}

TEST(UnhandledTest, SetReturnsThePreviousHandler) {
  int first = 0;
  int second = 0;
  HandlerScope scope([&](const Failure&) { ++first; });
  UnhandledFailureHandler previous =
      set_unhandled_failure_handler([&](const Failure&) { ++second; });
  ASSERT_TRUE(previous);
  report_unhandled_failure(Failure(std::runtime_error("x")));
  EXPECT_EQ(second, 1);
  previous(Failure(std::runtime_error("y")));
  EXPECT_EQ(first, 1);
}

TEST(UnhandledTest, DefaultHandlerWritesTheTracebackToStderr) {
  HandlerScope scope(nullptr);  // the default
  testing::internal::CaptureStderr();
  report_unhandled_failure(Failure(std::runtime_error("to stderr")));
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_TRUE(absl::StrContains(err, "txaio: unhandled failure")) << err;
  EXPECT_TRUE(absl::StrContains(err, "Traceback")) << err;
  EXPECT_TRUE(absl::StrContains(err, "std::runtime_error: to stderr")) << err;
}

TEST(UnhandledTest, WhatAHandlerThrowsIsDropped) {
  HandlerScope scope([](const Failure&) { throw std::runtime_error("oops"); });
  EXPECT_NO_THROW(report_unhandled_failure(Failure(std::runtime_error("x"))));
}

TEST(UnhandledTest, ReportsFromManyThreadsAreAllDelivered) {
  // The handler itself is not synchronised: the library serialises calls.
  int count = 0;
  HandlerScope scope([&](const Failure&) { ++count; });
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([] {
      for (int i = 0; i < 100; ++i) {
        report_unhandled_failure(Failure(std::runtime_error("thread")));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(count, 400);
}

}  // namespace
}  // namespace txaio
