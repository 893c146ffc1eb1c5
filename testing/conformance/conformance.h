// The conformance suite's seam: what a backend supplies to run it.
//
// Like gRPC's EventEngine suite, the tests are written once against
// txaio::Loop and the core API; each backend links them with a factory
// (see backends/*/..._conformance_test.cc) and nothing else.
#ifndef TXAIO_TESTING_CONFORMANCE_CONFORMANCE_H_
#define TXAIO_TESTING_CONFORMANCE_CONFORMANCE_H_

#include <functional>
#include <memory>

#include "absl/time/time.h"
#include "core/loop.h"
#include "core/runnable_loop.h"

namespace txaio::conformance {

// A backend's loop as the suite drives it.
class TestLoop {
 public:
  virtual ~TestLoop() = default;
  virtual Loop& loop() = 0;
  // The same loop's run interface, or null for a loop that another
  // framework runs (the Python loop adapter); cases of the run interface
  // skip then.
  virtual RunnableLoop* runnable() { return nullptr; }
  // Runs everything that is ready now, and what that makes ready, without
  // letting time pass on purpose.
  virtual void run_until_idle() = 0;
  // Lets at least `delta` pass on the loop's clock, running what comes due,
  // then run_until_idle(). A real clock may let a little more pass.
  virtual void advance(absl::Duration delta) = 0;
};

using TestLoopFactory = std::function<std::unique_ptr<TestLoop>()>;

// Called once by a backend's test main before RUN_ALL_TESTS.
void SetTestLoopFactory(TestLoopFactory factory);

}  // namespace txaio::conformance

#endif  // TXAIO_TESTING_CONFORMANCE_CONFORMANCE_H_
