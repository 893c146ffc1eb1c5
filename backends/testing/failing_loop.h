// A test double: a loop whose call_later fails on demand, for checking that
// nothing already scheduled is lost when the loop refuses a timer.
#ifndef TXAIO_BACKENDS_TESTING_FAILING_LOOP_H_
#define TXAIO_BACKENDS_TESTING_FAILING_LOOP_H_

#include <cstddef>
#include <new>
#include <string_view>
#include <utility>

#include "absl/time/time.h"
#include "backends/manual/manual_loop.h"
#include "core/loop.h"

namespace txaio::loop_checks {

// A ManualLoop (`inner`, advanced by the test) whose call_later throws
// std::bad_alloc while `fail` is set, as an allocation failure would.
class FailingLoop : public Loop {
 public:
  std::string_view framework() const override { return "failing"; }
  absl::Duration now() const override { return inner.now(); }
  void call_soon(Task task) override { inner.call_soon(std::move(task)); }
  void call_soon_threadsafe(Task task) override {
    inner.call_soon_threadsafe(std::move(task));
  }
  DelayedCall call_later(absl::Duration delay, Task task) override {
    if (fail) throw std::bad_alloc();
    return inner.call_later(delay, std::move(task));
  }
  size_t pending_timers() const override { return inner.pending_timers(); }

  ManualLoop inner;
  bool fail = false;
};

}  // namespace txaio::loop_checks

#endif  // TXAIO_BACKENDS_TESTING_FAILING_LOOP_H_
