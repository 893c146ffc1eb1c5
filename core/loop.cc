#include "core/loop.h"

#include "core/internal/timer_queue.h"

namespace txaio {

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
