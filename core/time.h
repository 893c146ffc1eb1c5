// txaio's clock helpers. Neither needs a framework selected.
#ifndef TXAIO_CORE_TIME_H_
#define TXAIO_CORE_TIME_H_

#include <cstdint>

namespace txaio {

// Wall-clock time in nanoseconds since the Unix epoch (Python's time_ns).
int64_t time_ns();

// A monotonic, high-resolution counter in nanoseconds, for measuring
// intervals; its epoch is unspecified (Python's perf_counter_ns).
int64_t perf_counter_ns();

}  // namespace txaio

#endif  // TXAIO_CORE_TIME_H_
