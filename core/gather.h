// gather: one future for many (txaio.gather).
//
//   std::vector<txaio::Future<int>> parts = ...;
//   txaio::Future<std::vector<txaio::Outcome<int>>> all = txaio::gather(parts);
//
// The result lists, in input order, each future's value or its Failure. With
// consume_exceptions = false the gathered future instead fails with the first
// failure to happen. gather_into() does the same into a future of the
// caller's own value type.
#ifndef TXAIO_CORE_GATHER_H_
#define TXAIO_CORE_GATHER_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <utility>
#include <variant>
#include <vector>

#include "core/api.h"
#include "core/failure.h"
#include "core/future.h"

namespace txaio {

// One gathered result: the future's value (std::monostate for Future<void>)
// or its Failure.
template <typename T>
using Outcome = std::variant<ValueOf<T>, Failure>;

// gather() completing a future of the caller's own value type: `out`
// (pending) is resolved with make_result(results), the results as gather()
// lists them (moved), or rejected with the first failure to happen when
// consume_exceptions is false, or with what make_result throws. For bindings
// whose futures all carry one value type (the C ABI's txaio_gather_results).
// Cancelling `out` cancels no input; their outcomes are then ignored.
template <typename T, typename R, typename MakeResult>
void gather_into(Future<R> out, std::vector<Future<T>> futures,
                 bool consume_exceptions, MakeResult make_result) {
  using Results = std::vector<Outcome<T>>;
  struct Pending {
    std::vector<std::optional<Outcome<T>>> slots;
    size_t remaining;
    Future<R> out;
    MakeResult make_result;

    // Resolves `out` with every slot (all filled); what throws rejects it.
    void complete() {
      try {
        Results results;
        results.reserve(slots.size());
        for (auto& slot : slots) results.push_back(std::move(*slot));
        out.resolve(make_result(std::move(results)));
      } catch (...) {
        if (!out.is_called()) out.reject(create_failure());
      }
    }
  };
  auto pending = std::make_shared<Pending>(
      Pending{std::vector<std::optional<Outcome<T>>>(futures.size()),
              futures.size(), std::move(out), std::move(make_result)});
  if (futures.empty()) {
    pending->complete();
    return;
  }
  auto finish_one = [pending, consume_exceptions](size_t index,
                                                  Outcome<T> outcome) {
    Future<R>& out = pending->out;
    if (out.is_called()) return;  // failed early, or cancelled
    if (!consume_exceptions && outcome.index() == 1) {
      out.reject(std::get<1>(std::move(outcome)));
      return;
    }
    pending->slots[index].emplace(std::move(outcome));
    if (--pending->remaining > 0) return;
    pending->complete();
  };
  for (size_t i = 0; i < futures.size(); ++i) {
    Callback<T> on_value;
    if constexpr (std::is_void_v<T>) {
      on_value = [finish_one, i] { finish_one(i, std::monostate()); };
    } else {
      on_value = [finish_one, i](const T& value) { finish_one(i, value); };
    }
    futures[i].add_callbacks(
        std::move(on_value),
        [finish_one, i](const Failure& failure) { finish_one(i, failure); });
  }
}

// Gathers `futures` into a future on `api`'s loop. T must be copyable: each
// value is copied into the result.
template <typename T>
Future<std::vector<Outcome<T>>> gather(const Api& api,
                                       std::vector<Future<T>> futures,
                                       bool consume_exceptions = true) {
  using Results = std::vector<Outcome<T>>;
  Future<Results> gathered = api.create_future<Results>();
  gather_into(gathered, std::move(futures), consume_exceptions,
              [](Results results) { return results; });
  return gathered;
}

// gather() on the default loop.
template <typename T>
Future<std::vector<Outcome<T>>> gather(std::vector<Future<T>> futures,
                                       bool consume_exceptions = true) {
  return gather(default_api(), std::move(futures), consume_exceptions);
}

}  // namespace txaio

#endif  // TXAIO_CORE_GATHER_H_
