// Internal: values written as literals, in Python's notation (repr(), for
// "!r" fields and the raw event of an unformattable line) or JSON's (the
// JSON-lines writer). The one escaping of strings both use; the two
// notations differ only where Python's repr and JSON do.
#ifndef TXAIO_CORE_INTERNAL_LOG_ESCAPE_H_
#define TXAIO_CORE_INTERNAL_LOG_ESCAPE_H_

#include <string>
#include <string_view>

#include "core/log_event.h"

namespace txaio::internal {

enum class Notation {
  // repr(): 'single' quotes unless the text holds a ' and no ", control
  // characters and DEL as \xHH, True/False, floats as Python writes them.
  kPython,
  // JSON: "double" quotes, control characters as \u00HH, true/false,
  // shortest round-trip numbers (non-finite ones as the strings "nan",
  // "inf", "-inf").
  kJson,
};

// Appends `text` quoted and escaped.
void AppendQuoted(std::string_view text, Notation notation, std::string& out);

// Appends `value` as a literal.
void AppendLiteral(const LogValue& value, Notation notation, std::string& out);

// Python's repr() of a value: strings quoted, floats shortest round-trip.
inline void AppendRepr(const LogValue& value, std::string& out) {
  AppendLiteral(value, Notation::kPython, out);
}

// Python's str() of a double ("1.0", "0.1", "1e+16", "inf").
void AppendPythonFloat(double value, std::string& out);

}  // namespace txaio::internal

#endif  // TXAIO_CORE_INTERNAL_LOG_ESCAPE_H_
