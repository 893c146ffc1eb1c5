// Structured logging: txaio's make_logger, start_logging, log levels and
// categories, with PEP 3101 named fields checked at compile time.
//
//   using namespace txaio::literals;  // for "name"_f
//   txaio::Logger log = txaio::make_logger("myapp.Conn");
//   txaio::start_logging(std::cout, "debug");
//
//   log.info("Got '{result}' from {peer}", "result"_f = 42, "peer"_f = peer);
//   TXAIO_LOG_DEBUG(log, "state {s!r}", "s"_f = expensive_dump());
//   log.failure("Connection lost to {peer}", fail, "peer"_f = peer);
//
// A format naming a field that is not given (`{reslt}`), a positional or
// malformed field, or a bad spec is a compile error for literal formats. A
// format known only at run time goes through runtime_format(), or the
// type-erased Logger::emit() the bindings use; there a malformed format or a
// missing field never throws: the line says it could not be formatted and
// shows the raw event.
//
// Levels, in order: none, critical, error, warn, info, debug, trace. A
// logger either follows the global level (set_global_log_level, which
// re-levels every existing logger at once) or has its own, explicit level.
// A call at a disabled level costs one load and one branch; the
// TXAIO_LOG_<LEVEL> macros also skip evaluating the arguments, the member
// functions evaluate them before the check.
//
// Every event carries log_time, log_level, log_namespace, log_format and its
// fields, and goes to every observer: the text writer start_logging()
// installs ("2016-01-21T01:02:03-0100 message", or with namespace and level),
// a JSON-lines writer, or the application's own (add_log_observer). All of
// this is thread-safe. start_logging() writes to a standard stream or to one
// it owns; ScopedLogging writes to any stream for a scope.
#ifndef TXAIO_CORE_LOGGING_H_
#define TXAIO_CORE_LOGGING_H_

#include <array>
#include <atomic>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <ostream>  // ToLogValue streams values with operator<<
#include <string>
#include <string_view>
#include <type_traits>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/failure.h"
#include "core/internal/log_format.h"
#include "core/log_event.h"
#include "core/log_level.h"

namespace txaio {

// The event's message: log_format with its fields. Never throws: a malformed
// format or a missing field gives "Unable to format event {raw event}:
// reason". Fields may also name log_time, log_level, log_namespace and
// log_format.
std::string format_event(const LogEvent& event);
// As above, appending to `out` (for observers that reuse a buffer).
void append_formatted_event(const LogEvent& event, std::string& out);

// An observer. Called on the thread that logged, possibly from several
// threads at once; it must be thread-safe. What it throws is reported with
// report_unhandled_failure and never reaches the caller.
using LogObserver = std::function<void(const LogEvent&)>;
using LogObserverId = uint64_t;

// Registers `observer` for every event from now on; returns its id.
LogObserverId add_log_observer(LogObserver observer);
// Unregisters; returns whether `id` was registered.
bool remove_log_observer(LogObserverId id);

// The layout of a text log line.
enum class TextLogLayout {
  // txaio's: "2016-01-21T01:02:03-0100 message".
  kTimeMessage,
  // Twisted's classic log files' "[system]" with the level, so that warnings
  // and errors stand out: "2016-01-21T01:02:03-0100 [myapp.Conn#warn]
  // message".
  kTimeNamespaceLevelMessage,
};

// A writer of one line per event: the time in ISO 8601 with its UTC offset
// (as txaio writes it, "%Y-%m-%dT%H:%M:%S%z", in `zone`), a space, the
// message (see TextLogLayout); a failure's formatted traceback follows on
// the next lines. `out` must outlive the observer.
LogObserver make_text_log_writer(std::ostream& out,
                                 absl::TimeZone zone = absl::LocalTimeZone());
LogObserver make_text_log_writer(std::ostream& out, TextLogLayout layout,
                                 absl::TimeZone zone = absl::LocalTimeZone());
// A writer of one JSON object per line: log_time (seconds since the epoch),
// log_level, log_namespace, log_format, log_text (the message), every field
// with its type (numbers, booleans, strings), and log_failure (the formatted
// traceback) when there is one. `out` must outlive the observer.
LogObserver make_json_log_writer(std::ostream& out);

// txaio.start_logging(out, level): sets the global level and writes events
// to `out` with a text writer. Calling it again replaces the writer (txaio
// ignores later calls; replacing is what tests and reconfiguration want).
// An invalid level throws std::invalid_argument listing the valid ones.
//
// The writer keeps `out` for as long as logging lasts, so this form takes
// only std::cout, std::cerr or std::clog (another stream throws
// std::invalid_argument): give other streams by std::shared_ptr, which the
// writer then owns, or log into them for a scope with ScopedLogging.
void start_logging(std::ostream& out, LogLevel level = LogLevel::kInfo,
                   TextLogLayout layout = TextLogLayout::kTimeMessage);
// start_logging(std::cout).
void start_logging();
void start_logging(std::ostream& out, std::string_view level,
                   TextLogLayout layout = TextLogLayout::kTimeMessage);
void start_logging(std::shared_ptr<std::ostream> out,
                   LogLevel level = LogLevel::kInfo,
                   TextLogLayout layout = TextLogLayout::kTimeMessage);
void start_logging(std::shared_ptr<std::ostream> out, std::string_view level,
                   TextLogLayout layout = TextLogLayout::kTimeMessage);
// Removes the writer start_logging() installed, if any.
void stop_logging();

namespace internal {
class TextWriter;
}  // namespace internal

// start_logging() for a scope, into any stream that outlives the scope (a
// test's std::ostringstream): installs the text writer as start_logging()
// does, and the destructor removes it, after which nothing more is written
// to `out`, not even by another thread logging at that moment.
//
//   std::ostringstream out;
//   txaio::ScopedLogging logging(out, "debug");
class ScopedLogging {
 public:
  explicit ScopedLogging(std::ostream& out, LogLevel level = LogLevel::kInfo,
                         TextLogLayout layout = TextLogLayout::kTimeMessage);
  ScopedLogging(std::ostream& out, std::string_view level,
                TextLogLayout layout = TextLogLayout::kTimeMessage);
  ScopedLogging(const ScopedLogging&) = delete;
  ScopedLogging& operator=(const ScopedLogging&) = delete;
  ~ScopedLogging();

