// Runs the conformance suite on ManualLoop.
#include <memory>

#include "backends/manual/manual_loop.h"
#include "gtest/gtest.h"
#include "testing/conformance/conformance.h"

namespace {

class ManualTestLoop : public txaio::conformance::TestLoop {
 public:
  txaio::Loop& loop() override { return loop_; }
  void run_until_idle() override { loop_.run_until_idle(); }
  void advance(absl::Duration delta) override { loop_.advance(delta); }

 private:
  txaio::ManualLoop loop_;
};

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  txaio::conformance::SetTestLoopFactory(
      [] { return std::make_unique<ManualTestLoop>(); });
  return RUN_ALL_TESTS();
}
