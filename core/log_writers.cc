// The writers: the text writer (one line per event, log_line.h's layout)
// and the JSON-lines writer, and start_logging()/ScopedLogging, which
// install a text writer as the one "started" observer.
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "core/internal/log_escape.h"
#include "core/internal/log_registry.h"
#include "core/log_line.h"
#include "core/logging.h"

namespace txaio {
namespace internal {

// Writes whole lines to a stream under a lock. Outside an anonymous
// namespace: ScopedLogging (logging.h) holds one.
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
    std::string message;
    AppendTextLogMessage(
        event, layout_ == TextLogLayout::kTimeNamespaceLevelMessage, message);
    std::lock_guard<std::mutex> lock(mutex_);
    if (out_ == nullptr) return;  // detached
    line_.clear();
    lines_.Append(event.log_time, zone_, message, "\n", line_);
    out_->write(line_.data(), static_cast<std::streamsize>(line_.size()));
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
  LogLineFormatter lines_{UtcOffset::kHoursMinutes};  // guarded by mutex_
  std::string line_;                                  // guarded by mutex_
};

namespace {

double UnixSeconds(absl::Time t) {
  return absl::ToDoubleSeconds(t - absl::UnixEpoch());
}

class JsonWriter {
 public:
  explicit JsonWriter(std::ostream& out) : out_(out) {}

  void operator()(const LogEvent& event) {
    constexpr Notation kJson = Notation::kJson;
    std::string line = "{\"log_time\":";
    AppendLiteral(LogValue(UnixSeconds(event.log_time)), kJson, line);
    line.append(",\"log_level\":");
    AppendQuoted(LogLevelNameOrUnknown(event.log_level), kJson, line);
    line.append(",\"log_namespace\":");
    AppendQuoted(event.log_namespace, kJson, line);
    line.append(",\"log_format\":");
    AppendQuoted(event.log_format, kJson, line);
    line.append(",\"log_text\":");
    AppendQuoted(format_event(event), kJson, line);
    for (const LogField& field : event.fields) {
      line.push_back(',');
      AppendQuoted(field.name, kJson, line);
      line.push_back(':');
      AppendLiteral(field.value, kJson, line);
    }
    if (event.log_failure != nullptr) {
      line.append(",\"log_failure\":");
      AppendQuoted(failure_format_traceback(*event.log_failure), kJson, line);
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

// Installs `writer` as the one start_logging() writer, replacing any other,
// and sets the global level. Returns the writer's observer id.
LogObserverId StartWriter(std::shared_ptr<TextWriter> writer, LogLevel level) {
  CheckLogLevel(level);
  LogObserverId id =
      add_log_observer([writer](const LogEvent& event) { (*writer)(event); });
  std::optional<LogObserverId> previous = ExchangeStartedObserver(id);
  if (previous) remove_log_observer(*previous);
  set_global_log_level(level);
  return id;
}

}  // namespace
}  // namespace internal

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

void start_logging() { start_logging(std::cout); }

void start_logging(std::ostream& out, LogLevel level, TextLogLayout layout) {
  if (&out != &std::cout && &out != &std::cerr && &out != &std::clog) {
    // The writer would keep a reference that outlives most other streams.
    throw std::invalid_argument(
        "start_logging(std::ostream&) takes std::cout, std::cerr or "
        "std::clog; for another stream use txaio::ScopedLogging (which "
        "stops at the end of its scope) or pass a std::shared_ptr to it");
  }
  internal::StartWriter(std::make_shared<internal::TextWriter>(
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
  internal::StartWriter(std::make_shared<internal::TextWriter>(
                            std::move(out), absl::LocalTimeZone(), layout),
                        level);
}

void start_logging(std::shared_ptr<std::ostream> out, std::string_view level,
                   TextLogLayout layout) {
  start_logging(std::move(out), parse_log_level(level), layout);
}

void stop_logging() {
  std::optional<LogObserverId> previous =
      internal::ExchangeStartedObserver(std::nullopt);
  if (previous) remove_log_observer(*previous);
}

ScopedLogging::ScopedLogging(std::ostream& out, LogLevel level,
                             TextLogLayout layout)
    : writer_(std::make_shared<internal::TextWriter>(out, absl::LocalTimeZone(),
                                                     layout)),
      id_(internal::StartWriter(writer_, level)) {}

ScopedLogging::ScopedLogging(std::ostream& out, std::string_view level,
                             TextLogLayout layout)
    : ScopedLogging(out, parse_log_level(level), layout) {}

ScopedLogging::~ScopedLogging() {
  // A later start_logging() may have replaced (and removed) it already.
  if (internal::ClearStartedObserver(id_)) remove_log_observer(id_);
  writer_->detach();
}

}  // namespace txaio
