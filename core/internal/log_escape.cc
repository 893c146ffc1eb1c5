// Internal: quoting and escaping of strings, and numbers and booleans, as
// Python or JSON literals (see log_escape.h).
#include "core/internal/log_escape.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <type_traits>

namespace txaio::internal {
namespace {

// Shortest round-trip digits of |value| as "d.ddd" and its decimal exponent.
void ShortestDigits(double value, std::string& mantissa, int& exponent) {
  char buffer[64];
  auto [end, ec] =
      std::to_chars(buffer, buffer + sizeof(buffer), std::fabs(value),
                    std::chars_format::scientific);
  std::string_view text(buffer, end - buffer);
  size_t e = text.find('e');
  mantissa.assign(text.substr(0, e));
  exponent = std::atoi(std::string(text.substr(e + 1)).c_str());
}

void AppendJsonNumber(double value, std::string& out) {
  if (!std::isfinite(value)) {
    // JSON has no NaN or infinity.
    AppendQuoted(std::isnan(value) ? "nan" : (value > 0 ? "inf" : "-inf"),
                 Notation::kJson, out);
    return;
  }
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out.append(buffer, end);
}

}  // namespace

void AppendQuoted(std::string_view text, Notation notation, std::string& out) {
  const bool json = notation == Notation::kJson;
  // Python prefers single quotes unless the text holds one and no double.
  char quote = json || (text.find('\'') != std::string_view::npos &&
                        text.find('"') == std::string_view::npos)
                   ? '"'
                   : '\'';
  out.push_back(quote);
  for (char c : text) {
    switch (c) {
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      default:
        if (c == quote) {
          out.push_back('\\');
          out.push_back(c);
        } else if (static_cast<unsigned char>(c) < 0x20 ||
                   (!json && c == 0x7F)) {
          static constexpr char kHex[] = "0123456789abcdef";
          out.append(json ? "\\u00" : "\\x");
          out.push_back(kHex[(c >> 4) & 0xF]);
          out.push_back(kHex[c & 0xF]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back(quote);
}

void AppendLiteral(const LogValue& value, Notation notation, std::string& out) {
  const bool json = notation == Notation::kJson;
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) {
          out.append(json ? (v ? "true" : "false") : (v ? "True" : "False"));
        } else if constexpr (std::is_same_v<T, double>) {
          if (json) {
            AppendJsonNumber(v, out);
          } else {
            AppendPythonFloat(v, out);
          }
        } else if constexpr (std::is_integral_v<T>) {
          out.append(std::to_string(v));
        } else {
          AppendQuoted(v, notation, out);
        }
      },
      value);
}

void AppendPythonFloat(double value, std::string& out) {
  if (std::isnan(value)) {
    out.append("nan");
    return;
  }
  if (std::signbit(value)) out.push_back('-');
  if (std::isinf(value)) {
    out.append("inf");
    return;
  }
  std::string mantissa;
  int exponent;
  ShortestDigits(value, mantissa, exponent);
  std::string digits;
  for (char c : mantissa) {
    if (c != '.') digits.push_back(c);
  }
  if (exponent < -4 || exponent >= 16) {
    // repr's scientific form: "1e+16", "1.5e-05".
    out.push_back(digits[0]);
    if (digits.size() > 1) {
      out.push_back('.');
      out.append(digits, 1);
    }
    out.push_back('e');
    out.push_back(exponent < 0 ? '-' : '+');
    int magnitude = std::abs(exponent);
    if (magnitude < 10) out.push_back('0');
    out.append(std::to_string(magnitude));
    return;
  }
  if (exponent < 0) {
    out.append("0.");
    out.append(static_cast<size_t>(-exponent - 1), '0');
    out.append(digits);
    return;
  }
  size_t integer_digits = static_cast<size_t>(exponent) + 1;
  if (digits.size() <= integer_digits) {
    out.append(digits);
    out.append(integer_digits - digits.size(), '0');
    out.append(".0");
  } else {
    out.append(digits, 0, integer_digits);
    out.push_back('.');
    out.append(digits, integer_digits);
  }
}

}  // namespace txaio::internal
