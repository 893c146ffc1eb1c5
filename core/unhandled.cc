#include "core/unhandled.h"

#include <iostream>
#include <mutex>
#include <utility>

#include "absl/base/thread_annotations.h"

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

UnhandledFailureHandler set_unhandled_failure_handler(
    UnhandledFailureHandler handler) {
  HandlerSlot& slot = Slot();
  std::lock_guard<std::mutex> lock(slot.mutex);
  std::swap(slot.handler, handler);
  return handler;
}

void report_unhandled_failure(const Failure& failure) {
  HandlerSlot& slot = Slot();
  // Held while the handler runs so that it is never replaced mid-call; a
  // handler must therefore not call set_unhandled_failure_handler itself.
  std::lock_guard<std::mutex> lock(slot.mutex);
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
