// The logging registry: loggers and their levels (global re-levelling),
// observers, log categories, and dispatch of each event (category lookup,
// then every observer).
#include "core/internal/log_registry.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/time/clock.h"
#include "core/logging.h"
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

}  // namespace

LoggerState::~LoggerState() {
  Registry& registry = GetRegistry();
  std::lock_guard<std::mutex> lock(registry.mutex);
  registry.loggers.erase(this);
}

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

std::optional<LogObserverId> ExchangeStartedObserver(
    std::optional<LogObserverId> id) {
  Registry& registry = GetRegistry();
  std::lock_guard<std::mutex> lock(registry.mutex);
  return std::exchange(registry.started, id);
}

bool ClearStartedObserver(LogObserverId id) {
  Registry& registry = GetRegistry();
  std::lock_guard<std::mutex> lock(registry.mutex);
  if (registry.started != id) return false;
  registry.started.reset();
  return true;
}

}  // namespace internal

using internal::GetRegistry;
using internal::Registry;

LogObserverId add_log_observer(LogObserver observer) {
  if (!observer)
    throw std::invalid_argument("add_log_observer: empty observer");
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

void set_global_log_level(LogLevel level) {
  internal::CheckLogLevel(level);
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
  internal::CheckLogLevel(level);
  if (!enabled(level) || level == LogLevel::kNone) return;
  internal::Dispatch(level, log_namespace(), format, fields, failure);
}

void Logger::set_log_level(LogLevel level, bool keep) {
  internal::CheckLogLevel(level);
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

std::string_view Logger::log_namespace() const { return state_->log_namespace; }

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
