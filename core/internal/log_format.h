// Internal: the PEP 3101 subset behind txaio's structured logging, parsing
// a format and formatting one value by its spec. Not for users; see
// core/logging.h.
//
// Supported: literal text, `{{` and `}}`, named fields `{name}`, the
// conversions `!s` and `!r`, and the standard format spec
// `[[fill]align][sign][#][0][width][,|_][.precision][type]` with the types
// s, d, n, x, X, o, b, c, e, E, f, F, g, G and %. Not supported (reported as
// errors): positional fields, attribute and index access, nested fields in
// a spec. The parser is constexpr so formats can be checked at compile time.
#ifndef TXAIO_CORE_INTERNAL_LOG_FORMAT_H_
#define TXAIO_CORE_INTERNAL_LOG_FORMAT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "core/internal/log_escape.h"  // AppendRepr, AppendPythonFloat
#include "core/log_event.h"

namespace txaio {
namespace internal {

enum class FormatError {
  kNone,
  kUnmatchedOpenBrace,
  kUnmatchedCloseBrace,
  kPositionalField,
  kBadFieldName,
  kFieldAccess,
  kBadConversion,
  kBadSpec,
  kUnknownField,
};

// Why a format failed, in words.
constexpr std::string_view FormatErrorText(FormatError error) {
  switch (error) {
    case FormatError::kNone:
      return "no error";
    case FormatError::kUnmatchedOpenBrace:
      return "single '{' encountered in format string";
    case FormatError::kUnmatchedCloseBrace:
      return "single '}' encountered in format string";
    case FormatError::kPositionalField:
      return "positional fields are not supported: name every field";
    case FormatError::kBadFieldName:
      return "field names must be identifiers";
    case FormatError::kFieldAccess:
      return "attribute and index access in fields is not supported";
    case FormatError::kBadConversion:
      return "conversion must be !s or !r";
    case FormatError::kBadSpec:
      return "invalid format spec";
    case FormatError::kUnknownField:
      return "missing field";
  }
  return "unknown error";
}

struct FormatSpec {
  char fill = ' ';
  char align = 0;  // '<', '>', '^', '=' or 0 for the type's default
  char sign = 0;   // '+', '-', ' ' or 0
  bool alternate = false;
  bool zero = false;
  int width = 0;
  char grouping = 0;  // ',', '_' or 0
  int precision = -1;
  char type = 0;
};

constexpr bool IsDigit(char c) { return c >= '0' && c <= '9'; }
constexpr bool IsIdentifierStart(char c) {
  return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         static_cast<unsigned char>(c) >= 0x80;
}
constexpr bool IsIdentifierChar(char c) {
  return IsIdentifierStart(c) || IsDigit(c);
}

// Parses a spec (what follows ':' in a field); false if it is malformed.
constexpr bool ParseSpec(std::string_view s, FormatSpec& spec) {
  size_t i = 0;
  auto is_align = [](char c) {
    return c == '<' || c == '>' || c == '^' || c == '=';
  };
  if (s.size() >= 2 && is_align(s[1])) {
    spec.fill = s[0];
    spec.align = s[1];
    i = 2;
  } else if (!s.empty() && is_align(s[0])) {
    spec.align = s[0];
    i = 1;
  }
  if (i < s.size() && (s[i] == '+' || s[i] == '-' || s[i] == ' ')) {
    spec.sign = s[i++];
  }
  if (i < s.size() && s[i] == '#') {
    spec.alternate = true;
    ++i;
  }
  if (i < s.size() && s[i] == '0') {
    spec.zero = true;
    ++i;
  }
  int digits = 0;
  while (i < s.size() && IsDigit(s[i])) {
    if (++digits > 6) return false;  // widths beyond 999999 are a mistake
    spec.width = spec.width * 10 + (s[i++] - '0');
  }
  if (i < s.size() && (s[i] == ',' || s[i] == '_')) spec.grouping = s[i++];
  if (i < s.size() && s[i] == '.') {
    ++i;
    spec.precision = 0;
    digits = 0;
    while (i < s.size() && IsDigit(s[i])) {
      if (++digits > 4) return false;
      spec.precision = spec.precision * 10 + (s[i++] - '0');
    }
    if (digits == 0) return false;
  }
  if (i < s.size()) {
    constexpr std::string_view kTypes = "sdnxXobceEfFgG%";
    if (kTypes.find(s[i]) == std::string_view::npos) return false;
    spec.type = s[i++];
  }
  return i == s.size();
}

// Walks `format`, calling on_text(std::string_view) for each run of literal
// text and on_field(name, conversion, spec) for each field (conversion is
// 0, 's' or 'r'); on_field returns a FormatError to stop with. Returns the
// first error, or kNone.
template <typename OnText, typename OnField>
constexpr FormatError ParseFormat(std::string_view format, OnText&& on_text,
                                  OnField&& on_field) {
  size_t text_start = 0;
  size_t i = 0;
  while (i < format.size()) {
    char c = format[i];
    if (c == '}') {
      if (i + 1 < format.size() && format[i + 1] == '}') {
        on_text(format.substr(text_start, i + 1 - text_start));
        i += 2;
        text_start = i;
        continue;
      }
      return FormatError::kUnmatchedCloseBrace;
    }
    if (c != '{') {
      ++i;
      continue;
    }
    if (i + 1 < format.size() && format[i + 1] == '{') {
      on_text(format.substr(text_start, i + 1 - text_start));
      i += 2;
      text_start = i;
      continue;
    }
    if (i > text_start) on_text(format.substr(text_start, i - text_start));
    size_t close = format.find('}', i + 1);
    if (close == std::string_view::npos) {
      return FormatError::kUnmatchedOpenBrace;
    }
    std::string_view field = format.substr(i + 1, close - i - 1);
    if (field.find('{') != std::string_view::npos) {
      return FormatError::kBadSpec;  // nested fields are not supported
    }
    size_t end = 0;
    while (end < field.size() && field[end] != '!' && field[end] != ':') {
      ++end;
    }
    std::string_view name = field.substr(0, end);
    if (name.empty() || IsDigit(name[0])) {
      return FormatError::kPositionalField;
    }
    for (char n : name) {
      if (n == '.' || n == '[') return FormatError::kFieldAccess;
      if (!IsIdentifierChar(n)) return FormatError::kBadFieldName;
    }
    if (!IsIdentifierStart(name[0])) return FormatError::kBadFieldName;
    char conversion = 0;
    if (end < field.size() && field[end] == '!') {
      if (end + 1 >= field.size() ||
          (field[end + 1] != 's' && field[end + 1] != 'r') ||
          (end + 2 < field.size() && field[end + 2] != ':')) {
        return FormatError::kBadConversion;
      }
      conversion = field[end + 1];
      end += 2;
    }
    FormatSpec spec;
    if (end < field.size()) {  // field[end] == ':'
      if (!ParseSpec(field.substr(end + 1), spec)) return FormatError::kBadSpec;
    }
    FormatError error = on_field(name, conversion, spec);
    if (error != FormatError::kNone) return error;
    i = close + 1;
    text_start = i;
  }
  if (i > text_start) on_text(format.substr(text_start, i - text_start));
  return FormatError::kNone;
}

// Appends `value` formatted by `spec` after applying `conversion`. Returns
// kBadSpec (leaving `out` unspecified) when the spec does not suit the value,
// as Python's format() would raise.
FormatError FormatValue(const LogValue& value, char conversion,
                        const FormatSpec& spec, std::string& out);

}  // namespace internal
}  // namespace txaio

#endif  // TXAIO_CORE_INTERNAL_LOG_FORMAT_H_