 private:
  std::shared_ptr<internal::TextWriter> writer_;
  LogObserverId id_;
};

// Sets the level of every logger that follows the global one, at once, and
// of those made later. Throws std::invalid_argument for an invalid level.
void set_global_log_level(LogLevel level);
void set_global_log_level(std::string_view level);
LogLevel get_global_log_level();

// txaio.add_log_categories: an event whose log_category field names a
// registered category is formatted with the category's format instead of
// the one given (fields are then checked only at run time).
void add_log_categories(const std::map<std::string, std::string>& categories);

// ---------------------------------------------------------------------------
// Named fields and compile-time checked formats.

// A string usable as a template argument.
template <size_t N>
struct FixedString {
  char data[N] = {};
  constexpr FixedString(const char (&text)[N]) {  // NOLINT: implicit by design
    for (size_t i = 0; i < N; ++i) data[i] = text[i];
  }
  constexpr std::string_view view() const { return {data, N - 1}; }
};

// A field argument: "name"_f = value. Holds a reference: use it within the
// logging call's full expression.
template <FixedString Name, typename T>
struct NamedArg {
  static constexpr std::string_view name = Name.view();
  const T& value;
};

// What "name"_f makes.
template <FixedString Name>
struct FieldName {
  template <typename T>
  constexpr NamedArg<Name, T> operator=(const T& value) const {
    return {value};
  }
};

// The function form of "name"_f = value: field<"name">(value).
template <FixedString Name, typename T>
constexpr NamedArg<Name, T> field(const T& value) {
  return {value};
}

namespace literals {
template <FixedString Name>
constexpr FieldName<Name> operator""_f() {
  return {};
}
}  // namespace literals

namespace internal {

template <typename T>
struct IsNamedArg : std::false_type {};
template <FixedString Name, typename T>
struct IsNamedArg<NamedArg<Name, T>> : std::true_type {};

// Called only from consteval code, which makes any call a compile error
// whose message names the problem.
void log_format_is_malformed_see_core_internal_log_format_h();

// Set only by LogFormat's compile-time check of a literal format naming a
// field that is not given, and only to make that check fail: the value of
// a LogFormat that is not a constant expression is printed in the error,
// which so spells out the field, e.g. GCC's "error:
// 'txaio::LogFormat<...>{...{txaio::internal::
// log_format_names_a_field_that_is_not_given{char [24]{'r', 'e', 's', 'l',
// 't'}, ...}}' is not a constant expression" for "{reslt}". Names longer
// than 23 bytes are cut (the error's next line shows the whole format).
struct log_format_names_a_field_that_is_not_given {  // NOLINT: read in errors
  char name[24] = {};
  const void* not_constant = nullptr;
};

// Streams `value` with `write` into a string (ToLogValue's operator<< case,
// out of line so that this header needs no <sstream>).
std::string StreamToString(void (*write)(std::ostream&, const void*),
                           const void* value);
template <typename T>
void StreamValue(std::ostream& out, const void* value) {
  out << *static_cast<const T*>(value);
}

constexpr bool IsEventKey(std::string_view name) {
  return name == "log_time" || name == "log_level" || name == "log_namespace" ||
         name == "log_format";
}

// The first field of `format` that is neither in `names` nor an event key
// (empty if none).
template <size_t N>
constexpr std::string_view FirstUnknownField(
    std::string_view format, const std::array<std::string_view, N>& names) {
  std::string_view unknown;
  ParseFormat(
      format, [](std::string_view) {},
      [&](std::string_view name, char, const FormatSpec&) {
        if (IsEventKey(name)) return FormatError::kNone;
        for (std::string_view given : names) {
          if (given == name) return FormatError::kNone;
        }
        unknown = name;
        return FormatError::kUnknownField;
      });
  return unknown;
}

// Converts a field value: integers, floating point, bool, strings (viewed,
// not copied), enums as their number, and anything else with operator<<
// (formatted now).
template <typename T>
LogValue ToLogValue(const T& value) {
  if constexpr (std::is_same_v<T, bool>) {
    return value;
  } else if constexpr (std::is_same_v<T, char>) {
    return std::string(1, value);
  } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
    return static_cast<int64_t>(value);
  } else if constexpr (std::is_integral_v<T>) {
    return static_cast<uint64_t>(value);
  } else if constexpr (std::is_floating_point_v<T>) {
    return static_cast<double>(value);
  } else if constexpr (std::is_enum_v<T>) {
    return ToLogValue(static_cast<std::underlying_type_t<T>>(value));
  } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    return std::string_view(value);
  } else if constexpr (std::is_same_v<T, Failure>) {
    return failure_message(value);
  } else {
    static_assert(
        requires(std::ostream & os, const T& v) { os << v; },
        "a log field value must be a number, bool, string, enum or have "
        "operator<<");
    return StreamToString(&StreamValue<T>, &value);
  }
}

