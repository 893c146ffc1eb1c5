#include "core/failure.h"

#include <cxxabi.h>
#include <elfutils/libdwfl.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <typeinfo>

#include "absl/container/flat_hash_map.h"
#include "absl/debugging/stacktrace.h"
#include "absl/debugging/symbolize.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/internal/throw_trace.h"

namespace txaio {

struct Failure::Data {
  std::exception_ptr error;
  std::string type_name;
  std::string message;
  std::vector<void*> frames;
  std::optional<Failure> cause;
};

namespace {

// Causes deeper than this are cut off (a cycle cannot be built with
// std::nested_exception, but a long chain is still unreadable).
constexpr int kMaxCauses = 16;

std::string Demangle(const char* mangled) {
  int status = 0;
  char* demangled = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  if (status != 0 || demangled == nullptr) return mangled;
  std::string result(demangled);
  std::free(demangled);
  return result;
}

// std::throw_with_nested(E) throws a std::_Nested_exception<E>: name E.
std::string UserTypeName(std::string name) {
  constexpr std::string_view kNested = "std::_Nested_exception<";
  if (name.starts_with(kNested) && name.ends_with(">")) {
    return name.substr(kNested.size(), name.size() - kNested.size() - 1);
  }
  return name;
}

// The qualified name in a demangled symbol, without the return type a
// template function's symbol starts with ("void std::__invoke_impl<...>").
std::string_view QualifiedName(std::string_view symbol) {
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < symbol.size(); ++i) {
    char c = symbol[i];
    if (c == '<' || c == '(') {
      if (c == '(' && depth == 0) break;
      ++depth;
    } else if (c == '>' || c == ')') {
      --depth;
    } else if (c == ' ' && depth == 0) {
      start = i + 1;
    }
  }
  return symbol.substr(start);
}

// Frames that are the plumbing between a throw and the code a reader wrote:
// callback dispatch, the loops (every txaio class named ...Loop...:
// LoopBase, RunnableLoop, each backend's), invoke and type-erasure layers,
// the throw hook, libc's start.
bool IsPlumbing(std::string_view symbol) {
  static constexpr std::string_view kPrefixes[] = {
      "txaio::internal::",
      "txaio::(anonymous namespace)::RunIsolated<",  // the loop's, too
      "txaio::Future<",
      "txaio::Api::",
      "absl::",
      "std::__invoke",
      "std::invoke",
      "std::_Function_handler",
      "std::function<",
      "std::__throw_with_nested",
      "std::throw_with_nested",
      "boost::asio::",
      "boost_asio_handler_invoke_helpers::",
      "__libc_start",
      "_start",
      // The throw hook, and a sanitizer's interceptors around it.
      "__cxa_throw",
      "__interceptor_",
  };
  std::string_view name = QualifiedName(symbol);
  for (std::string_view prefix : kPrefixes) {
    if (name.starts_with(prefix)) return true;
  }
  constexpr std::string_view kTxaio = "txaio::";
  if (name.starts_with(kTxaio)) {
    std::string_view rest = name.substr(kTxaio.size());
    std::string_view type = rest.substr(0, rest.find("::"));
    if (type.size() < rest.size() &&
        type.find("Loop") != std::string_view::npos) {
      return true;
    }
  }
  return false;
}

// Symbolizes with libdw: full template arguments (absl's demangler elides
// them) and file:line from DWARF. One session for the process, since
// loading debug information is the expensive part; libdw is not
// thread-safe, hence the lock.
class Symbolizer {
 public:
  static Symbolizer& Get() {
    static Symbolizer* symbolizer = new Symbolizer;  // used until exit
    return *symbolizer;
  }

  StackFrame Frame(void* pc) {
    std::lock_guard<std::mutex> lock(mutex_);
    // libdw scans a module's symbol table per lookup (10-75 us); the same
    // return addresses come back in every traceback of a code path.
    auto cached = cache_.find(pc);
    if (cached != cache_.end()) return cached->second;
    if (cache_.size() >= kMaxCached) cache_.clear();
    return cache_.emplace(pc, Lookup(pc)).first->second;
  }

 private:
  static constexpr size_t kMaxCached = 4096;

  StackFrame Lookup(void* pc) {
    // A return address points after the call; look up the call itself.
    Dwarf_Addr address = reinterpret_cast<Dwarf_Addr>(pc) - 1;
    StackFrame frame{pc, "??", "", 0};
    Dwfl_Module* module = Module(address);
    const char* name =
        module != nullptr ? dwfl_module_addrname(module, address) : nullptr;
    if (name != nullptr) {
      frame.symbol = Demangle(name);
    } else {
      char symbol[1024];
      if (absl::Symbolize(reinterpret_cast<void*>(address), symbol,
                          sizeof symbol)) {
        frame.symbol = symbol;
      }
    }
    Dwfl_Line* line =
        module != nullptr ? dwfl_module_getsrc(module, address) : nullptr;
    int line_number = 0;
    const char* file = line != nullptr
                           ? dwfl_lineinfo(line, nullptr, &line_number, nullptr,
                                           nullptr, nullptr)
                           : nullptr;
    if (file != nullptr && line_number > 0) {
      frame.file = file;
      frame.line = line_number;
    }
    return frame;
  }

