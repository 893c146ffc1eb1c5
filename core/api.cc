#include "core/api.h"

#include <atomic>
#include <cmath>
#include <mutex>
#include <stdexcept>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "core/internal/duration.h"

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

namespace internal {

void ThrowBadDelay(const char* what, const std::string& given,
                   const char* quantity, const char* min) {
  throw std::invalid_argument(absl::StrCat(
      what, ": ", quantity, " must be a finite number of seconds from ", min,
      " to 1e+09 (about 31 years), got ", given));
}

void ThrowBadDelayDuration(const char* what, absl::Duration delay) {
  ThrowBadDelay(what, absl::StrCat(absl::FormatDuration(delay), " (",
                                   absl::ToDoubleSeconds(delay), " s)"));
}

absl::Duration SecondsToDelay(double seconds, const char* what) {
  // Also false for NaN.
  if (!(seconds >= 0 && seconds <= kMaxDelaySeconds)) [[unlikely]] {
    ThrowBadDelay(what, absl::StrCat(seconds));
  }
  return absl::Seconds(seconds);
}

}  // namespace internal

Future<void> Api::sleep(absl::Duration delay) const {
  auto timer = std::make_shared<DelayedCall>();
  Future<void> done(*loop_,
                    [timer](Future<void>&) { timer->cancel(); });
  *timer = loop_->call_later(delay, [done]() mutable {
    if (!done.is_called()) done.resolve();
  });
  return done;
}

Future<void> Api::sleep(double seconds) const {
  return sleep(internal::SecondsToDelay(seconds, "sleep"));
}

}  // namespace txaio
