// Internal: what the writers (core/log_writers.cc) need of the logging
// registry (core/log_registry.cc) beyond the public API: the one slot of
// the observer start_logging() installed.
#ifndef TXAIO_CORE_INTERNAL_LOG_REGISTRY_H_
#define TXAIO_CORE_INTERNAL_LOG_REGISTRY_H_

#include <optional>

#include "core/logging.h"

namespace txaio::internal {

// Makes `id` the start_logging() observer; returns the one it replaces.
std::optional<LogObserverId> ExchangeStartedObserver(
    std::optional<LogObserverId> id);

// Forgets the start_logging() observer if it is `id`; returns whether it
// was.
bool ClearStartedObserver(LogObserverId id);

}  // namespace txaio::internal

#endif  // TXAIO_CORE_INTERNAL_LOG_REGISTRY_H_
