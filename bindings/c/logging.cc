// Logging: loggers, levels (per logger and global), log events with typed
// fields, observers and categories, over the core's structured logger.
#include "core/logging.h"

#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bindings/c/conventions.h"
#include "bindings/c/handles.h"
#include "bindings/c/txaio.h"

using txaio::c_api::Borrowed;
using txaio::c_api::Check;
using txaio::c_api::Destroy;
using txaio::c_api::Guard;
using txaio::c_api::Need;
using txaio::c_api::OwnedState;
using txaio::c_api::RawEnum;
using txaio::c_api::Throw;

namespace {

// A level as the core's enum; anything outside the C enum throws. Taken by
// reference: copying an out-of-range enum would already be undefined.
txaio::LogLevel Level(const txaio_log_level& level) {
  // The core's level table (core/log_level.h) checks the value and words
  // the error (std::invalid_argument: TXAIO_ERR_INVALID_ARGUMENT).
  return txaio::log_level_from_int(RawEnum(level));
}

// A level an event can be logged at: CRITICAL..TRACE.
txaio::LogLevel EventLevel(const txaio_log_level& level) {
  txaio::LogLevel parsed = Level(level);
  if (parsed == txaio::LogLevel::kNone) {
    Throw(TXAIO_ERR_INVALID_ARGUMENT, "cannot log at TXAIO_LOG_NONE");
  }
  return parsed;
}

// The C fields as the core's, checked: names and strings non-NULL, types
// known.
std::vector<txaio::LogField> Fields(const txaio_log_field* fields,
                                    size_t count) {
  if (fields == nullptr && count > 0) {
    Throw(TXAIO_ERR_INVALID_ARGUMENT, "fields is NULL with count > 0");
  }
  std::vector<txaio::LogField> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const txaio_log_field& f = fields[i];
    if (f.name == nullptr) {
      Throw(TXAIO_ERR_INVALID_ARGUMENT,
            absl::StrCat("fields[", i, "].name is NULL"));
    }
    txaio::LogValue value;
    switch (RawEnum(f.type)) {
      case TXAIO_FIELD_BOOL:
        value = f.value.b != 0;
        break;
      case TXAIO_FIELD_INT:
        value = f.value.i;
        break;
      case TXAIO_FIELD_UINT:
        value = f.value.u;
        break;
      case TXAIO_FIELD_DOUBLE:
        value = f.value.d;
        break;
      case TXAIO_FIELD_STRING:
        if (f.value.s == nullptr) {
          Throw(
              TXAIO_ERR_INVALID_ARGUMENT,
              absl::StrCat("fields[", i, "] (", f.name, ") is a NULL string"));
        }
        value = std::string_view(f.value.s);
        break;
      default:
        Throw(TXAIO_ERR_INVALID_ARGUMENT,
              absl::StrCat("fields[", i, "] (", f.name, ") has unknown type ",
                           RawEnum(f.type)));
    }
    out.push_back({f.name, std::move(value)});
  }
  return out;
}

}  // namespace

