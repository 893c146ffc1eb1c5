// The types of a log event, as observers receive it: a field's value
// (LogValue), a named field (LogField) and the event (LogEvent).
#ifndef TXAIO_CORE_LOG_EVENT_H_
#define TXAIO_CORE_LOG_EVENT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/log_level.h"

namespace txaio {

class Failure;

// The value of one log field. Strings are views: an event is only valid
// during the observer call that receives it (like absl::LogSink's entries).
using LogValue = std::variant<bool, int64_t, uint64_t, double, std::string_view,
                              std::string>;

// One named field of an event.
struct LogField {
  std::string_view name;
  LogValue value;
};

// What observers receive. Valid only during the observer call: copy what
// you keep.
struct LogEvent {
  absl::Time log_time;
  LogLevel log_level;
  std::string_view log_namespace;
  // The format used: a registered category's format when the event has a
  // log_category field naming one, else the one given.
  std::string_view log_format;
  absl::Span<const LogField> fields;
  // Set by Logger::failure().
  const Failure* log_failure = nullptr;

  // The field called `name`, or null.
  const LogValue* find(std::string_view name) const;
};

}  // namespace txaio

#endif  // TXAIO_CORE_LOG_EVENT_H_
