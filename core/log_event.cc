// The event's values: field lookup by name, and the conversion of a value
// by its operator<< (logging.h's ToLogValue).
#include "core/log_event.h"

#include <sstream>

#include "core/logging.h"

namespace txaio {

const LogValue* LogEvent::find(std::string_view name) const {
  for (const LogField& field : fields) {
    if (field.name == name) return &field.value;
  }
  return nullptr;
}

namespace internal {

std::string StreamToString(void (*write)(std::ostream&, const void*),
                           const void* value) {
  std::ostringstream text;
  write(text, value);
  return std::move(text).str();
}

}  // namespace internal

}  // namespace txaio
