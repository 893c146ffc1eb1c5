// An event's message: its format with its fields (format_event), or, for a
// format that cannot be formatted, "Unable to format event {the raw event
// as a Python dict}: reason".
#include <optional>
#include <string>

#include "core/internal/log_escape.h"
#include "core/internal/log_format.h"
#include "core/logging.h"

namespace txaio {
namespace {

double UnixSeconds(absl::Time t) {
  return absl::ToDoubleSeconds(t - absl::UnixEpoch());
}

// The event as a Python-like dict, for lines that could not be formatted.
void AppendRawEvent(const LogEvent& event, std::string& out) {
  using internal::AppendRepr;
  out.append("{'log_format': ");
  AppendRepr(LogValue(event.log_format), out);
  out.append(", 'log_level': ");
  AppendRepr(LogValue(internal::LogLevelNameOrUnknown(event.log_level)), out);
  out.append(", 'log_namespace': ");
  AppendRepr(LogValue(event.log_namespace), out);
  out.append(", 'log_time': ");
  internal::AppendPythonFloat(UnixSeconds(event.log_time), out);
  for (const LogField& field : event.fields) {
    out.append(", ");
    AppendRepr(LogValue(field.name), out);
    out.append(": ");
    AppendRepr(field.value, out);
  }
  out.push_back('}');
}

// The value of `name` in `event`: a field, else one of the event's keys.
std::optional<LogValue> Lookup(const LogEvent& event, std::string_view name) {
  if (const LogValue* value = event.find(name)) return *value;
  if (name == "log_level") {
    return LogValue(internal::LogLevelNameOrUnknown(event.log_level));
  }
  if (name == "log_namespace") return LogValue(event.log_namespace);
  if (name == "log_format") return LogValue(event.log_format);
  if (name == "log_time") {
    return LogValue(UnixSeconds(event.log_time));
  }
  return std::nullopt;
}

}  // namespace

void append_formatted_event(const LogEvent& event, std::string& out) {
  size_t start = out.size();
  internal::FormatError error = internal::FormatError::kNone;
  std::string_view missing;
  try {
    error = internal::ParseFormat(
        event.log_format, [&out](std::string_view text) { out.append(text); },
        [&](std::string_view name, char conversion,
            const internal::FormatSpec& spec) {
          std::optional<LogValue> value = Lookup(event, name);
          if (!value) {
            missing = name;
            return internal::FormatError::kUnknownField;
          }
          return internal::FormatValue(*value, conversion, spec, out);
        });
  } catch (const std::exception&) {
    // Only allocation can throw here; say so rather than propagate.
    error = internal::FormatError::kBadSpec;
  }
  if (error == internal::FormatError::kNone) return;
  out.resize(start);
  out.append("Unable to format event ");
  AppendRawEvent(event, out);
  out.append(": ");
  out.append(internal::FormatErrorText(error));
  if (!missing.empty()) {
    out.append(" '");
    out.append(missing);
    out.push_back('\'');
  }
}

std::string format_event(const LogEvent& event) {
  std::string out;
  append_formatted_event(event, out);
  return out;
}

}  // namespace txaio
