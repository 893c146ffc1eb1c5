// Test helpers (txaio.testutil).
//
//   txaio::ManualLoop clock;
//   {
//     auto guard = txaio::testutil::replace_loop(clock);
//     txaio::call_later(5.0, fire);
//     clock.advance(absl::Seconds(10));   // fire() has run
//   }  // the previous default loop is back, even if the block threw
#ifndef TXAIO_CORE_TESTUTIL_H_
#define TXAIO_CORE_TESTUTIL_H_

#include <memory>

#include "core/loop.h"

namespace txaio::testutil {

// Makes a loop the default for its lifetime and restores the previous
// default (or none) when destroyed, exception or not.
class [[nodiscard]] LoopReplacement {
 public:
  // `loop` must outlive the guard.
  explicit LoopReplacement(Loop& loop);
  ~LoopReplacement();
  LoopReplacement(const LoopReplacement&) = delete;
  LoopReplacement& operator=(const LoopReplacement&) = delete;

 private:
  std::shared_ptr<Loop> previous_;
};

// txaio.testutil.replace_loop: `auto guard = replace_loop(loop);`
[[nodiscard]] inline LoopReplacement replace_loop(Loop& loop) {
  return LoopReplacement(loop);
}

}  // namespace txaio::testutil

#endif  // TXAIO_CORE_TESTUTIL_H_
