#include "testing/conformance/fixture.h"

#include <utility>

namespace txaio::conformance {
namespace {

TestLoopFactory& Factory() {
  static TestLoopFactory* factory = new TestLoopFactory;
  return *factory;
}

}  // namespace

void SetTestLoopFactory(TestLoopFactory factory) {
  Factory() = std::move(factory);
}

std::unique_ptr<TestLoop> MakeTestLoop() {
  if (!Factory()) {
    ADD_FAILURE() << "no backend called SetTestLoopFactory()";
    std::abort();
  }
  return Factory()();
}

ConformanceTest::ConformanceTest()
    : test_loop_(MakeTestLoop()),
      replacement_(test_loop_->loop()),
      unhandled_(std::make_shared<std::vector<std::string>>()) {
  previous_handler_ = set_unhandled_failure_handler(
      [sink = unhandled_](const Failure& failure) {
        sink->push_back(failure_message(failure));
      });
}

ConformanceTest::~ConformanceTest() {
  set_unhandled_failure_handler(std::move(previous_handler_));
}

}  // namespace txaio::conformance
