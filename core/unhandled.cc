#include "core/unhandled.h"

#include <iostream>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "core/errors.h"

namespace txaio {
namespace {

struct HandlerSlot {
  // std::mutex rather than absl::Mutex so that TSan sees it (see loop_base.h).
  std::mutex mutex;
  UnhandledFailureHandler handler ABSL_GUARDED_BY(mutex);
};

HandlerSlot& Slot() {
  static HandlerSlot* slot = new HandlerSlot;
  return *slot;
}

}  // namespace

namespace {

// Set while this thread runs the handler. A handler that drops the last
// reference to another failed future reports again from inside itself: that
// failure is queued here and handed to the handler once it returns, instead
// of locking the handler's mutex a second time (a deadlock).
thread_local std::vector<Failure>* t_reentered = nullptr;

void CallHandler(HandlerSlot& slot, const Failure& failure)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(slot.mutex) {
  try {
    if (slot.handler) {
      slot.handler(failure);
    } else {
      std::cerr << "txaio: unhandled failure\n"
                << failure_format_traceback(failure) << std::flush;
    }
  } catch (...) {
  }
}

}  // namespace

UnhandledFailureHandler set_unhandled_failure_handler(
    UnhandledFailureHandler handler) {
  if (t_reentered != nullptr) {
    throw UsageError(
        "set_unhandled_failure_handler: called from inside the "
        "unhandled-failure handler (it would replace the handler while it "
        "runs)");
  }
  HandlerSlot& slot = Slot();
  std::lock_guard<std::mutex> lock(slot.mutex);
  std::swap(slot.handler, handler);
  return handler;
}

void report_unhandled_failure(const Failure& failure) {
  if (t_reentered != nullptr) {
    try {
      t_reentered->push_back(failure);
    } catch (...) {
    }
    return;
  }
  HandlerSlot& slot = Slot();
  // Held while the handler runs so that it is never replaced mid-call.
  std::lock_guard<std::mutex> lock(slot.mutex);
  std::vector<Failure> reentered;
  t_reentered = &reentered;
  CallHandler(slot, failure);
  // Reported from inside the handler: each in turn, in the order reported
  // (and what those report, after them).
  for (size_t i = 0; i < reentered.size(); ++i) {
    Failure next = reentered[i];
    CallHandler(slot, next);
  }
  t_reentered = nullptr;
}

}  // namespace txaio