extern "C" {
txaio_status txaio_log_level_name(txaio_log_level level, const char** out) {
  return Guard(__func__, [&] {
    Need(out, "out");
    // Every name is a string literal, so data() is NUL-terminated.
    *out = txaio::log_level_name(Level(level)).data();
  });
}

txaio_status txaio_log_level_parse(const char* name, txaio_log_level* out) {
  return Guard(__func__, [&] {
    Need(name, "name");
    Need(out, "out");
    *out = static_cast<txaio_log_level>(txaio::parse_log_level(name));
  });
}

txaio_status txaio_logger_new(const char* log_namespace, txaio_logger** out) {
  return Guard(__func__, [&] {
    Need(log_namespace, "log_namespace");
    Need(out, "out");
    *out = new txaio_logger(txaio::make_logger(log_namespace));
  });
}

txaio_status txaio_logger_destroy(txaio_logger* logger) {
  return Destroy(logger, __func__);
}

txaio_status txaio_logger_log(const txaio_logger* logger, txaio_log_level level,
                              const char* format, const txaio_log_field* fields,
                              size_t count) {
  return Guard(__func__, [&] {
    Check(logger, "logger");
    txaio::LogLevel parsed = EventLevel(level);
    Need(format, "format");
    if (!logger->logger.enabled(parsed)) return;
    std::vector<txaio::LogField> converted = Fields(fields, count);
    logger->logger.emit(parsed, format, converted);
  });
}

txaio_status txaio_logger_failure(const txaio_logger* logger,
                                  const char* format,
                                  const txaio_failure* failure,
                                  const txaio_log_field* fields, size_t count) {
  return Guard(__func__, [&] {
    Check(logger, "logger");
    Check(failure, "failure");
    Need(format, "format");
    if (!logger->logger.enabled(txaio::LogLevel::kError)) return;
    std::vector<txaio::LogField> converted = Fields(fields, count);
    logger->logger.emit(txaio::LogLevel::kError, format, converted,
                        &failure->failure);
  });
}

txaio_status txaio_logger_enabled(const txaio_logger* logger,
                                  txaio_log_level level, int* out) {
  return Guard(__func__, [&] {
    Check(logger, "logger");
    Need(out, "out");
    txaio::LogLevel parsed = Level(level);
    *out = parsed != txaio::LogLevel::kNone && logger->logger.enabled(parsed);
  });
}

txaio_status txaio_logger_set_level(txaio_logger* logger, txaio_log_level level,
                                    int keep) {
  return Guard(__func__, [&] {
    Check(logger, "logger");
    logger->logger.set_log_level(Level(level), keep != 0);
  });
}

txaio_status txaio_logger_follow_global_level(txaio_logger* logger) {
  return Guard(__func__, [&] {
    Check(logger, "logger")->logger.follow_global_log_level();
  });
}

txaio_status txaio_logger_level(const txaio_logger* logger,
                                txaio_log_level* out) {
  return Guard(__func__, [&] {
    Check(logger, "logger");
    Need(out, "out");
    *out = static_cast<txaio_log_level>(logger->logger.log_level());
  });
}

txaio_status txaio_logger_namespace(const txaio_logger* logger,
                                    const char** out) {
  return Guard(__func__, [&] {
    Check(logger, "logger");
    Need(out, "out");
    // The core keeps the namespace as a std::string: NUL-terminated.
    *out = logger->logger.log_namespace().data();
  });
}

txaio_status txaio_set_global_log_level(txaio_log_level level) {
  return Guard(__func__, [&] { txaio::set_global_log_level(Level(level)); });
}

txaio_status txaio_get_global_log_level(txaio_log_level* out) {
  return Guard(__func__, [&] {
    Need(out, "out");
    *out = static_cast<txaio_log_level>(txaio::get_global_log_level());
  });
}

txaio_status txaio_start_logging(txaio_log_level level, int use_stderr) {
  return Guard(__func__, [&] {
    txaio::start_logging(use_stderr != 0 ? std::cerr : std::cout, Level(level));
  });
}

txaio_status txaio_stop_logging(void) {
  return Guard(__func__, [&] { txaio::stop_logging(); });
}

txaio_status txaio_add_log_observer(txaio_log_observer_fn fn, void* state,
                                    txaio_destroy_fn destroy, uint64_t* id) {
  OwnedState owned(state, destroy);
  return Guard(__func__, [&] {
    Need(fn, "fn");
    // Shared: the core keeps observers in copyable std::functions.
    auto shared = std::make_shared<OwnedState>(std::move(owned));
    txaio::LogObserverId added =
        txaio::add_log_observer([fn, shared](const txaio::LogEvent& event) {
          std::string text = txaio::format_event(event);
          std::string log_namespace(event.log_namespace);
          std::optional<Borrowed<txaio_failure>> failure;
          if (event.log_failure != nullptr) failure.emplace(*event.log_failure);
          fn(shared->get(), static_cast<txaio_log_level>(event.log_level),
             log_namespace.c_str(), text.c_str(),
             failure ? failure->get() : nullptr);
        });
    if (id != nullptr) *id = added;
  });
}

txaio_status txaio_remove_log_observer(uint64_t id, int* removed) {
  return Guard(__func__, [&] {
    bool did = txaio::remove_log_observer(id);
    if (removed != nullptr) *removed = did ? 1 : 0;
  });
}

txaio_status txaio_add_log_categories(const char* const* names,
                                      const char* const* formats,
                                      size_t count) {
  return Guard(__func__, [&] {
    if ((names == nullptr || formats == nullptr) && count > 0) {
      Throw(TXAIO_ERR_INVALID_ARGUMENT, "names or formats is NULL");
    }
    std::map<std::string, std::string> categories;
    for (size_t i = 0; i < count; ++i) {
      if (names[i] == nullptr || formats[i] == nullptr) {
        Throw(TXAIO_ERR_INVALID_ARGUMENT,
              absl::StrCat("names[", i, "] or formats[", i, "] is NULL"));
      }
      categories[names[i]] = formats[i];
    }
    txaio::add_log_categories(categories);
  });
}

}  // extern "C"