// Delivers an event to the observers (the level is already checked).
void Dispatch(LogLevel level, std::string_view log_namespace,
              std::string_view format, absl::Span<const LogField> fields,
              const Failure* failure);

struct LoggerState;

}  // namespace internal

// A format for the named arguments Args: a literal is checked at compile
// time, runtime_format() is checked when the event is formatted.
template <typename... Args>
class LogFormat {
 public:
  template <typename S>
  requires std::convertible_to<const S&, std::string_view>
  consteval LogFormat(const S& format)  // NOLINT: implicit by design
      : format_(format) {
    static_assert((internal::IsNamedArg<Args>::value && ...),
                  "log arguments must be named: \"name\"_f = value");
    constexpr std::array<std::string_view, sizeof...(Args)> names = {
        Args::name...};
    internal::FormatError error = internal::ParseFormat(
        format_, [](std::string_view) {},
        [&](std::string_view name, char, const internal::FormatSpec&) {
          if (internal::IsEventKey(name)) return internal::FormatError::kNone;
          for (std::string_view given : names) {
            if (given == name) return internal::FormatError::kNone;
          }
          return internal::FormatError::kUnknownField;
        });
    if (error == internal::FormatError::kUnknownField) {
      std::string_view name = internal::FirstUnknownField(format_, names);
      unknown_ = {};  // format_ no longer needed: the check fails
      for (size_t i = 0; i < name.size() && i + 1 < sizeof(unknown_.name);
           ++i) {
        unknown_.name[i] = name[i];
      }
      // A pointer to a local: the constructed value is no constant, a
      // compile error that shows it (and so the field's name).
      char here = 0;
      unknown_.not_constant = &here;
    } else if (error != internal::FormatError::kNone) {
      internal::log_format_is_malformed_see_core_internal_log_format_h();
    }
  }

  struct Runtime {
    std::string_view format;
  };
  LogFormat(Runtime runtime) : format_(runtime.format) {}  // NOLINT

  std::string_view get() const { return format_; }

 private:
  union {
    std::string_view format_;
    // Only when the compile-time check fails (see its type).
    internal::log_format_names_a_field_that_is_not_given unknown_;
  };
};

// A format known only at run time: log.info(runtime_format(text), ...).
// Fields are then checked when the event is formatted.
struct RuntimeFormat {
  std::string_view format;
  template <typename... Args>
  operator LogFormat<Args...>() const {  // NOLINT: implicit by design
    return typename LogFormat<Args...>::Runtime{format};
  }
};
inline RuntimeFormat runtime_format(std::string_view format) {
  return {format};
}

template <typename... Args>
using LogFormatFor = LogFormat<std::type_identity_t<Args>...>;

// A logger (txaio's ILogger). Copies share one logger and its level.
class Logger {
 public:
  // True when `level` is logged; the one branch a disabled call costs.
  bool enabled(LogLevel level) const {
    return static_cast<int>(level) <= level_->load(std::memory_order_relaxed);
  }

