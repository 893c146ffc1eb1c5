#include "core/failure.h"

#include <cxxabi.h>

#include <cstdlib>
#include <stdexcept>
#include <typeinfo>

#include "absl/debugging/stacktrace.h"
#include "absl/debugging/symbolize.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace txaio {
namespace {

constexpr int kMaxFrames = 64;

std::string Demangle(const char* mangled) {
  int status = 0;
  char* demangled = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  if (status != 0 || demangled == nullptr) return mangled;
  std::string result(demangled);
  std::free(demangled);
  return result;
}

}  // namespace

Failure::Failure(std::exception_ptr error) {
  if (!error) throw std::invalid_argument("txaio::Failure needs an exception");
  auto data = std::make_shared<Data>();
  data->error = error;
  const std::type_info* type = error.__cxa_exception_type();
  data->type_name = type != nullptr ? Demangle(type->name()) : "unknown";
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    data->message = e.what();
  } catch (...) {
  }
  data->frames.resize(kMaxFrames);
  // Skip this constructor's own frame so the trace starts at the caller.
  int depth = absl::GetStackTrace(data->frames.data(), kMaxFrames, 1);
  data->frames.resize(depth > 0 ? depth : 0);
  data_ = std::move(data);
}

std::vector<StackFrame> Failure::traceback() const {
  std::vector<StackFrame> frames;
  frames.reserve(data_->frames.size());
  char symbol[1024];
  for (void* pc : data_->frames) {
    // Return addresses point after the call; symbolize the call itself.
    const char* pc_in_call = static_cast<const char*>(pc) - 1;
    bool found = absl::Symbolize(pc_in_call, symbol, sizeof symbol);
    frames.push_back({pc, found ? std::string(symbol) : "??"});
  }
  return frames;
}

Failure create_failure() {
  std::exception_ptr current = std::current_exception();
  if (!current) {
    throw std::logic_error(
        "txaio::create_failure() must be called inside a catch block");
  }
  return Failure(current);
}

Failure create_failure(std::exception_ptr error) {
  return Failure(std::move(error));
}

std::string failure_message(const Failure& failure) {
  std::string message = absl::StrCat(failure.type_name(), ": ",
                                     failure.message());
  for (char& c : message) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return message;
}

std::vector<StackFrame> failure_traceback(const Failure& failure) {
  return failure.traceback();
}

std::string failure_format_traceback(const Failure& failure) {
  std::string text = "Traceback (most recent call first):\n";
  int index = 0;
  for (const StackFrame& frame : failure.traceback()) {
    absl::StrAppendFormat(&text, "  #%-2d %p in %s\n", index++, frame.address,
                          frame.symbol);
  }
  absl::StrAppend(&text, failure_message(failure), "\n");
  return text;
}

}  // namespace txaio
