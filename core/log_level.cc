// Log levels: names, order, parsing and the one "invalid level" message
// (the table itself is kLogLevelNames in log_level.h).
#include "core/log_level.h"

#include <stdexcept>

namespace txaio {
namespace {

constexpr int kLast = static_cast<int>(kLogLevelNames.size()) - 1;

bool InRange(int value) { return value >= 0 && value <= kLast; }

}  // namespace

std::string invalid_log_level_message(std::string_view name) {
  std::string message = "Invalid log level '";
  message.append(name);
  message.append("'; valid are: ");
  for (size_t i = 0; i < kLogLevelNames.size(); ++i) {
    if (i > 0) message.append(", ");
    message.append(kLogLevelNames[i]);
  }
  return message;
}

LogLevel log_level_from_int(int value) {
  if (!InRange(value)) {
    std::string message =
        "invalid log level " + std::to_string(value) + "; valid are 0 (";
    message.append(kLogLevelNames[0]);
    message.append(") to " + std::to_string(kLast) + " (");
    message.append(kLogLevelNames[kLast]);
    message.append(")");
    throw std::invalid_argument(message);
  }
  return static_cast<LogLevel>(value);
}

std::string_view log_level_name(LogLevel level) {
  return kLogLevelNames[static_cast<int>(
      log_level_from_int(static_cast<int>(level)))];
}

LogLevel parse_log_level(std::string_view name) {
  for (int i = 0; i <= kLast; ++i) {
    if (kLogLevelNames[i] == name) return static_cast<LogLevel>(i);
  }
  throw std::invalid_argument(invalid_log_level_message(name));
}

namespace internal {

void CheckLogLevel(LogLevel level) {
  log_level_from_int(static_cast<int>(level));
}

std::string_view LogLevelNameOrUnknown(LogLevel level) {
  int value = static_cast<int>(level);
  return InRange(value) ? kLogLevelNames[value] : "?";
}

}  // namespace internal
}  // namespace txaio