  Symbolizer()
      : callbacks_{dwfl_linux_proc_find_elf, dwfl_standard_find_debuginfo,
                   nullptr, nullptr},
        dwfl_(dwfl_begin(&callbacks_)) {
    Report();
  }

  // Tells libdw which modules are mapped now.
  void Report() {
    if (dwfl_ == nullptr) return;
    dwfl_report_begin(dwfl_);
    dwfl_linux_proc_report(dwfl_, getpid());
    dwfl_report_end(dwfl_, nullptr, nullptr);
  }

  Dwfl_Module* Module(Dwarf_Addr address) {
    if (dwfl_ == nullptr) return nullptr;
    Dwfl_Module* module = dwfl_addrmodule(dwfl_, address);
    if (module == nullptr) {
      Report();  // a library loaded since
      module = dwfl_addrmodule(dwfl_, address);
    }
    return module;
  }

  std::mutex mutex_;
  absl::flat_hash_map<void*, StackFrame> cache_;  // guarded by mutex_
  Dwfl_Callbacks callbacks_;
  Dwfl* dwfl_;
};

}  // namespace

Failure::Failure(std::exception_ptr error) {
  if (!error) throw std::invalid_argument("txaio::Failure needs an exception");
  auto data = std::make_shared<Data>();
  data->error = error;
  const std::type_info* type = error.__cxa_exception_type();
  data->type_name =
      type != nullptr ? UserTypeName(Demangle(type->name())) : "unknown";
  // One rethrow reads both the message and the cause.
  const std::nested_exception* nested = nullptr;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    data->message = e.what();
    nested = dynamic_cast<const std::nested_exception*>(&e);
  } catch (const std::nested_exception& e) {
    nested = &e;
  } catch (...) {
  }
  // (The exception object outlives the handler: `error` holds it.)
  if (nested != nullptr && nested->nested_ptr()) {
    data->cause.emplace(nested->nested_ptr());
  }
  if (!internal::ThrowSiteFrames(error, data->frames)) {
    // Never thrown (or thrown where the hooks do not reach): the stack
    // here, without this constructor's frame. Walked by frame pointers,
    // which cost a tenth of the DWARF unwinding a throw needs (its frames
    // include libstdc++'s, built without them): this path makes every
    // CancelledError.
    data->frames.resize(internal::kMaxThrowFrames);
    int depth =
        absl::GetStackTrace(data->frames.data(), internal::kMaxThrowFrames, 1);
    data->frames.resize(depth > 0 ? depth : 0);
  }
  data_ = std::move(data);
}

const std::exception_ptr& Failure::value() const { return data_->error; }
const std::string& Failure::type_name() const { return data_->type_name; }
const std::string& Failure::message() const { return data_->message; }
void Failure::rethrow() const { std::rethrow_exception(data_->error); }
const Failure* Failure::cause() const {
  return data_->cause ? &*data_->cause : nullptr;
}

std::vector<StackFrame> Failure::traceback() const {
  std::vector<StackFrame> frames;
  frames.reserve(data_->frames.size());
  Symbolizer& symbolizer = Symbolizer::Get();
  for (void* pc : data_->frames) {
    StackFrame frame = symbolizer.Frame(pc);
    if (!IsPlumbing(frame.symbol)) frames.push_back(std::move(frame));
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
  std::string message =
      absl::StrCat(failure.type_name(), ": ", failure.message());
  for (char& c : message) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return message;
}

std::vector<StackFrame> failure_traceback(const Failure& failure) {
  return failure.traceback();
}

namespace {

void AppendTraceback(const Failure& failure, int depth, std::string& text) {
  if (failure.cause() != nullptr && depth < kMaxCauses) {
    AppendTraceback(*failure.cause(), depth + 1, text);
    text.append(
        "\nThe above exception was the direct cause of the following "
        "exception:\n\n");
  }
  text.append("Traceback (most recent call first):\n");
  int index = 0;
  for (const StackFrame& frame : failure.traceback()) {
    absl::StrAppendFormat(&text, "  #%-2d %p in %s", index++, frame.address,
                          frame.symbol);
    if (frame.line > 0)
      absl::StrAppend(&text, " at ", frame.file, ":", frame.line);
    text.push_back('\n');
  }
  absl::StrAppend(&text, failure_message(failure), "\n");
}

}  // namespace

std::string failure_format_traceback(const Failure& failure) {
  std::string text;
  AppendTraceback(failure, 0, text);
  return text;
}

}  // namespace txaio
