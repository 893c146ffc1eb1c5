// The text log line's layout: its time with or without UTC offset, the
// message, the end of line (see log_line.h).
#include "core/log_line.h"

#include <cstdio>
#include <cstdlib>

#include "core/failure.h"
#include "core/logging.h"

namespace txaio {

void AppendLogLineTime(const LogLineTime& time, UtcOffset offset,
                       std::string& out) {
  char buffer[64];
  const absl::CivilSecond& t = time.local;
  int n = std::snprintf(buffer, sizeof buffer, "%lld-%02d-%02dT%02d:%02d:%02d",
                        static_cast<long long>(t.year()), t.month(), t.day(),
                        t.hour(), t.minute(), t.second());
  out.append(buffer, static_cast<size_t>(n));
  if (offset == UtcOffset::kOmitted) return;
  int total = time.utc_offset_seconds;
  char sign = total < 0 ? '-' : '+';
  total = std::abs(total);
  int seconds = total % 60;
  int minutes = total / 60 % 60;
  int hours = total / 3600;
  if (offset == UtcOffset::kHoursMinutes) {
    // As absl's %z: a sub-minute offset reads "+0000", whatever its sign.
    if (hours == 0 && minutes == 0) sign = '+';
    n = std::snprintf(buffer, sizeof buffer, "%c%02d%02d", sign, hours,
                      minutes);
  } else if (seconds != 0) {
    n = std::snprintf(buffer, sizeof buffer, "%c%02d%02d%02d", sign, hours,
                      minutes, seconds);
  } else {
    n = std::snprintf(buffer, sizeof buffer, "%c%02d%02d", sign, hours,
                      minutes);
  }
  out.append(buffer, static_cast<size_t>(n));
}

void LogLineFormatter::Append(absl::Time time, absl::TimeZone zone,
                              std::string_view message, std::string_view eol,
                              std::string& out) {
  Append(
      absl::ToUnixSeconds(time),
      [&](int64_t second) {
        absl::TimeZone::CivilInfo info = zone.At(absl::FromUnixSeconds(second));
        return LogLineTime{info.cs, info.offset};
      },
      message, eol, out);
}

void AppendTextLogMessage(const LogEvent& event, bool with_namespace_and_level,
                          std::string& out) {
  size_t start = out.size();
  if (with_namespace_and_level) {
    out.push_back('[');
    out.append(event.log_namespace);
    out.push_back('#');
    out.append(internal::LogLevelNameOrUnknown(event.log_level));
    out.append("] ");
  }
  bool has_message = !event.log_format.empty() || event.log_failure == nullptr;
  if (has_message) append_formatted_event(event, out);
  if (event.log_failure != nullptr) {
    if (has_message) out.push_back('\n');
    out.append(failure_format_traceback(*event.log_failure));
    if (out.size() > start && out.back() == '\n') out.pop_back();
  }
}

}  // namespace txaio
