// What a Failure costs: made in a catch block after a throw two calls deep
// (the errback path), made from an exception_ptr with no throw, formatted,
// and, as the baseline, the throw and catch alone. Tracebacks from the throw
// site move the stack capture from create_failure() into the throw itself,
// so the throw-and-catch baseline is what every exception in the process
// pays, and the sum of the two is what a failed future pays.
//
//   bazel run -c opt //testing/benchmarks:failure_benchmark
#include <exception>
#include <stdexcept>
#include <string>

#include "absl/base/attributes.h"
#include "benchmark/benchmark.h"
#include "core/failure.h"

namespace {

ABSL_ATTRIBUTE_NOINLINE void Inner(int x) {
  if (x >= 0) throw std::runtime_error("connection refused");
}
ABSL_ATTRIBUTE_NOINLINE void Outer(int x) {
  Inner(x);
  benchmark::DoNotOptimize(x);
}

void BM_ThrowAndCatch(benchmark::State& state) {
  for (auto _ : state) {
    try {
      Outer(1);
    } catch (const std::exception& e) {
      benchmark::DoNotOptimize(&e);
    }
  }
}
BENCHMARK(BM_ThrowAndCatch);

void BM_ThrowAndCreateFailure(benchmark::State& state) {
  for (auto _ : state) {
    try {
      Outer(1);
    } catch (...) {
      txaio::Failure failure = txaio::create_failure();
      benchmark::DoNotOptimize(failure.value());
    }
  }
}
BENCHMARK(BM_ThrowAndCreateFailure);

void BM_FailureFromExceptionPtr(benchmark::State& state) {
  std::exception_ptr error =
      std::make_exception_ptr(std::runtime_error("connection refused"));
  for (auto _ : state) {
    txaio::Failure failure(error);
    benchmark::DoNotOptimize(failure.value());
  }
}
BENCHMARK(BM_FailureFromExceptionPtr);

void BM_FormatTraceback(benchmark::State& state) {
  txaio::Failure failure = [] {
    try {
      Outer(1);
    } catch (...) {
      return txaio::create_failure();
    }
    return txaio::Failure(std::runtime_error("unreachable"));
  }();
  for (auto _ : state) {
    std::string text = txaio::failure_format_traceback(failure);
    benchmark::DoNotOptimize(text.data());
  }
}
BENCHMARK(BM_FormatTraceback);

}  // namespace
