#include "core/api.h"

#include <atomic>
#include <cmath>
#include <mutex>
#include <stdexcept>

#include "absl/base/thread_annotations.h"
#include "core/delay.h"
#include "core/errors.h"

namespace txaio {
namespace {

struct DefaultLoop {
  // std::mutex rather than absl::Mutex so that TSan sees it (see loop_base.h).
  std::mutex mutex;
  std::shared_ptr<Loop> owner ABSL_GUARDED_BY(mutex);
  // Read without the lock on every free-function call.
  std::atomic<Loop*> loop{nullptr};
};

DefaultLoop& Default() {
  static DefaultLoop* slot = new DefaultLoop;
  return *slot;
}

}  // namespace

std::shared_ptr<Loop> use_loop(std::shared_ptr<Loop> loop) {
  DefaultLoop& slot = Default();
  std::lock_guard<std::mutex> lock(slot.mutex);
  slot.loop.store(loop.get(), std::memory_order_release);
  std::swap(slot.owner, loop);
  return loop;
}

std::string_view using_framework() {
  Loop* loop = Default().loop.load(std::memory_order_acquire);
  return loop != nullptr ? loop->framework() : std::string_view();
}

Loop& default_loop() {
  Loop* loop = Default().loop.load(std::memory_order_acquire);
  if (loop == nullptr) {
    throw UsageError(
        "txaio: no framework selected: call txaio::use_asio() (or "
        "txaio::use_loop(), or hold a txaio::testutil::replace_loop guard) "
        "before using the txaio API");
  }
  return *loop;
}

Future<void> Api::sleep(absl::Duration delay) const {
  return sleep<void>(delay);
}

Future<void> Api::sleep(double seconds) const {
  return sleep(SecondsToDelay(seconds, "sleep"));
}

}  // namespace txaio
