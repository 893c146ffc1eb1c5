// Where failures go when no errback can take them.
//
// A task that throws on a loop, a callback that throws with no errback to
// take it, an errback or canceller that throws, and a failed future dropped
// without any errback having seen its failure (Twisted's "Unhandled error in
// Deferred", asyncio's "exception was never retrieved") all end here instead
// of escaping into the event loop. The default handler writes
// failure_format_traceback() to stderr.
#ifndef TXAIO_CORE_UNHANDLED_H_
#define TXAIO_CORE_UNHANDLED_H_

#include "absl/functional/any_invocable.h"
#include "core/failure.h"

namespace txaio {

using UnhandledFailureHandler = absl::AnyInvocable<void(const Failure&)>;

// Installs `handler` (an empty one restores the default) and returns the
// previous one. Thread-safe; the handler may be called from any loop's thread
// and must not throw (what it throws is dropped). Called from inside the
// handler it throws UsageError (it would replace the handler while it runs).
// A handler may report again, directly or by dropping the last handle on
// another failed future: such failures are handed to it, in order, once it
// returns (not re-entrantly, and without deadlocking on its lock).
UnhandledFailureHandler set_unhandled_failure_handler(
    UnhandledFailureHandler handler);

// Passes `failure` to the current handler. Thread-safe.
void report_unhandled_failure(const Failure& failure);

}  // namespace txaio

#endif  // TXAIO_CORE_UNHANDLED_H_
