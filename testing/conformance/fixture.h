// Internal to the conformance suite: the fixture every case uses.
#ifndef TXAIO_TESTING_CONFORMANCE_FIXTURE_H_
#define TXAIO_TESTING_CONFORMANCE_FIXTURE_H_

#include <memory>
#include <vector>

#include "core/testutil.h"
#include "core/txaio.h"
#include "gtest/gtest.h"
#include "testing/conformance/conformance.h"

namespace txaio::conformance {

std::unique_ptr<TestLoop> MakeTestLoop();

// Gives each case a fresh loop, installed as the default loop, and records
// every unhandled failure instead of printing it.
class ConformanceTest : public ::testing::Test {
 protected:
  ConformanceTest();
  ~ConformanceTest() override;

  Loop& loop() { return test_loop_->loop(); }
  // The loop's run interface, or null (see TestLoop::runnable()).
  RunnableLoop* runnable() { return test_loop_->runnable(); }
  Api api() { return with_config(loop()); }
  void run_until_idle() { test_loop_->run_until_idle(); }
  void advance(absl::Duration delta) { test_loop_->advance(delta); }

  // Messages (failure_message) of the failures reported as unhandled.
  const std::vector<std::string>& unhandled() const { return *unhandled_; }

 private:
  std::unique_ptr<TestLoop> test_loop_;
  testutil::LoopReplacement replacement_;
  std::shared_ptr<std::vector<std::string>> unhandled_;
  UnhandledFailureHandler previous_handler_;
};

// Deselects every framework for its lifetime, restoring the previous one.
class NoFrameworkSelected {
 public:
  NoFrameworkSelected() : previous_(use_loop(nullptr)) {}
  ~NoFrameworkSelected() { use_loop(std::move(previous_)); }

 private:
  std::shared_ptr<Loop> previous_;
};

}  // namespace txaio::conformance

#endif  // TXAIO_TESTING_CONFORMANCE_FIXTURE_H_
