#include "core/loop.h"

#include <utility>

#include "core/internal/misuse.h"
#include "core/internal/timer_queue.h"

namespace txaio {
namespace {

// A Task holding the loop's reference on a dispatch: runs it once, or
// discards it if dropped unrun.
class DispatchTask {
 public:
  explicit DispatchTask(internal::ReadyEntry* dispatch) : dispatch_(dispatch) {}
  DispatchTask(DispatchTask&& other) noexcept
      : dispatch_(std::exchange(other.dispatch_, nullptr)) {}
  DispatchTask& operator=(DispatchTask&&) = delete;
  ~DispatchTask() {
    if (dispatch_ != nullptr) dispatch_->discard();
  }

  void operator()() && { std::exchange(dispatch_, nullptr)->run(); }

 private:
  internal::ReadyEntry* dispatch_;
};

}  // namespace

Loop::Loop() { internal::RegisterLiveLoop(this); }
Loop::Loop(const Loop&) { internal::RegisterLiveLoop(this); }
Loop::~Loop() {
  if (TXAIO_MISUSE_CHECKS && suspended_ != nullptr) {
    internal::MisuseAbort(
        "a loop destroys the coroutines suspended on its futures while it "
        "still works",
        "a Loop not derived from LoopBase was destroyed with coroutines "
        "suspended on its futures; call destroy_suspended_coroutines() "
        "first thing in its destructor");
  }
  internal::UnregisterLiveLoop(this);
}

void Loop::destroy_suspended_coroutines() {
  // Destroying one frame may suspend or destroy others (its locals'
  // destructors run): take them one at a time from the head.
  while (suspended_ != nullptr) {
    internal::SuspendedCoroutine& coroutine = *suspended_;
    coroutine.unlink();
    coroutine.destroy_(coroutine);
  }
}

void Loop::dispatch_soon(internal::ReadyEntry& dispatch) {
  call_soon(DispatchTask(&dispatch));
}

DelayedCall::DelayedCall(std::shared_ptr<internal::TimerEntry> entry)
    : entry_(std::move(entry)) {}

bool DelayedCall::cancel() { return entry_ != nullptr && entry_->cancel(); }

bool DelayedCall::active() const {
  return entry_ != nullptr && entry_->active();
}

absl::Duration DelayedCall::when() const {
  return entry_ != nullptr ? entry_->deadline() : absl::ZeroDuration();
}

}  // namespace txaio
