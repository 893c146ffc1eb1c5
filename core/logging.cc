#include "core/logging.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "core/unhandled.h"

namespace txaio {
namespace internal {

struct LoggerState {
  explicit LoggerState(std::string_view name) : log_namespace(name) {}
  ~LoggerState();

  const std::string log_namespace;
  std::atomic<int> level{0};
  bool explicit_level = false;  // guarded by the registry's mutex
};

namespace {

double UnixSeconds(absl::Time t) {
  return absl::ToDoubleSeconds(t - absl::UnixEpoch());
}

constexpr std::string_view kLevelNames[] = {
    "none", "critical", "error", "warn", "info", "debug", "trace"};

using ObserverList =
    std::vector<std::pair<LogObserverId, std::shared_ptr<const LogObserver>>>;

// Everything global about logging, behind one mutex that guards all but the
// atomics. Loggers read their level from their own atomic and observers
// from an immutable snapshot, so a log call takes the mutex only to copy the
// snapshot pointer.
struct Registry {
  // std::mutex, not absl::Mutex: Debian's Abseil is not built with TSan, so
  // its Mutex is invisible to TSan and a race check would see false races.
  std::mutex mutex;
  std::atomic<int> global_level{static_cast<int>(LogLevel::kInfo)};
  absl::flat_hash_set<LoggerState*> loggers;
  std::shared_ptr<const ObserverList> observers =
      std::make_shared<const ObserverList>();
  LogObserverId next_id = 1;
  std::optional<LogObserverId> started;
  std::map<std::string, std::string, std::less<>> categories;
  // Read without the mutex so events without categories skip the lookup.
  std::atomic<bool> have_categories{false};
};

Registry& GetRegistry() {
  static Registry* registry = new Registry;
  return *registry;
}

void CheckLevel(LogLevel level) {
  int value = static_cast<int>(level);
  if (value < 0 || value > static_cast<int>(LogLevel::kTrace)) {
    throw std::invalid_argument(absl::StrCat(
        "Invalid log level ", value,
        "; valid are: none, critical, error, warn, info, debug, trace"));
  }
}

std::string_view LevelName(LogLevel level) {
  int value = static_cast<int>(level);
  if (value < 0 || value > static_cast<int>(LogLevel::kTrace)) return "?";
  return kLevelNames[value];
}

// The event as a Python-like dict, for lines that could not be formatted.
void AppendRawEvent(const LogEvent& event, std::string& out) {
  out.append("{'log_format': ");
  AppendRepr(LogValue(event.log_format), out);
  out.append(", 'log_level': ");
  AppendRepr(LogValue(LevelName(event.log_level)), out);
  out.append(", 'log_namespace': ");
  AppendRepr(LogValue(event.log_namespace), out);
  out.append(", 'log_time': ");
  AppendPythonFloat(UnixSeconds(event.log_time), out);
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
  if (name == "log_level") return LogValue(LevelName(event.log_level));
  if (name == "log_namespace") return LogValue(event.log_namespace);
  if (name == "log_format") return LogValue(event.log_format);
  if (name == "log_time") {
    return LogValue(UnixSeconds(event.log_time));
  }
  return std::nullopt;
}

void AppendJsonString(std::string_view text, std::string& out) {
  out.push_back('"');
  for (char c : text) {
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
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
        if (static_cast<unsigned char>(c) < 0x20) {
          static constexpr char kHex[] = "0123456789abcdef";
          out.append("\\u00");
          out.push_back(kHex[(c >> 4) & 0xF]);
          out.push_back(kHex[c & 0xF]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

void AppendJsonNumber(double value, std::string& out) {
  if (!std::isfinite(value)) {
    // JSON has no NaN or infinity.
    AppendJsonString(std::isnan(value) ? "nan" : (value > 0 ? "inf" : "-inf"),
                     out);
    return;
  }
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out.append(buffer, end);
}

void AppendJsonValue(const LogValue& value, std::string& out) {
  std::visit(
      [&out](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) {
          out.append(v ? "true" : "false");
        } else if constexpr (std::is_same_v<T, double>) {
          AppendJsonNumber(v, out);
        } else if constexpr (std::is_integral_v<T>) {
          out.append(std::to_string(v));
        } else {
          AppendJsonString(v, out);
        }
      },
      value);
}

// Writes whole lines to a stream under a lock.
}  // namespace

// Outside the anonymous namespace: ScopedLogging (logging.h) holds one.
class TextWriter {
 public:
  TextWriter(std::ostream& out, absl::TimeZone zone, TextLogLayout layout)
      : out_(&out), zone_(zone), layout_(layout) {}
  // A writer that owns its stream.
  TextWriter(std::shared_ptr<std::ostream> out, absl::TimeZone zone,
             TextLogLayout layout)
      : TextWriter(*out, zone, layout) {
    owned_ = std::move(out);
  }

  void operator()(const LogEvent& event) {
    std::string line;
    if (layout_ == TextLogLayout::kTimeNamespaceLevelMessage) {
      line.push_back('[');
      line.append(event.log_namespace);
      line.push_back('#');
      line.append(LevelName(event.log_level));
      line.append("] ");
    }
    bool has_message = !event.log_format.empty() || event.log_failure == nullptr;
    if (has_message) append_formatted_event(event, line);
    if (event.log_failure != nullptr) {
      if (has_message) line.push_back('\n');
      line.append(failure_format_traceback(*event.log_failure));
      if (!line.empty() && line.back() == '\n') line.pop_back();
    }
    line.push_back('\n');
    std::lock_guard<std::mutex> lock(mutex_);
    if (out_ == nullptr) return;  // detached
    // Formatting the time costs more than the rest: reuse it within a second.
    int64_t second = absl::ToUnixSeconds(event.log_time);
    if (second != cached_second_) {
      cached_second_ = second;
      cached_time_ = absl::FormatTime("%Y-%m-%dT%H:%M:%S%z", event.log_time,
                                      zone_);
    }
    *out_ << cached_time_ << ' ' << line;
    out_->flush();
  }

  // Stops writing: an event being written on another thread finishes
  // first, later ones (from a snapshot of the observers taken before the
  // writer was removed) are dropped. After this the stream may go.
  void detach() {
    std::lock_guard<std::mutex> lock(mutex_);
    out_ = nullptr;
  }

 private:
  std::ostream* out_;  // guarded by mutex_
  std::shared_ptr<std::ostream> owned_;
  const absl::TimeZone zone_;
  const TextLogLayout layout_;
  std::mutex mutex_;
  int64_t cached_second_ = INT64_MIN;
  std::string cached_time_;
};

namespace {

class JsonWriter {
 public:
  explicit JsonWriter(std::ostream& out) : out_(out) {}

  void operator()(const LogEvent& event) {
    std::string line = "{\"log_time\":";
    AppendJsonNumber(UnixSeconds(event.log_time), line);
    line.append(",\"log_level\":");
    AppendJsonString(LevelName(event.log_level), line);
    line.append(",\"log_namespace\":");
    AppendJsonString(event.log_namespace, line);
    line.append(",\"log_format\":");
    AppendJsonString(event.log_format, line);
    line.append(",\"log_text\":");
    AppendJsonString(format_event(event), line);
    for (const LogField& field : event.fields) {
      line.push_back(',');
      AppendJsonString(field.name, line);
      line.push_back(':');
      AppendJsonValue(field.value, line);
    }
    if (event.log_failure != nullptr) {
      line.append(",\"log_failure\":");
      AppendJsonString(failure_format_traceback(*event.log_failure), line);
    }
    line.append("}\n");
    std::lock_guard<std::mutex> lock(mutex_);
    out_ << line;
    out_.flush();
  }

 private:
  std::ostream& out_;
  std::mutex mutex_;
};

}  // namespace

LoggerState::~LoggerState() {
  Registry& registry = GetRegistry();
  std::lock_guard<std::mutex> lock(registry.mutex);
  registry.loggers.erase(this);
}

void log_format_names_a_field_that_is_not_given() {}
void log_format_is_malformed_see_core_internal_log_format_h() {}

void Dispatch(LogLevel level, std::string_view log_namespace,
              std::string_view format, absl::Span<const LogField> fields,
              const Failure* failure) {
  Registry& registry = GetRegistry();
  LogEvent event{absl::Now(), level, log_namespace, format, fields, failure};
  std::string category_format;
  if (registry.have_categories.load(std::memory_order_acquire)) {
    const LogValue* category = event.find("log_category");
    const std::string_view* name =
        category != nullptr ? std::get_if<std::string_view>(category) : nullptr;
    const std::string* owned =
        category != nullptr ? std::get_if<std::string>(category) : nullptr;
    if (name != nullptr || owned != nullptr) {
      std::string_view key = name != nullptr ? *name : *owned;
      std::lock_guard<std::mutex> lock(registry.mutex);
      auto it = registry.categories.find(key);
      if (it != registry.categories.end()) {
        category_format = it->second;
        event.log_format = category_format;
      }
    }
  }
  std::shared_ptr<const ObserverList> observers;
  {
    std::lock_guard<std::mutex> lock(registry.mutex);
    observers = registry.observers;
  }
  for (const auto& [id, observer] : *observers) {
    try {
      (*observer)(event);
    } catch (...) {
      report_unhandled_failure(create_failure());
    }
  }
}

}  // namespace internal

using internal::GetRegistry;
using internal::Registry;

std::string_view log_level_name(LogLevel level) {
  internal::CheckLevel(level);
  return internal::kLevelNames[static_cast<int>(level)];
}

LogLevel parse_log_level(std::string_view name) {
  for (int i = 0; i <= static_cast<int>(LogLevel::kTrace); ++i) {
    if (internal::kLevelNames[i] == name) return static_cast<LogLevel>(i);
  }
  throw std::invalid_argument(
      "Invalid log level '" + std::string(name) +
      "'; valid are: none, critical, error, warn, info, debug, trace");
}

const LogValue* LogEvent::find(std::string_view name) const {
  for (const LogField& field : fields) {
    if (field.name == name) return &field.value;
  }
  return nullptr;
}

void append_formatted_event(const LogEvent& event, std::string& out) {
  size_t start = out.size();
  internal::FormatError error = internal::FormatError::kNone;
  std::string_view missing;
  try {
    error = internal::ParseFormat(
        event.log_format, [&out](std::string_view text) { out.append(text); },
        [&](std::string_view name, char conversion,
            const internal::FormatSpec& spec) {
          std::optional<LogValue> value = internal::Lookup(event, name);
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
  internal::AppendRawEvent(event, out);
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

LogObserverId add_log_observer(LogObserver observer) {
  if (!observer) throw std::invalid_argument("add_log_observer: empty observer");
  Registry& registry = GetRegistry();
  auto shared = std::make_shared<const LogObserver>(std::move(observer));
  std::lock_guard<std::mutex> lock(registry.mutex);
  auto list = std::make_shared<internal::ObserverList>(*registry.observers);
  LogObserverId id = registry.next_id++;
  list->emplace_back(id, std::move(shared));
  registry.observers = std::move(list);
  return id;
}

bool remove_log_observer(LogObserverId id) {
  Registry& registry = GetRegistry();
  std::shared_ptr<const internal::ObserverList> old;
  std::lock_guard<std::mutex> lock(registry.mutex);
  auto list = std::make_shared<internal::ObserverList>(*registry.observers);
  auto it = std::find_if(list->begin(), list->end(),
                         [id](const auto& entry) { return entry.first == id; });
  if (it == list->end()) return false;
  list->erase(it);
  // The old list (and maybe the observer) dies outside the lock.
  old = std::exchange(registry.observers, std::move(list));
  return true;
}

LogObserver make_text_log_writer(std::ostream& out, absl::TimeZone zone) {
  return make_text_log_writer(out, TextLogLayout::kTimeMessage, zone);
}

LogObserver make_text_log_writer(std::ostream& out, TextLogLayout layout,
                                 absl::TimeZone zone) {
  auto writer = std::make_shared<internal::TextWriter>(out, zone, layout);
  return [writer](const LogEvent& event) { (*writer)(event); };
}

LogObserver make_json_log_writer(std::ostream& out) {
  auto writer = std::make_shared<internal::JsonWriter>(out);
  return [writer](const LogEvent& event) { (*writer)(event); };
}

namespace {

// Installs `writer` as the one start_logging() writer, replacing any other,
// and sets the global level. Returns the writer's observer id.
LogObserverId StartWriter(std::shared_ptr<internal::TextWriter> writer,
                          LogLevel level) {
  internal::CheckLevel(level);
  LogObserverId id = add_log_observer(
      [writer](const LogEvent& event) { (*writer)(event); });
  std::optional<LogObserverId> previous;
  {
    Registry& registry = GetRegistry();
    std::lock_guard<std::mutex> lock(registry.mutex);
    previous = std::exchange(registry.started, id);
  }
  if (previous) remove_log_observer(*previous);
  set_global_log_level(level);
  return id;
}

}  // namespace

void start_logging(std::ostream& out, LogLevel level, TextLogLayout layout) {
  if (&out != &std::cout && &out != &std::cerr && &out != &std::clog) {
    // The writer would keep a reference that outlives most other streams.
    throw std::invalid_argument(
        "start_logging(std::ostream&) takes std::cout, std::cerr or "
        "std::clog; for another stream use txaio::ScopedLogging (which "
        "stops at the end of its scope) or pass a std::shared_ptr to it");
  }
  StartWriter(std::make_shared<internal::TextWriter>(
                  out, absl::LocalTimeZone(), layout),
              level);
}

void start_logging(std::ostream& out, std::string_view level,
                   TextLogLayout layout) {
  start_logging(out, parse_log_level(level), layout);
}

void start_logging(std::shared_ptr<std::ostream> out, LogLevel level,
                   TextLogLayout layout) {
  if (out == nullptr) {
    throw std::invalid_argument("start_logging: the stream is null");
  }
  StartWriter(std::make_shared<internal::TextWriter>(
                  std::move(out), absl::LocalTimeZone(), layout),
              level);
}

void start_logging(std::shared_ptr<std::ostream> out, std::string_view level,
                   TextLogLayout layout) {
  start_logging(std::move(out), parse_log_level(level), layout);
}

void stop_logging() {
  std::optional<LogObserverId> previous;
  {
    Registry& registry = GetRegistry();
    std::lock_guard<std::mutex> lock(registry.mutex);
    previous = std::exchange(registry.started, std::nullopt);
  }
  if (previous) remove_log_observer(*previous);
}

ScopedLogging::ScopedLogging(std::ostream& out, LogLevel level,
                             TextLogLayout layout)
    : writer_(std::make_shared<internal::TextWriter>(
          out, absl::LocalTimeZone(), layout)),
      id_(StartWriter(writer_, level)) {}

ScopedLogging::ScopedLogging(std::ostream& out, std::string_view level,
                             TextLogLayout layout)
    : ScopedLogging(out, parse_log_level(level), layout) {}

ScopedLogging::~ScopedLogging() {
  bool ours = false;
  {
    Registry& registry = GetRegistry();
    std::lock_guard<std::mutex> lock(registry.mutex);
    if (registry.started == id_) {
      registry.started.reset();
      ours = true;
    }
  }
  // A later start_logging() may have replaced (and removed) it already.
  if (ours) remove_log_observer(id_);
  writer_->detach();
}

void set_global_log_level(LogLevel level) {
  internal::CheckLevel(level);
  Registry& registry = GetRegistry();
  std::lock_guard<std::mutex> lock(registry.mutex);
  registry.global_level.store(static_cast<int>(level),
                              std::memory_order_relaxed);
  for (internal::LoggerState* state : registry.loggers) {
    if (!state->explicit_level) {
      state->level.store(static_cast<int>(level), std::memory_order_relaxed);
    }
  }
}

void set_global_log_level(std::string_view level) {
  set_global_log_level(parse_log_level(level));
}

LogLevel get_global_log_level() {
  return static_cast<LogLevel>(
      GetRegistry().global_level.load(std::memory_order_relaxed));
}

void add_log_categories(const std::map<std::string, std::string>& categories) {
  Registry& registry = GetRegistry();
  std::lock_guard<std::mutex> lock(registry.mutex);
  for (const auto& [name, format] : categories) {
    registry.categories[name] = format;
  }
  registry.have_categories.store(!registry.categories.empty(),
                                 std::memory_order_release);
}

Logger::Logger(std::shared_ptr<internal::LoggerState> state)
    : state_(std::move(state)), level_(&state_->level) {}

void Logger::emit(LogLevel level, std::string_view format,
                  absl::Span<const LogField> fields,
                  const Failure* failure) const {
  internal::CheckLevel(level);
  if (!enabled(level) || level == LogLevel::kNone) return;
  internal::Dispatch(level, log_namespace(), format, fields, failure);
}

void Logger::set_log_level(LogLevel level, bool keep) {
  internal::CheckLevel(level);
  Registry& registry = GetRegistry();
  std::lock_guard<std::mutex> lock(registry.mutex);
  state_->explicit_level = keep;
  state_->level.store(static_cast<int>(level), std::memory_order_relaxed);
}

void Logger::set_log_level(std::string_view level, bool keep) {
  set_log_level(parse_log_level(level), keep);
}

void Logger::follow_global_log_level() {
  Registry& registry = GetRegistry();
  std::lock_guard<std::mutex> lock(registry.mutex);
  state_->explicit_level = false;
  state_->level.store(registry.global_level.load(std::memory_order_relaxed),
                      std::memory_order_relaxed);
}

LogLevel Logger::log_level() const {
  return static_cast<LogLevel>(level_->load(std::memory_order_relaxed));
}

bool Logger::has_explicit_level() const {
  Registry& registry = GetRegistry();
  std::lock_guard<std::mutex> lock(registry.mutex);
  return state_->explicit_level;
}

std::string_view Logger::log_namespace() const {
  return state_->log_namespace;
}

Logger make_logger(std::string_view log_namespace) {
  auto state = std::make_shared<internal::LoggerState>(log_namespace);
  Registry& registry = GetRegistry();
  {
    std::lock_guard<std::mutex> lock(registry.mutex);
    state->level.store(registry.global_level.load(std::memory_order_relaxed),
                       std::memory_order_relaxed);
    registry.loggers.insert(state.get());
  }
  return Logger(std::move(state));
}

Logger make_logger(std::string_view log_namespace, LogLevel level) {
  Logger logger = make_logger(log_namespace);
  logger.set_log_level(level, /*keep=*/true);
  return logger;
}

}  // namespace txaio
