#include "core/internal/misuse.h"

#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "absl/container/flat_hash_set.h"

namespace txaio::internal {
namespace {

struct LiveLoops {
  // std::mutex rather than absl::Mutex so that TSan sees it (see loop_base.h).
  std::mutex mutex;
  absl::flat_hash_set<const Loop*> loops;
};

LiveLoops& Live() {
  // Never destroyed: loops may be destroyed by static destructors.
  static LiveLoops* live = new LiveLoops;
  return *live;
}

}  // namespace

void MisuseAbort(std::string_view rule, std::string_view detail) {
  std::fprintf(stderr, "txaio: misuse detected: %.*s\n  %.*s\n",
               static_cast<int>(rule.size()), rule.data(),
               static_cast<int>(detail.size()), detail.data());
  std::fflush(stderr);
  std::abort();
}

void RegisterLiveLoop(const Loop* loop) {
  if (!TXAIO_MISUSE_CHECKS) return;
  LiveLoops& live = Live();
  std::lock_guard<std::mutex> lock(live.mutex);
  live.loops.insert(loop);
}

void UnregisterLiveLoop(const Loop* loop) {
  if (!TXAIO_MISUSE_CHECKS) return;
  LiveLoops& live = Live();
  std::lock_guard<std::mutex> lock(live.mutex);
  live.loops.erase(loop);
}

bool IsLiveLoop(const Loop* loop) {
  if (!TXAIO_MISUSE_CHECKS) return true;
  LiveLoops& live = Live();
  std::lock_guard<std::mutex> lock(live.mutex);
  return live.loops.contains(loop);
}

}  // namespace txaio::internal
