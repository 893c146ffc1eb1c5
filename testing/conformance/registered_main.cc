// The conformance suite's main for a backend in the registry: the backend's
// test links its library and passes --loop=NAME (see conformance.bzl), so a
// backend adds no code to be tested.
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "core/loop_registry.h"
#include "gtest/gtest.h"
#include "testing/conformance/conformance.h"

namespace {

// Drives any RunnableLoop through its run interface.
class RegisteredTestLoop : public txaio::conformance::TestLoop {
 public:
  explicit RegisteredTestLoop(const std::string& name)
      : loop_(txaio::make_loop(name)) {}

  txaio::Loop& loop() override { return *loop_; }
  txaio::RunnableLoop* runnable() override { return loop_.get(); }
  void run_until_idle() override { loop_->run_until_idle(); }
  void advance(absl::Duration delta) override {
    loop_->run_for(delta);
    loop_->run_until_idle();
  }

 private:
  std::unique_ptr<txaio::RunnableLoop> loop_;
};

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  std::string name;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--loop=", 7) == 0) name = argv[i] + 7;
  }
  if (name.empty()) {
    std::fprintf(stderr, "usage: %s --loop=NAME [gtest flags]\n", argv[0]);
    return 2;
  }
  // Fails here, naming the linked backends, rather than in every case.
  txaio::make_loop(name);
  txaio::conformance::SetTestLoopFactory(
      [name] { return std::make_unique<RegisteredTestLoop>(name); });
  return RUN_ALL_TESTS();
}
