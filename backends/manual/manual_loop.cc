#include "backends/manual/manual_loop.h"

#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "core/api.h"

namespace txaio {

int ManualLoop::run_until_idle() {
  int rounds = 0;
  while (has_ready_work()) {
    run_once();
    ++rounds;
  }
  return rounds;
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

ManualLoop& use_manual() {
  auto loop = std::make_shared<ManualLoop>();
  ManualLoop& result = *loop;
  use_loop(std::move(loop));
  return result;
}

}  // namespace txaio
