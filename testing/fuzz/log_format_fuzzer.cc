// libFuzzer target: the log format parser and formatter
// (core/internal/log_format.h) and the event formatting built on them
// (format_event, the JSON-lines writer). The input is a format string, its
// fields' values and a standalone spec; nothing may crash, hang, leak or
// throw (format_event never throws: a bad format is reported in its text).
#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "core/internal/log_format.h"
#include "core/logging.h"

namespace {

txaio::LogValue TakeValue(FuzzedDataProvider& in, std::string& storage) {
  switch (in.ConsumeIntegralInRange<int>(0, 6)) {
    case 0:
      return in.ConsumeBool();
    case 1:
      return in.ConsumeIntegral<int64_t>();
    case 2:
      return in.ConsumeIntegral<uint64_t>();
    case 3: {
      switch (in.ConsumeIntegralInRange<int>(0, 4)) {
        case 0:
          return std::numeric_limits<double>::quiet_NaN();
        case 1:
          return -std::numeric_limits<double>::infinity();
        case 2:
          return std::numeric_limits<double>::denorm_min();
        default:
          return in.ConsumeFloatingPoint<double>();
      }
    }
    case 4:
      storage = in.ConsumeRandomLengthString(64);
      return std::string_view(storage);
    default:
      return in.ConsumeRandomLengthString(64);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  static const char* const kNames[] = {"a", "b", "log_category", "x_1",
                                       "\xc3\xa9t\xc3\xa9"};
  std::string storage[5];
  std::vector<txaio::LogField> fields;
  const int count = in.ConsumeIntegralInRange<int>(0, 5);
  for (int i = 0; i < count; ++i) {
    fields.push_back({kNames[i], TakeValue(in, storage[i])});
  }
  const std::string spec_text = in.ConsumeRandomLengthString(32);
  const char conversion = in.PickValueInArray({'\0', 's', 'r'});
  const std::string format = in.ConsumeRemainingBytesAsString();

  // The parser alone, with every callback.
  size_t text_bytes = 0;
  txaio::internal::ParseFormat(
      format, [&](std::string_view text) { text_bytes += text.size(); },
      [&](std::string_view name, char, const txaio::internal::FormatSpec&) {
        return name.empty() ? txaio::internal::FormatError::kBadFieldName
                            : txaio::internal::FormatError::kNone;
      });
  if (text_bytes > format.size()) __builtin_trap();

  // A spec, applied to every field's value.
  txaio::internal::FormatSpec spec;
  if (txaio::internal::ParseSpec(spec_text, spec)) {
    for (const txaio::LogField& field : fields) {
      std::string out;
      txaio::internal::FormatValue(field.value, conversion, spec, out);
    }
  }
  for (const txaio::LogField& field : fields) {
    std::string out;
    txaio::internal::AppendRepr(field.value, out);
    if (const double* d = std::get_if<double>(&field.value)) {
      txaio::internal::AppendPythonFloat(*d, out);
    }
  }

  // Whole events, as observers see them.
  txaio::LogEvent event{absl::FromUnixSeconds(1453338123),
                        txaio::LogLevel::kInfo, "fuzz", format, fields};
  std::string text = txaio::format_event(event);
  std::ostringstream sink;
  txaio::make_json_log_writer(sink)(event);
  return 0;
}