  // Logs at `level` (not kNone) if enabled. Arguments are "name"_f = value.
  template <typename... Args>
  void log(LogLevel level, LogFormatFor<Args...> format,
           const Args&... args) const {
    if (!enabled(level) || level == LogLevel::kNone) return;
    const std::array<LogField, sizeof...(Args)> fields = {
        LogField{Args::name, internal::ToLogValue(args.value)}...};
    internal::Dispatch(level, log_namespace(), format.get(), fields, nullptr);
  }

  template <typename... Args>
  void critical(LogFormatFor<Args...> format, const Args&... args) const {
    log(LogLevel::kCritical, format, args...);
  }
  template <typename... Args>
  void error(LogFormatFor<Args...> format, const Args&... args) const {
    log(LogLevel::kError, format, args...);
  }
  template <typename... Args>
  void warn(LogFormatFor<Args...> format, const Args&... args) const {
    log(LogLevel::kWarn, format, args...);
  }
  template <typename... Args>
  void info(LogFormatFor<Args...> format, const Args&... args) const {
    log(LogLevel::kInfo, format, args...);
  }
  template <typename... Args>
  void debug(LogFormatFor<Args...> format, const Args&... args) const {
    log(LogLevel::kDebug, format, args...);
  }
  template <typename... Args>
  void trace(LogFormatFor<Args...> format, const Args&... args) const {
    log(LogLevel::kTrace, format, args...);
  }

  // Logs `failure` at the error level: the message (which may be empty),
  // then failure_format_traceback(failure).
  template <typename... Args>
  void failure(LogFormatFor<Args...> format, const Failure& failure,
               const Args&... args) const {
    if (!enabled(LogLevel::kError)) return;
    const std::array<LogField, sizeof...(Args)> fields = {
        LogField{Args::name, internal::ToLogValue(args.value)}...};
    internal::Dispatch(LogLevel::kError, log_namespace(), format.get(), fields,
                       &failure);
  }
  void failure(const Failure& failure) const { this->failure("", failure); }

  // The type-erased call the bindings use: the format is checked when the
  // event is formatted. `failure` may be null.
  void emit(LogLevel level, std::string_view format,
            absl::Span<const LogField> fields,
            const Failure* failure = nullptr) const;

  // Sets this logger's level. With keep (txaio's default) the level is
  // explicit and global changes no longer move it; without, the next global
  // change does. Throws std::invalid_argument for an invalid level.
  void set_log_level(LogLevel level, bool keep = true);
  void set_log_level(std::string_view level, bool keep = true);
  // Follows the global level again (and takes it now).
  void follow_global_log_level();
  LogLevel log_level() const;
  // Whether the level is explicit (set with keep).
  bool has_explicit_level() const;

  std::string_view log_namespace() const;

 private:
  friend Logger make_logger(std::string_view log_namespace);
  explicit Logger(std::shared_ptr<internal::LoggerState> state);

  std::shared_ptr<internal::LoggerState> state_;
  // Points into state_, so enabled() is one load away from the logger.
  const std::atomic<int>* level_;
};

// txaio.make_logger(): a logger for `log_namespace` (e.g. "myapp.Conn")
// following the global level.
Logger make_logger(std::string_view log_namespace);
// A logger with an explicit level.
Logger make_logger(std::string_view log_namespace, LogLevel level);

}  // namespace txaio

// Logs only if the level is enabled, without evaluating the arguments
// otherwise: TXAIO_LOG_INFO(log, "Got {x}", "x"_f = compute());
#define TXAIO_LOG_AT_(logger, level, ...)            \
  do {                                               \
    const ::txaio::Logger& txaio_logger_ = (logger); \
    if (txaio_logger_.enabled(level)) {              \
      txaio_logger_.log(level, __VA_ARGS__);         \
    }                                                \
  } while (false)
#define TXAIO_LOG_CRITICAL(logger, ...) \
  TXAIO_LOG_AT_(logger, ::txaio::LogLevel::kCritical, __VA_ARGS__)
#define TXAIO_LOG_ERROR(logger, ...) \
  TXAIO_LOG_AT_(logger, ::txaio::LogLevel::kError, __VA_ARGS__)
#define TXAIO_LOG_WARN(logger, ...) \
  TXAIO_LOG_AT_(logger, ::txaio::LogLevel::kWarn, __VA_ARGS__)
#define TXAIO_LOG_INFO(logger, ...) \
  TXAIO_LOG_AT_(logger, ::txaio::LogLevel::kInfo, __VA_ARGS__)
#define TXAIO_LOG_DEBUG(logger, ...) \
  TXAIO_LOG_AT_(logger, ::txaio::LogLevel::kDebug, __VA_ARGS__)
#define TXAIO_LOG_TRACE(logger, ...) \
  TXAIO_LOG_AT_(logger, ::txaio::LogLevel::kTrace, __VA_ARGS__)

#endif  // TXAIO_CORE_LOGGING_H_
