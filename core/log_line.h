// The text log line: "<local time> <message><end of line>", the one layout
// every text writer uses (the core's text writer, and the Python binding's
// asyncio and Twisted writers, native and pure Python, through
// bindings/python/native/log.cc). The writers differ only in how the time
// writes its UTC offset (UtcOffset) and in where the message comes from.
#ifndef TXAIO_CORE_LOG_LINE_H_
#define TXAIO_CORE_LOG_LINE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "core/log_event.h"

namespace txaio {

// How a line's time writes its UTC offset.
enum class UtcOffset {
  // None: "2016-01-21T01:02:03" (Python's %z of a naive datetime: the
  // asyncio writer's lines).
  kOmitted,
  // "+0100", seconds dropped (absl's %z: the core's text writer).
  kHoursMinutes,
  // "+0100", or "+010030" when the offset has seconds (Python's %z of an
  // aware datetime: Twisted's formatTime).
  kPython,
};

// One second of local time.
struct LogLineTime {
  absl::CivilSecond local;
  int utc_offset_seconds = 0;
};

// The time as a line starts with: "%Y-%m-%dT%H:%M:%S" and the offset.
void AppendLogLineTime(const LogLineTime& time, UtcOffset offset,
                       std::string& out);

// Formats lines, reusing the formatted time within a second (formatting it
// costs more than the rest). Not thread-safe: one per writer, used under
// the writer's lock.
class LogLineFormatter {
 public:
  explicit LogLineFormatter(UtcOffset offset) : offset_(offset) {}

  // Appends "<time> <message><eol>" for an event in the Unix second
  // `unix_second`; local_time(unix_second) gives that second's LogLineTime
  // (called only when the second changes).
  template <typename LocalTime>
  void Append(int64_t unix_second, LocalTime&& local_time,
              std::string_view message, std::string_view eol,
              std::string& out) {
    if (unix_second != cached_second_ || cached_time_.empty()) {
      cached_time_.clear();
      AppendLogLineTime(local_time(unix_second), offset_, cached_time_);
      cached_second_ = unix_second;
    }
    out.reserve(out.size() + cached_time_.size() + 1 + message.size() +
                eol.size());
    out.append(cached_time_);
    out.push_back(' ');
    out.append(message);
    out.append(eol);
  }

  // The same for an absl::Time in `zone` (seconds rounded down).
  void Append(absl::Time time, absl::TimeZone zone, std::string_view message,
              std::string_view eol, std::string& out);

 private:
  const UtcOffset offset_;
  int64_t cached_second_ = INT64_MIN;
  std::string cached_time_;
};

// The message of the core's text writer's line for `event`, without the
// time: "[namespace#level] " first with kTimeNamespaceLevelMessage
// (`with_namespace_and_level`), then the formatted event, then a failure's
// traceback on the next lines.
void AppendTextLogMessage(const LogEvent& event, bool with_namespace_and_level,
                          std::string& out);

}  // namespace txaio

#endif  // TXAIO_CORE_LOG_LINE_H_
