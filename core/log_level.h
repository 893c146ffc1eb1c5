// Log levels: the one table of txaio's level names, in order, and the
// conversions every layer uses (the core's loggers, the C ABI and the
// Python binding), so that a bad level reads the same everywhere.
//
//   none, critical, error, warn, info, debug, trace
//
// `none` disables logging; an event is logged at critical..trace.
#ifndef TXAIO_CORE_LOG_LEVEL_H_
#define TXAIO_CORE_LOG_LEVEL_H_

#include <array>
#include <string>
#include <string_view>

namespace txaio {

enum class LogLevel : int {
  kNone = 0,
  kCritical = 1,
  kError = 2,
  kWarn = 3,
  kInfo = 4,
  kDebug = 5,
  kTrace = 6,
};

// Every level's name, indexed by its LogLevel value.
inline constexpr std::array<std::string_view, 7> kLogLevelNames = {
    "none", "critical", "error", "warn", "info", "debug", "trace"};

// "none", "critical", "error", "warn", "info", "debug" or "trace". Throws
// std::invalid_argument (see log_level_from_int) for a value outside the
// enum.
std::string_view log_level_name(LogLevel level);

// The level called `name`; anything else throws std::invalid_argument with
// invalid_log_level_message(name).
LogLevel parse_log_level(std::string_view name);

// The level whose value is `value` (0 for none ... 6 for trace); anything
// else throws std::invalid_argument "invalid log level 42; valid are 0
// (none) to 6 (trace)".
LogLevel log_level_from_int(int value);

// "Invalid log level 'x'; valid are: none, critical, error, warn, info,
// debug, trace": what parse_log_level throws, for bindings that raise their
// own exception type.
std::string invalid_log_level_message(std::string_view name);

namespace internal {

// Throws as log_level_from_int() does unless `level` is one of the enum's.
void CheckLogLevel(LogLevel level);

// log_level_name() for levels already checked; "?" for others.
std::string_view LogLevelNameOrUnknown(LogLevel level);

}  // namespace internal
}  // namespace txaio

#endif  // TXAIO_CORE_LOG_LEVEL_H_
