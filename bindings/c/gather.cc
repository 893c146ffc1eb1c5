// gather: the core's gather over C futures, its result read through a
// txaio_gather_results handle (the gathered future's value).
#include "core/gather.h"

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bindings/c/conventions.h"
#include "bindings/c/handles.h"
#include "bindings/c/txaio.h"
#include "core/failure.h"

using txaio::c_api::CFuture;
using txaio::c_api::Check;
using txaio::c_api::CheckSameLoop;
using txaio::c_api::Guard;
using txaio::c_api::Need;
using txaio::c_api::PendingValue;
using txaio::c_api::Throw;
using txaio::c_api::Value;

namespace {

// The gathered future's value: the core's results, moved into a registered
// txaio_gather_results owned by the value (so a value that is not one is
// caught by the handle checks), with a failure handle per failed input.
Value MakeResults(std::vector<txaio::Outcome<Value>> outcomes) {
  auto results = std::make_unique<txaio_gather_results>();
  results->failures.resize(outcomes.size());
  for (size_t i = 0; i < outcomes.size(); ++i) {
    if (const auto* failure = std::get_if<txaio::Failure>(&outcomes[i])) {
      results->failures[i] = std::make_unique<txaio_failure>(*failure);
    }
  }
  results->outcomes = std::move(outcomes);
  PendingValue pending(results.release(), [](void* p) {
    delete static_cast<txaio_gather_results*>(p);
  });
  return pending.Commit(true);
}

}  // namespace

extern "C" {

txaio_status txaio_gather(txaio_loop* loop, txaio_future* const* futures,
                          size_t count, int consume_exceptions,
                          txaio_future** out) {
  return Guard(__func__, [&] {
    Check(loop, "loop");
    Need(out, "out");
    if (futures == nullptr && count > 0) {
      Throw(TXAIO_ERR_INVALID_ARGUMENT, "futures is NULL with count > 0");
    }
    std::vector<CFuture> inputs;
    inputs.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      std::string name = absl::StrCat("futures[", i, "]");
      Check(futures[i], name.c_str());
      CheckSameLoop(loop, futures[i]->future, name.c_str());
      inputs.push_back(futures[i]->future);
    }
    // The core's gather completes the C future itself, with MakeResults. No
    // canceller: the core's gather cancels no input.
    auto handle =
        std::make_unique<txaio_future>(CFuture(*loop->loop), loop->loop);
    txaio::gather_into(handle->future, std::move(inputs),
                       consume_exceptions != 0, MakeResults);
    *out = handle.release();
  });
}

txaio_status txaio_gather_results_size(const txaio_gather_results* results,
                                       size_t* out) {
  return Guard(__func__, [&] {
    Check(results, "results");
    Need(out, "out");
    *out = results->outcomes.size();
  });
}

txaio_status txaio_gather_results_get(const txaio_gather_results* results,
                                      size_t index, void** value,
                                      const txaio_failure** failure) {
  return Guard(__func__, [&] {
    Check(results, "results");
    if (index >= results->outcomes.size()) {
      Throw(TXAIO_ERR_INVALID_ARGUMENT,
            absl::StrCat("index ", index, " out of range (",
                         results->outcomes.size(), " results)"));
    }
    const Value* ok = std::get_if<Value>(&results->outcomes[index]);
    if (value != nullptr) *value = ok != nullptr ? ok->ptr : nullptr;
    if (failure != nullptr) *failure = results->failures[index].get();
  });
}

}  // extern "C"
