#include "core/testutil.h"

#include "core/api.h"

namespace txaio::testutil {

LoopReplacement::LoopReplacement(Loop& loop)
    // Borrowed, not owned: the caller keeps the loop alive.
    : previous_(use_loop(std::shared_ptr<Loop>(&loop, [](Loop*) {}))) {}

LoopReplacement::~LoopReplacement() { use_loop(std::move(previous_)); }

}  // namespace txaio::testutil
