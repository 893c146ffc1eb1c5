// Unit tests of the log format parser (ParseFormat, ParseSpec), the value
// formatter (FormatValue, against Python's str.format) and the Python/JSON
// literals (log_escape.h).
#include "core/internal/log_format.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/internal/log_escape.h"
#include "gtest/gtest.h"

namespace txaio::internal {
namespace {

// The parser's callbacks, as one string: text as is, fields as
// "<name|conversion|spec type|width>".
std::pair<FormatError, std::string> Trace(std::string_view format) {
  std::string out;
  FormatError error = ParseFormat(
      format, [&](std::string_view text) { out.append(text); },
      [&](std::string_view name, char conversion, const FormatSpec& spec) {
        out.append("<");
        out.append(name);
        out.append("|");
        if (conversion != 0) out.push_back(conversion);
        out.append("|");
        if (spec.type != 0) out.push_back(spec.type);
        out.append("|" + std::to_string(spec.width) + ">");
        return FormatError::kNone;
      });
  return {error, out};
}

TEST(ParseFormatTest, TextFieldsAndEscapedBraces) {
  EXPECT_EQ(Trace("plain"),
            std::make_pair(FormatError::kNone, std::string("plain")));
  EXPECT_EQ(Trace(""), std::make_pair(FormatError::kNone, std::string()));
  EXPECT_EQ(Trace("a {x} b {y!r:>8d} {{c}}"),
            std::make_pair(FormatError::kNone,
                           std::string("a <x|||0> b <y|r|d|8> {c}")));
  EXPECT_EQ(Trace("{_x1}{é}"), std::make_pair(FormatError::kNone,
                                              std::string("<_x1|||0><é|||0>")));
}

TEST(ParseFormatTest, Errors) {
  EXPECT_EQ(Trace("a {x").first, FormatError::kUnmatchedOpenBrace);
  EXPECT_EQ(Trace("a } b").first, FormatError::kUnmatchedCloseBrace);
  EXPECT_EQ(Trace("{}").first, FormatError::kPositionalField);
  EXPECT_EQ(Trace("{0}").first, FormatError::kPositionalField);
  EXPECT_EQ(Trace("{a.b}").first, FormatError::kFieldAccess);
  EXPECT_EQ(Trace("{a[0]}").first, FormatError::kFieldAccess);
  EXPECT_EQ(Trace("{a-b}").first, FormatError::kBadFieldName);
  EXPECT_EQ(Trace("{a!x}").first, FormatError::kBadConversion);
  EXPECT_EQ(Trace("{a!}").first, FormatError::kBadConversion);
  EXPECT_EQ(Trace("{a:q}").first, FormatError::kBadSpec);
  EXPECT_EQ(Trace("{a:{b}}").first, FormatError::kBadSpec);
  EXPECT_EQ(Trace("{a:.}").first, FormatError::kBadSpec);
  EXPECT_EQ(Trace("{a:1234567}").first, FormatError::kBadSpec);
}

TEST(ParseFormatTest, StopsAtTheFieldCallbacksError) {
  int fields = 0;
  FormatError error = ParseFormat(
      "{a}{b}{c}", [](std::string_view) {},
      [&](std::string_view name, char, const FormatSpec&) {
        ++fields;
        return name == "b" ? FormatError::kUnknownField : FormatError::kNone;
      });
  EXPECT_EQ(error, FormatError::kUnknownField);
  EXPECT_EQ(fields, 2);
}

TEST(ParseFormatTest, IsConstexpr) {
  constexpr FormatError error = ParseFormat(
      "x {a:>4} {{", [](std::string_view) {},
      [](std::string_view, char, const FormatSpec&) {
        return FormatError::kNone;
      });
  static_assert(error == FormatError::kNone);
  static_assert(FormatErrorText(FormatError::kUnknownField) == "missing field");
}

TEST(ParseSpecTest, Fields) {
  FormatSpec spec;
  ASSERT_TRUE(ParseSpec("*^+#012,.3f", spec));
  EXPECT_EQ(spec.fill, '*');
  EXPECT_EQ(spec.align, '^');
  EXPECT_EQ(spec.sign, '+');
  EXPECT_TRUE(spec.alternate);
  EXPECT_TRUE(spec.zero);
  EXPECT_EQ(spec.width, 12);
  EXPECT_EQ(spec.grouping, ',');
  EXPECT_EQ(spec.precision, 3);
  EXPECT_EQ(spec.type, 'f');
  FormatSpec empty;
  EXPECT_TRUE(ParseSpec("", empty));
  EXPECT_EQ(empty.precision, -1);
  FormatSpec bad;
  EXPECT_FALSE(ParseSpec("5z", bad));
  EXPECT_FALSE(ParseSpec(".12345", bad));
}

// `format` (one field, "{v...}") with `value`, as the core formats it.
std::string Format(std::string_view format, const LogValue& value) {
  std::string out;
  FormatError error = ParseFormat(
      format, [&](std::string_view text) { out.append(text); },
      [&](std::string_view, char conversion, const FormatSpec& spec) {
        return FormatValue(value, conversion, spec, out);
      });
  if (error != FormatError::kNone) {
    return "error: " + std::string(FormatErrorText(error));
  }
  return out;
}

// Expected values are Python 3.11's str.format of the same format and value.
TEST(FormatValueTest, IntegersAsPython) {
  EXPECT_EQ(Format("{v:>5}", int64_t{42}), "   42");
  EXPECT_EQ(Format("{v:<5}|", int64_t{42}), "42   |");
  EXPECT_EQ(Format("{v:^6}", int64_t{42}), "  42  ");
  EXPECT_EQ(Format("{v:+d}", int64_t{42}), "+42");
  EXPECT_EQ(Format("{v: d}", int64_t{-42}), "-42");
  EXPECT_EQ(Format("{v:#x}", int64_t{255}), "0xff");
  EXPECT_EQ(Format("{v:#X}", int64_t{255}), "0XFF");
  EXPECT_EQ(Format("{v:#o}", int64_t{8}), "0o10");
  EXPECT_EQ(Format("{v:b}", int64_t{5}), "101");
  EXPECT_EQ(Format("{v:,}", int64_t{1234567}), "1,234,567");
  EXPECT_EQ(Format("{v:_x}", int64_t{0xdeadbeef}), "dead_beef");
  EXPECT_EQ(Format("{v:c}", int64_t{233}), "é");
  EXPECT_EQ(Format("{v:=+6}", int64_t{-5}), "-    5");
  EXPECT_EQ(Format("{v}", std::numeric_limits<int64_t>::min()),
            "-9223372036854775808");
  EXPECT_EQ(Format("{v}", std::numeric_limits<uint64_t>::max()),
            "18446744073709551615");
  EXPECT_EQ(Format("{v:.2}", int64_t{1}), "error: invalid format spec");
  EXPECT_EQ(Format("{v:s}", int64_t{1}), "error: invalid format spec");
}

TEST(FormatValueTest, FloatsAsPython) {
  EXPECT_EQ(Format("{v:08.3f}", -3.14159), "-003.142");
  EXPECT_EQ(Format("{v:e}", 12345.678), "1.234568e+04");
  EXPECT_EQ(Format("{v:.2%}", 0.256), "25.60%");
  EXPECT_EQ(Format("{v:g}", 1e-7), "1e-07");
  EXPECT_EQ(Format("{v}", 0.1), "0.1");
  EXPECT_EQ(Format("{v}", 1e16), "1e+16");
  EXPECT_EQ(Format("{v}", 1.5e-5), "1.5e-05");
  EXPECT_EQ(Format("{v}", 3.0), "3.0");
  EXPECT_EQ(Format("{v}", std::nan("")), "nan");
  EXPECT_EQ(Format("{v:f}", -std::numeric_limits<double>::infinity()), "-inf");
  EXPECT_EQ(Format("{v:x}", 1.5), "error: invalid format spec");
}

TEST(FormatValueTest, StringsAndBoolsAsPython) {
  EXPECT_EQ(Format("{v:*^9}", std::string_view("abc")), "***abc***");
  EXPECT_EQ(Format("{v:.2}", std::string_view("héllo")), "hé");
  EXPECT_EQ(Format("{v:>4}", std::string("é")), "   é");
  EXPECT_EQ(Format("{v}", true), "True");
  EXPECT_EQ(Format("{v:d}", true), "1");
  EXPECT_EQ(Format("{v:>5}", false), "    0");
  EXPECT_EQ(Format("{v!s:>5}", false), "False");
  EXPECT_EQ(Format("{v:d}", std::string_view("x")),
            "error: invalid format spec");
}

TEST(FormatValueTest, ReprConversion) {
  EXPECT_EQ(Format("{v!r}", std::string_view("it's")), "\"it's\"");
  EXPECT_EQ(Format("{v!r}", std::string_view("a\"b'c")), "'a\"b\\'c'");
  EXPECT_EQ(Format("{v!r}", std::string_view("tab\tnl\n\x01\x7f")),
            "'tab\\tnl\\n\\x01\\x7f'");
  EXPECT_EQ(Format("{v!r:>6}", std::string_view("ab")), "  'ab'");
  EXPECT_EQ(Format("{v!r}", true), "True");
  EXPECT_EQ(Format("{v!r}", 2.5), "2.5");
}

TEST(LiteralTest, PythonAndJsonShareOneEscaping) {
  auto literal = [](const LogValue& value, Notation notation) {
    std::string out;
    AppendLiteral(value, notation, out);
    return out;
  };
  const std::string_view text = "q\"s'\\\n\r\t\x02\x7f";
  EXPECT_EQ(literal(text, Notation::kPython),
            "'q\"s\\'\\\\\\n\\r\\t\\x02\\x7f'");
  EXPECT_EQ(literal(text, Notation::kJson),
            "\"q\\\"s'\\\\\\n\\r\\t\\u0002\x7f\"");
  EXPECT_EQ(literal(true, Notation::kPython), "True");
  EXPECT_EQ(literal(true, Notation::kJson), "true");
  EXPECT_EQ(literal(int64_t{-3}, Notation::kJson), "-3");
  EXPECT_EQ(literal(uint64_t{7}, Notation::kPython), "7");
  EXPECT_EQ(literal(1e16, Notation::kPython), "1e+16");
  EXPECT_EQ(literal(1e16, Notation::kJson), "1e+16");
  EXPECT_EQ(literal(0.5, Notation::kJson), "0.5");
  EXPECT_EQ(literal(std::nan(""), Notation::kJson), "\"nan\"");
  EXPECT_EQ(literal(-std::numeric_limits<double>::infinity(), Notation::kJson),
            "\"-inf\"");
  EXPECT_EQ(
      literal(-std::numeric_limits<double>::infinity(), Notation::kPython),
      "-inf");
}

TEST(LiteralTest, PythonFloat) {
  const std::vector<std::pair<double, std::string>> cases = {
      {1.0, "1.0"},       {0.1, "0.1"},
      {-0.0, "-0.0"},     {123456.0, "123456.0"},
      {1e16, "1e+16"},    {1.5e-5, "1.5e-05"},
      {0.0001, "0.0001"}, {1234.5678, "1234.5678"}};
  for (const auto& [value, expected] : cases) {
    std::string out;
    AppendPythonFloat(value, out);
    EXPECT_EQ(out, expected) << value;
  }
}

}  // namespace
}  // namespace txaio::internal
