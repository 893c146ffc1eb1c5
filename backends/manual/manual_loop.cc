#include "backends/manual/manual_loop.h"

#include <memory>
#include <optional>
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "core/api.h"
#include "core/loop_registry.h"

namespace txaio {

bool ManualLoop::iterate(bool block) {
  if (!has_ready_work()) {
    if (!block) return true;
    std::optional<absl::Duration> next = next_timer_deadline();
    if (!next) return false;
    if (*next > now_) now_ = *next;
  }
  run_once();
  return true;
}

void ManualLoop::advance(absl::Duration delta) {
  if (delta < absl::ZeroDuration() || delta == absl::InfiniteDuration()) {
    throw std::invalid_argument(
        absl::StrCat("ManualLoop::advance: delta must be finite and >= 0, got ",
                     absl::FormatDuration(delta)));
  }
  now_ += delta;
  run_until_idle();
}

void ManualLoop::pump(absl::Span<const absl::Duration> steps) {
  for (absl::Duration step : steps) advance(step);
}

ManualLoop& use_manual() {
  auto loop = std::make_shared<ManualLoop>();
  ManualLoop& result = *loop;
  use_loop(std::move(loop));
  return result;
}

namespace {
const LoopRegistration kRegistration("manual", [] {
  return std::make_unique<ManualLoop>();
});
}  // namespace

}  // namespace txaio
