// Internal: formatting one value by a PEP 3101 spec, as Python's format()
// does (the parser is constexpr, in log_format.h).
#include "core/internal/log_format.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>
#include <system_error>

namespace txaio::internal {
namespace {

// Characters, not bytes, decide the padding: count UTF-8 lead bytes.
size_t CodePoints(std::string_view text) {
  size_t n = 0;
  for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// Appends `body` (with `sign_prefix`, e.g. "-0x", kept before '=' padding)
// padded to spec.width.
void Pad(std::string_view sign_prefix, std::string_view body,
         const FormatSpec& spec, char default_align, std::string& out) {
  size_t length = CodePoints(sign_prefix) + CodePoints(body);
  size_t width = static_cast<size_t>(spec.width);
  if (length >= width) {
    out.append(sign_prefix);
    out.append(body);
    return;
  }
  size_t padding = width - length;
  char align = spec.align != 0 ? spec.align : default_align;
  char fill = spec.fill;
  if (spec.zero && spec.align == 0) {
    align = '=';
    fill = '0';
  }
  switch (align) {
    case '<':
      out.append(sign_prefix);
      out.append(body);
      out.append(padding, fill);
      break;
    case '^':
      out.append(padding / 2, fill);
      out.append(sign_prefix);
      out.append(body);
      out.append(padding - padding / 2, fill);
      break;
    case '=':
      out.append(sign_prefix);
      out.append(padding, fill);
      out.append(body);
      break;
    default:  // '>'
      out.append(padding, fill);
      out.append(sign_prefix);
      out.append(body);
      break;
  }
}

// Inserts `separator` every three digits of the leading run of digits.
std::string Group(std::string_view digits, char separator, size_t every) {
  size_t run = 0;
  while (run < digits.size() &&
         (IsDigit(digits[run]) ||
          (every == 4 &&
           std::isxdigit(static_cast<unsigned char>(digits[run]))))) {
    ++run;
  }
  std::string grouped;
  for (size_t i = 0; i < run; ++i) {
    if (i > 0 && (run - i) % every == 0) grouped.push_back(separator);
    grouped.push_back(digits[i]);
  }
  grouped.append(digits.substr(run));
  return grouped;
}

std::string SignPrefix(bool negative, char sign) {
  if (negative) return "-";
  if (sign == '+') return "+";
  if (sign == ' ') return " ";
  return "";
}

FormatError FormatString(std::string_view text, const FormatSpec& spec,
                         std::string& out) {
  if ((spec.type != 0 && spec.type != 's') || spec.sign != 0 ||
      spec.alternate || spec.grouping != 0 || spec.align == '=') {
    return FormatError::kBadSpec;
  }
  if (spec.precision >= 0) {
    // Truncate to `precision` characters, not bytes.
    size_t chars = 0;
    size_t end = 0;
    while (end < text.size()) {
      if ((static_cast<unsigned char>(text[end]) & 0xC0) != 0x80) {
        if (chars == static_cast<size_t>(spec.precision)) break;
        ++chars;
      }
      ++end;
    }
    text = text.substr(0, end);
  }
  Pad("", text, spec, '<', out);
  return FormatError::kNone;
}

FormatError FormatInteger(bool negative, uint64_t magnitude,
                          const FormatSpec& spec, std::string& out) {
  if (spec.precision >= 0) return FormatError::kBadSpec;
  int base = 10;
  std::string_view prefix;
  switch (spec.type) {
    case 0:
    case 'd':
    case 'n':
      break;
    case 'x':
    case 'X':
      base = 16;
      prefix = spec.type == 'x' ? "0x" : "0X";
      break;
    case 'o':
      base = 8;
      prefix = "0o";
      break;
    case 'b':
      base = 2;
      prefix = "0b";
      break;
    case 'c': {
      if (negative || magnitude > 0x10FFFF || spec.sign != 0 ||
          spec.alternate || spec.grouping != 0) {
        return FormatError::kBadSpec;
      }
      char buffer[4];
      uint32_t cp = static_cast<uint32_t>(magnitude);
      size_t n;
      if (cp < 0x80) {
        buffer[0] = static_cast<char>(cp);
        n = 1;
      } else if (cp < 0x800) {
        buffer[0] = static_cast<char>(0xC0 | (cp >> 6));
        buffer[1] = static_cast<char>(0x80 | (cp & 0x3F));
        n = 2;
      } else if (cp < 0x10000) {
        buffer[0] = static_cast<char>(0xE0 | (cp >> 12));
        buffer[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        buffer[2] = static_cast<char>(0x80 | (cp & 0x3F));
        n = 3;
      } else {
        buffer[0] = static_cast<char>(0xF0 | (cp >> 18));
        buffer[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        buffer[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        buffer[3] = static_cast<char>(0x80 | (cp & 0x3F));
        n = 4;
      }
      Pad("", std::string_view(buffer, n), spec, '<', out);
      return FormatError::kNone;
    }
    default:
      return FormatError::kBadSpec;
  }
  if (spec.grouping == ',' && base != 10) return FormatError::kBadSpec;
  char digits[72];
  auto [end, ec] =
      std::to_chars(digits, digits + sizeof(digits), magnitude, base);
  std::string body(digits, end);
  if (spec.type == 'X') {
    for (char& c : body) c = static_cast<char>(std::toupper(c));
  }
  if (spec.grouping != 0) {
    body = Group(body, spec.grouping, base == 10 ? 3 : 4);
  }
  std::string sign = SignPrefix(negative, spec.sign);
  if (spec.alternate) sign.append(prefix);
  Pad(sign, body, spec, '>', out);
  return FormatError::kNone;
}

std::string FixedOrExponent(double value, std::chars_format format,
                            int precision) {
  char buffer[512];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer),
                                 std::fabs(value), format, precision);
  if (ec != std::errc()) return "<too wide>";
  return std::string(buffer, end);
}

FormatError FormatDouble(double value, const FormatSpec& spec,
                         std::string& out) {
  bool negative = std::signbit(value);
  std::string body;
  char type = spec.type;
  if (std::isnan(value) || std::isinf(value)) {
    body = std::isnan(value) ? "nan" : "inf";
    if (type == 'E' || type == 'F' || type == 'G')
      body = std::isnan(value) ? "NAN" : "INF";
    if (type == '%') body.push_back('%');
    if (std::isnan(value)) negative = false;
  } else {
    switch (type) {
      case 0:
        if (spec.precision < 0) {
          AppendPythonFloat(std::fabs(value), body);
        } else {
          body = FixedOrExponent(value, std::chars_format::general,
                                 std::max(spec.precision, 1));
          if (body.find_first_of(".e") == std::string::npos) body += ".0";
        }
        break;
      case 'f':
      case 'F':
        body = FixedOrExponent(value, std::chars_format::fixed,
                               spec.precision < 0 ? 6 : spec.precision);
        break;
      case 'e':
      case 'E':
        body = FixedOrExponent(value, std::chars_format::scientific,
                               spec.precision < 0 ? 6 : spec.precision);
        break;
      case 'g':
      case 'G':
      case 'n':
        body = FixedOrExponent(value, std::chars_format::general,
                               spec.precision < 0    ? 6
                               : spec.precision == 0 ? 1
                                                     : spec.precision);
        break;
      case '%':
        body = FixedOrExponent(value * 100, std::chars_format::fixed,
                               spec.precision < 0 ? 6 : spec.precision) +
               "%";
        break;
      default:
        return FormatError::kBadSpec;
    }
    if (type == 'E' || type == 'G' || type == 'F') {
      for (char& c : body) c = static_cast<char>(std::toupper(c));
    }
    if (spec.alternate && body.find('.') == std::string::npos) {
      size_t e = body.find_first_of("eE%");
      body.insert(e == std::string::npos ? body.size() : e, ".");
    }
    if (spec.grouping != 0) body = Group(body, spec.grouping, 3);
  }
  Pad(SignPrefix(negative, spec.sign), body, spec, '>', out);
  return FormatError::kNone;
}

}  // namespace

FormatError FormatValue(const LogValue& value, char conversion,
                        const FormatSpec& spec, std::string& out) {
  if (conversion == 'r') {
    std::string repr;
    AppendRepr(value, repr);
    return FormatString(repr, spec, out);
  }
  if (conversion == 's') {
    if (const auto* b = std::get_if<bool>(&value)) {
      return FormatString(*b ? "True" : "False", spec, out);
    }
    if (const auto* d = std::get_if<double>(&value)) {
      std::string text;
      AppendPythonFloat(*d, text);
      return FormatString(text, spec, out);
    }
    if (const auto* i = std::get_if<int64_t>(&value)) {
      return FormatString(std::to_string(*i), spec, out);
    }
    if (const auto* u = std::get_if<uint64_t>(&value)) {
      return FormatString(std::to_string(*u), spec, out);
    }
  }
  return std::visit(
      [&](const auto& v) -> FormatError {
        using T = std::decay_t<decltype(v)>;
        auto float_type = [&] {
          return std::string_view("eEfFgG%").find(spec.type) !=
                     std::string_view::npos &&
                 spec.type != 0;
        };
        if constexpr (std::is_same_v<T, bool>) {
          // bool formats like int, except with an empty spec.
          FormatSpec empty;
          if (spec.fill == empty.fill && spec.align == 0 && spec.sign == 0 &&
              !spec.alternate && !spec.zero && spec.width == 0 &&
              spec.grouping == 0 && spec.precision < 0 && spec.type == 0) {
            out.append(v ? "True" : "False");
            return FormatError::kNone;
          }
          if (float_type()) return FormatDouble(v ? 1.0 : 0.0, spec, out);
          return FormatInteger(false, v ? 1 : 0, spec, out);
        } else if constexpr (std::is_same_v<T, int64_t>) {
          if (float_type()) {
            return FormatDouble(static_cast<double>(v), spec, out);
          }
          uint64_t magnitude = v < 0 ? uint64_t{0} - static_cast<uint64_t>(v)
                                     : static_cast<uint64_t>(v);
          return FormatInteger(v < 0, magnitude, spec, out);
        } else if constexpr (std::is_same_v<T, uint64_t>) {
          if (float_type()) {
            return FormatDouble(static_cast<double>(v), spec, out);
          }
          return FormatInteger(false, v, spec, out);
        } else if constexpr (std::is_same_v<T, double>) {
          return FormatDouble(v, spec, out);
        } else {
          return FormatString(v, spec, out);
        }
      },
      value);
}

}  // namespace txaio::internal
