// Runs the conformance suite on AsioLoop.
#include <memory>

#include "backends/asio/asio_loop.h"
#include "gtest/gtest.h"
#include "testing/conformance/conformance.h"

namespace {

class AsioTestLoop : public txaio::conformance::TestLoop {
 public:
  txaio::Loop& loop() override { return loop_; }
  void run_until_idle() override { loop_.run_until_idle(); }
  void advance(absl::Duration delta) override {
    // Timer wake-ups are coalesced to millisecond boundaries: allow one more.
    loop_.run_for(delta + absl::Milliseconds(1));
    loop_.run_until_idle();
  }

 private:
  txaio::AsioLoop loop_;
};

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  txaio::conformance::SetTestLoopFactory(
      [] { return std::make_unique<AsioTestLoop>(); });
  return RUN_ALL_TESTS();
}
