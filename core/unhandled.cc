#include "core/unhandled.h"

#include <iostream>
#include <utility>

#include "absl/synchronization/mutex.h"

namespace txaio {
namespace {

struct HandlerSlot {
  absl::Mutex mutex;
  UnhandledFailureHandler handler ABSL_GUARDED_BY(mutex);
};

HandlerSlot& Slot() {
  static HandlerSlot* slot = new HandlerSlot;
  return *slot;
}

}  // namespace

UnhandledFailureHandler set_unhandled_failure_handler(
    UnhandledFailureHandler handler) {
  HandlerSlot& slot = Slot();
  absl::MutexLock lock(&slot.mutex);
  std::swap(slot.handler, handler);
  return handler;
}

void report_unhandled_failure(const Failure& failure) {
  HandlerSlot& slot = Slot();
  // Held while the handler runs so that it is never replaced mid-call; a
  // handler must therefore not call set_unhandled_failure_handler itself.
  absl::MutexLock lock(&slot.mutex);
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

}  // namespace txaio
