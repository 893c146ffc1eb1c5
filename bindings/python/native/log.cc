// The enabled-level log calls.
//
// StdlibEmitter, under asyncio (and before a framework is selected): format
// with str.format, then hand the line to the standard library's logging.
// When the record would reach exactly one handler, the one start_logging()
// installed (no other handlers, no filters on the way, levels allowing it),
// the line that handler would write is written directly: same text, same
// timestamp format, without building a LogRecord. Any other logging
// configuration takes the standard path.
//
// TwistedEmitter, under Twisted: builds the event twisted.logger.Logger.emit
// would, and when the global log publisher's only observer is the one
// txaio's start_logging() installed and that observer accepts the level,
// writes the line it would write (twisted's formatTime, then the event
// formatted by the format string) without the publisher, the observer and
// Twisted's pure-Python string.Formatter. Anything else, and any event the
// direct path cannot format, goes to the logger's observer as usual, so the
// output (including Twisted's "Unable to format event" text) is Twisted's.
//
// Both write the core's text log line (core/log_line.h), the one layout of
// every text writer: the pure-Python writers (txaio.aio's handler and
// txaio.tx's observer) format theirs with format_log_line() below. Log
// levels come from the core's table too (log_levels, parse_log_level).
#include <sys/time.h>

#include <cmath>
#include <cstddef>
#include <ctime>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "bindings/python/native/common.h"
#include "core/log_level.h"
#include "core/log_line.h"
#include "core/logging.h"

namespace txaio_py {
namespace {

// A file that log lines are written to directly, and how.
struct DirectSink {
  PyObject* file = nullptr;     // owned
  bool encode = false;          // whether the file takes bytes
  PyObject* linesep = nullptr;  // os.linesep, owned

  void Set(PyObject* new_file, bool new_encode, PyObject* new_linesep) {
    Py_XSETREF(file, Py_NewRef(new_file));
    encode = new_encode;
    Py_XSETREF(linesep, Py_NewRef(new_linesep));
  }
};

// What set_direct_handler() recorded.
PyObject* g_handler = nullptr;  // the handler start_logging() installed
DirectSink g_stdlib_sink;       // its file
PyObject* g_root = nullptr;     // logging.root

// time.time(), as Twisted's Logger.emit and logging's LogRecord take it.
double Now() {
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  return tv.tv_sec + tv.tv_usec * 1e-6;
}

// Python's local time of one second (as datetime.fromtimestamp and
// Twisted's formatTime see it): the civil time and the UTC offset.
txaio::LogLineTime LocalTime(int64_t second) {
  time_t s = static_cast<time_t>(second);
  struct tm tm;
  localtime_r(&s, &tm);
  return {absl::CivilSecond(tm.tm_year + 1900LL, tm.tm_mon + 1, tm.tm_mday,
                            tm.tm_hour, tm.tm_min, tm.tm_sec),
          static_cast<int>(tm.tm_gmtoff)};
}

// The Unix second of a time.time() value as datetime sees it: rounded to
// microseconds (half-even) before splitting off the seconds.
int64_t PythonSecond(double t) {
  double us = std::nearbyint(t * 1e6);
  return static_cast<int64_t>(std::floor(us / 1e6));
}

// The line formatters (they cache the formatted second; the GIL guards
// them): datetime.fromtimestamp(t).strftime("%Y-%m-%dT%H:%M:%S%z"), naive,
// so without offset (the asyncio handler's), and Twisted's formatTime(t)
// (with it).
txaio::LogLineFormatter g_naive_lines(txaio::UtcOffset::kOmitted);
txaio::LogLineFormatter g_offset_lines(txaio::UtcOffset::kPython);

// The line "<time> <message><linesep>" for an event at time.time() `t`, as
// a str, or as UTF-8 bytes when `encode`. New reference (nullptr with an
// error set).
PyObject* FormatLine(txaio::LogLineFormatter& lines, double t, PyObject* msg,
                     PyObject* linesep, bool encode) {
  Py_ssize_t msg_size, sep_size;
  const char* msg_utf8 = PyUnicode_AsUTF8AndSize(msg, &msg_size);
  PyObject* passed = nullptr;  // the message with lone surrogates kept
  if (msg_utf8 == nullptr) {
    // Lone surrogates (say, from surrogateescape): as bytes they fail as
    // they always did; in a str they stay as they are.
    if (encode || !PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) {
      return nullptr;
    }
    PyErr_Clear();
    passed = PyUnicode_AsEncodedString(msg, "utf-8", "surrogatepass");
    if (passed == nullptr) return nullptr;
    msg_utf8 = PyBytes_AS_STRING(passed);
    msg_size = PyBytes_GET_SIZE(passed);
  }
  const char* sep_utf8 = PyUnicode_AsUTF8AndSize(linesep, &sep_size);
  if (sep_utf8 == nullptr) {
    Py_XDECREF(passed);
    return nullptr;
  }
  static std::string line;  // reused: the GIL is held
  line.clear();
  lines.Append(PythonSecond(t), LocalTime,
               std::string_view(msg_utf8, static_cast<size_t>(msg_size)),
               std::string_view(sep_utf8, static_cast<size_t>(sep_size)), line);
  Py_XDECREF(passed);
  if (encode) {
    return PyBytes_FromStringAndSize(line.data(),
                                     static_cast<Py_ssize_t>(line.size()));
  }
  return PyUnicode_DecodeUTF8(line.data(), static_cast<Py_ssize_t>(line.size()),
                              "surrogatepass");
}

// Reads obj.<name> as a C long (-1 with an error set on failure).
long LongAttr(PyObject* obj, PyObject* name) {
  PyObject* v = PyObject_GetAttr(obj, name);
  if (v == nullptr) return -1;
  long r = PyLong_AsLong(v);
  Py_DECREF(v);
  return r;
}

// 1 if obj.<name> is a non-empty list (or anything non-list), 0 if an empty
// list, -1 on error.
int NonEmpty(PyObject* obj, PyObject* name) {
  PyObject* v = PyObject_GetAttr(obj, name);
  if (v == nullptr) return -1;
  int r = PyList_CheckExact(v) ? PyList_GET_SIZE(v) != 0 : 1;
  Py_DECREF(v);
  return r;
}

enum class Route { kDrop, kDirect, kStdlib, kError };

// Where the standard library would send a record at `levelno` from
// `logger`: nowhere, only to our handler, or somewhere else.
Route Decide(PyObject* logger, long levelno) {
  if (g_handler == nullptr) return Route::kStdlib;
  PyObject* manager = PyObject_GetAttr(logger, S.manager);
  if (manager == nullptr) return Route::kError;
  long disable = LongAttr(manager, S.disable);
  Py_DECREF(manager);
  if (disable == -1 && PyErr_Occurred()) {
    PyErr_Clear();
    return Route::kStdlib;
  }
  if (disable >= levelno) return Route::kDrop;
  PyObject* flag = PyObject_GetAttr(logger, S.disabled);
  if (flag == nullptr) return Route::kError;
  int disabled = PyObject_IsTrue(flag);
  Py_DECREF(flag);
  if (disabled) return disabled < 0 ? Route::kError : Route::kDrop;

  long effective = 0;
  PyObject* c = Py_NewRef(logger);
  while (true) {
    if (NonEmpty(c, S.filters) != 0) break;
    if (c == g_root) {
      PyObject* handlers = PyObject_GetAttr(c, S.handlers);
      if (handlers == nullptr) break;
      bool only_ours = PyList_CheckExact(handlers) &&
                       PyList_GET_SIZE(handlers) == 1 &&
                       PyList_GET_ITEM(handlers, 0) == g_handler;
      Py_DECREF(handlers);
      if (!only_ours) break;
      if (effective == 0) effective = LongAttr(c, S.level);
      Py_DECREF(c);
      if (effective == -1 && PyErr_Occurred()) return Route::kError;
      if (levelno < effective) return Route::kDrop;
      long handler_level = LongAttr(g_handler, S.level);
      if (handler_level == -1 && PyErr_Occurred()) return Route::kError;
      if (levelno < handler_level) return Route::kDrop;
      int filtered = NonEmpty(g_handler, S.filters);
      if (filtered < 0) return Route::kError;
      return filtered ? Route::kStdlib : Route::kDirect;
    }
    if (NonEmpty(c, S.handlers) != 0) break;
    if (effective == 0) {
      effective = LongAttr(c, S.level);
      if (effective == -1 && PyErr_Occurred()) break;
    }
    PyObject* propagate = PyObject_GetAttr(c, S.propagate);
    int p = propagate ? PyObject_IsTrue(propagate) : -1;
    Py_XDECREF(propagate);
    if (p != 1) break;
    PyObject* parent = PyObject_GetAttr(c, S.parent);
    if (parent == nullptr || parent == Py_None) {
      Py_XDECREF(parent);
      break;
    }
    Py_SETREF(c, parent);
  }
  Py_DECREF(c);
  PyErr_Clear();  // an odd logger: let logging itself deal with it
  return Route::kStdlib;
}

// Writes the line of `msg` at `t` to `sink`'s file (as bytes when it needs
// them). Returns write()'s result, or nullptr with an error set.
PyObject* WriteLine(const DirectSink& sink, txaio::LogLineFormatter& lines,
                    double t, PyObject* msg) {
  PyObject* line = FormatLine(lines, t, msg, sink.linesep, sink.encode);
  if (line == nullptr) return nullptr;
  PyObject* r = CallMethod1(sink.file, S.write, line);
  Py_DECREF(line);
  return r;
}

// One log call's arguments: the format (positional or format=, nullptr if
// neither) and a new dict of the other keyword arguments, with txaio's log
// categories applied (a log_category that has a registered format replaces
// the format given).
struct LogCall {
  PyObject* format = nullptr;  // owned
  PyObject* kwargs = nullptr;  // owned
  LogCall() = default;
  LogCall(const LogCall&) = delete;
  LogCall& operator=(const LogCall&) = delete;
  ~LogCall() {
    Py_XDECREF(format);
    Py_XDECREF(kwargs);
  }
};

// Fills `call` from a vectorcall; false with a Python error set.
bool ParseLogCall(PyObject* const* args, size_t nargsf, PyObject* kwnames,
                  PyObject* categories, LogCall* call) {
  Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
  if (nargs > 1) {
    PyErr_Format(PyExc_TypeError,
                 "log methods take one positional argument (the format), "
                 "%zd given",
                 nargs);
    return false;
  }
  PyObject* format = nargs == 1 ? args[0] : nullptr;
  call->kwargs = PyDict_New();
  if (call->kwargs == nullptr) return false;
  Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
  for (Py_ssize_t i = 0; i < nkw; ++i) {
    PyObject* key = PyTuple_GET_ITEM(kwnames, i);
    if (PyUnicode_Compare(key, S.format) == 0) {
      if (format != nullptr) {
        PyErr_SetString(PyExc_TypeError,
                        "log method got multiple values for 'format'");
        return false;
      }
      format = args[nargs + i];
      continue;
    }
    if (PyDict_SetItem(call->kwargs, key, args[nargs + i]) < 0) return false;
  }
  PyObject* category = PyDict_GetItemWithError(call->kwargs, S.log_category);
  if (category != nullptr) {
    PyObject* mapped = PyDict_GetItemWithError(categories, category);
    if (mapped != nullptr) format = mapped;
  }
  if (PyErr_Occurred()) return false;
  call->format = Py_XNewRef(format);
  return true;
}

// Sets event[key] = value, stealing `value`; false with an error set.
bool SetStolen(PyObject* event, PyObject* key, PyObject* value) {
  if (value == nullptr) return false;
  int r = PyDict_SetItem(event, key, value);
  Py_DECREF(value);
  return r == 0;
}

// --- StdlibEmitter ----------------------------------------------------------

struct StdlibEmitter {
  PyObject_HEAD PyObject* logger;  // logging.Logger
  PyObject* level_name;            // 'info', ... (txaio's name)
  PyObject* method;                // the bound logger method to call
  PyObject* categories;            // txaio's log categories (shared dict)
  long levelno;
  bool trace;
  vectorcallfunc vectorcall;
};

bool WriteStdlibDirect(double t, PyObject* msg) {
  PyObject* r = WriteLine(g_stdlib_sink, g_naive_lines, t, msg);
  if (r == nullptr) {
    // As logging.Handler.handleError would: report, never raise.
    PyErr_WriteUnraisable(g_handler);
    return true;
  }
  Py_DECREF(r);
  return true;
}

PyObject* StdlibEmitterCall(PyObject* op, PyObject* const* args, size_t nargsf,
                            PyObject* kwnames) {
  auto* self = reinterpret_cast<StdlibEmitter*>(op);
  LogCall call;
  if (!ParseLogCall(args, nargsf, kwnames, self->categories, &call)) {
    return nullptr;
  }
  if (call.format == nullptr) {
    call.format = PyUnicode_FromStringAndSize("", 0);
    if (call.format == nullptr) return nullptr;
  }
  PyObject* kwargs = call.kwargs;
  double t = Now();
  if (!SetStolen(kwargs, S.log_time, PyFloat_FromDouble(t)) ||
      PyDict_SetItem(kwargs, S.log_level, self->level_name) < 0 ||
      PyDict_SetItem(kwargs, S.log_format, call.format) < 0 ||
      (self->trace && PyDict_SetItem(kwargs, S.txaio_trace, Py_True) < 0)) {
    return nullptr;
  }
  PyObject* fmt = PyObject_GetAttr(call.format, S.format);
  if (fmt == nullptr) return nullptr;
  PyObject* msg = PyObject_VectorcallDict(fmt, nullptr, 0, kwargs);
  Py_DECREF(fmt);
  if (msg == nullptr) return nullptr;
  PyObject* result = nullptr;
  switch (PyUnicode_CheckExact(msg) ? Decide(self->logger, self->levelno)
                                    : Route::kStdlib) {
    case Route::kDrop:
      result = Py_NewRef(Py_None);
      break;
    case Route::kDirect:
      if (WriteStdlibDirect(t, msg)) result = Py_NewRef(Py_None);
      break;
    case Route::kStdlib: {
      PyObject* r = PyObject_CallOneArg(self->method, msg);
      if (r != nullptr) {
        Py_DECREF(r);
        result = Py_NewRef(Py_None);
      }
      break;
    }
    case Route::kError:
      break;
  }
  Py_DECREF(msg);
  return result;
}

PyObject* StdlibEmitterNew(PyTypeObject* type, PyObject* args, PyObject* kw) {
  PyObject *logger, *level_name, *categories;
  long levelno;
  static const char* kwlist[] = {"logger", "level", "levelno", "categories",
                                 nullptr};
  if (!PyArg_ParseTupleAndKeywords(
          args, kw, "OUlO!:StdlibEmitter", const_cast<char**>(kwlist), &logger,
          &level_name, &levelno, &PyDict_Type, &categories)) {
    return nullptr;
  }
  const char* name = PyUnicode_AsUTF8(level_name);
  if (name == nullptr) return nullptr;
  // txaio's 'warn' is logging's warning(); 'trace' is debug().
  const char* method_name = name;
  if (strcmp(name, "warn") == 0) method_name = "warning";
  if (strcmp(name, "trace") == 0) method_name = "debug";
  PyObject* method = PyObject_GetAttrString(logger, method_name);
  if (method == nullptr) return nullptr;
  auto* self = PyObject_GC_New(StdlibEmitter, type);
  if (self == nullptr) {
    Py_DECREF(method);
    return nullptr;
  }
  self->logger = Py_NewRef(logger);
  self->level_name = Py_NewRef(level_name);
  self->method = method;
  self->categories = Py_NewRef(categories);
  self->levelno = levelno;
  self->trace = strcmp(name, "trace") == 0;
  self->vectorcall = StdlibEmitterCall;
  PyObject_GC_Track(self);
  return reinterpret_cast<PyObject*>(self);
}

using StdlibEmitterGc =
    GcSlots<StdlibEmitter, &StdlibEmitter::logger, &StdlibEmitter::level_name,
            &StdlibEmitter::method, &StdlibEmitter::categories>;

PyTypeObject StdlibEmitterType = CallableType<StdlibEmitter, StdlibEmitterGc>(
    "txaio._txaio_core.StdlibEmitter",
    "StdlibEmitter(logger, level, levelno, categories): one "
    "enabled log level of a txaio logger over stdlib logging.",
    StdlibEmitterNew);

PyObject* SetDirectHandler(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 4 || !PyUnicode_Check(args[3])) {
    PyErr_SetString(PyExc_TypeError,
                    "set_direct_handler(handler, file, encode, linesep)");
    return nullptr;
  }
  int encode = PyObject_IsTrue(args[2]);
  if (encode < 0) return nullptr;
  PyObject* logging = PyImport_ImportModule("logging");
  if (logging == nullptr) return nullptr;
  PyObject* root = PyObject_GetAttrString(logging, "root");
  Py_DECREF(logging);
  if (root == nullptr) return nullptr;
  Py_XSETREF(g_root, root);
  Py_XSETREF(g_handler, Py_NewRef(args[0]));
  g_stdlib_sink.Set(args[1], encode, args[3]);
  Py_RETURN_NONE;
}

// --- TwistedEmitter ---------------------------------------------------------

// What set_twisted_observer() recorded.
PyObject* g_tx_observer = nullptr;   // the observer start_logging() added
PyObject* g_tx_publisher = nullptr;  // twisted's globalLogPublisher
PyObject* g_tx_logging = nullptr;    // the txaio._logging module
PyObject* g_tx_levels = nullptr;     // its log_levels, in order
DirectSink g_tx_sink;                // the observer's file

struct TwistedEmitter {
  PyObject_HEAD PyObject* logger;  // twisted.logger.Logger (exactly that class)
  PyObject* level;                 // its LogLevel constant
  PyObject* categories;            // txaio's log categories (shared dict)
  // The index in txaio's log_levels at which the observer accepts the
  // event: the level's own, debug's for trace (Twisted has no trace).
  Py_ssize_t level_index;
  bool trace;
  vectorcallfunc vectorcall;
};

// Whether the publisher would hand `event` only to txaio's observer, that
// observer would accept its level, and its format is one the direct path
// formats exactly as Twisted would (a str without Twisted's "{name()}"
// call syntax, no pre-flattened fields). Never leaves an error set.
bool TwistedDirectApplies(const TwistedEmitter* self, PyObject* observer,
                          PyObject* format, PyObject* event) {
  if (g_tx_observer == nullptr || observer != g_tx_publisher ||
      !PyUnicode_CheckExact(format)) {
    return false;
  }
  bool applies = false;
  PyObject* observers = nullptr;
  PyObject* global = nullptr;
  Py_ssize_t global_index;
  Py_ssize_t found =
      PyUnicode_Find(format, S.call_parens, 0, PY_SSIZE_T_MAX, 1);
  if (found != -1) goto out;  // a call, or -2: an error
  if (PyDict_Contains(event, S.log_flattened) != 0) goto out;
  observers = PyObject_GetAttr(g_tx_publisher, S.observers);
  if (observers == nullptr || !PyList_CheckExact(observers) ||
      PyList_GET_SIZE(observers) != 1 ||
      PyList_GET_ITEM(observers, 0) != g_tx_observer) {
    goto out;
  }
  global = PyObject_GetAttr(g_tx_logging, S.log_level_attr);
  if (global == nullptr) goto out;
  global_index = PySequence_Index(g_tx_levels, global);
  applies = global_index >= self->level_index;
out:
  Py_XDECREF(observers);
  Py_XDECREF(global);
  PyErr_Clear();
  return applies;
}

// Logs through Logger.emit itself: for events that carry a log_trace.
PyObject* TwistedEmitThroughLogger(TwistedEmitter* self, LogCall& call) {
  PyObject* emit = PyObject_GetAttr(self->logger, S.emit);
  if (emit == nullptr) return nullptr;
  PyObject* args =
      PyTuple_Pack(2, self->level, call.format ? call.format : Py_None);
  PyObject* r = args ? PyObject_Call(emit, args, call.kwargs) : nullptr;
  Py_XDECREF(args);
  Py_DECREF(emit);
  return r;
}

PyObject* TwistedEmitterCall(PyObject* op, PyObject* const* args, size_t nargsf,
                             PyObject* kwnames) {
  auto* self = reinterpret_cast<TwistedEmitter*>(op);
  LogCall call;
  if (!ParseLogCall(args, nargsf, kwnames, self->categories, &call)) {
    return nullptr;
  }
  PyObject* event = call.kwargs;
  if (self->trace && PyDict_SetItem(event, S.txaio_trace, Py_True) < 0) {
    return nullptr;
  }
  int traced = PyDict_Contains(event, S.log_trace);
  if (traced < 0) return nullptr;
  if (traced) return TwistedEmitThroughLogger(self, call);

  // The event Logger.emit builds.
  PyObject* format = call.format ? call.format : Py_None;
  double t = Now();
  if (PyDict_SetItem(event, S.log_logger, self->logger) < 0 ||
      PyDict_SetItem(event, S.log_level, self->level) < 0 ||
      !SetStolen(event, S.log_namespace,
                 PyObject_GetAttr(self->logger, S.namespace_)) ||
      !SetStolen(event, S.log_source,
                 PyObject_GetAttr(self->logger, S.source)) ||
      PyDict_SetItem(event, S.log_format, format) < 0 ||
      !SetStolen(event, S.log_time, PyFloat_FromDouble(t))) {
    return nullptr;
  }
  PyObject* observer = PyObject_GetAttr(self->logger, S.observer);
  if (observer == nullptr) return nullptr;
  if (TwistedDirectApplies(self, observer, format, event)) {
    PyObject* msg = CallMethod1(format, S.format_map, event);
    PyObject* written =
        msg ? WriteLine(g_tx_sink, g_offset_lines, t, msg) : nullptr;
    Py_XDECREF(msg);
    if (written != nullptr) {
      Py_DECREF(written);
      Py_DECREF(observer);
      Py_RETURN_NONE;
    }
    // A format Twisted reports as unformattable, or a failing file: the
    // observer (through the publisher) writes, or reports, what Twisted
    // does. A format whose fields have side effects sees them twice then.
    PyErr_Clear();
  }
  PyObject* r = PyObject_CallOneArg(observer, event);
  Py_DECREF(observer);
  if (r == nullptr) return nullptr;
  Py_DECREF(r);
  Py_RETURN_NONE;
}

PyObject* TwistedEmitterNew(PyTypeObject* type, PyObject* args, PyObject* kw) {
  PyObject *logger, *level, *categories;
  Py_ssize_t level_index;
  int trace;
  static const char* kwlist[] = {"logger",     "level", "level_index",
                                 "categories", "trace", nullptr};
  if (!PyArg_ParseTupleAndKeywords(
          args, kw, "OOnO!p:TwistedEmitter", const_cast<char**>(kwlist),
          &logger, &level, &level_index, &PyDict_Type, &categories, &trace)) {
    return nullptr;
  }
  auto* self = PyObject_GC_New(TwistedEmitter, type);
  if (self == nullptr) return nullptr;
  self->logger = Py_NewRef(logger);
  self->level = Py_NewRef(level);
  self->categories = Py_NewRef(categories);
  self->level_index = level_index;
  self->trace = trace;
  self->vectorcall = TwistedEmitterCall;
  PyObject_GC_Track(self);
  return reinterpret_cast<PyObject*>(self);
}

using TwistedEmitterGc =
    GcSlots<TwistedEmitter, &TwistedEmitter::logger, &TwistedEmitter::level,
            &TwistedEmitter::categories>;

PyTypeObject TwistedEmitterType =
    CallableType<TwistedEmitter, TwistedEmitterGc>(
        "txaio._txaio_core.TwistedEmitter",
        "TwistedEmitter(logger, level, level_index, categories, "
        "trace): one enabled log level of a txaio logger over a "
        "twisted.logger.Logger.",
        TwistedEmitterNew);

PyObject* SetTwistedObserver(PyObject*, PyObject* const* args,
                             Py_ssize_t nargs) {
  if (nargs != 6 || !PyUnicode_Check(args[4]) || !PyModule_Check(args[5])) {
    PyErr_SetString(PyExc_TypeError,
                    "set_twisted_observer(observer, publisher, file, encode, "
                    "linesep, logging_module)");
    return nullptr;
  }
  int encode = PyObject_IsTrue(args[3]);
  if (encode < 0) return nullptr;
  PyObject* levels = PyObject_GetAttr(args[5], S.log_levels);
  if (levels == nullptr) return nullptr;
  Py_XSETREF(g_tx_levels, levels);
  Py_XSETREF(g_tx_observer, Py_NewRef(args[0]));
  Py_XSETREF(g_tx_publisher, Py_NewRef(args[1]));
  g_tx_sink.Set(args[2], encode, args[4]);
  Py_XSETREF(g_tx_logging, Py_NewRef(args[5]));
  Py_RETURN_NONE;
}

// format_log_line(t, message, with_offset, linesep) -> str: the core's
// text log line, for the pure-Python writers.
PyObject* FormatLogLine(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 4 || !PyUnicode_Check(args[1]) || !PyUnicode_Check(args[3])) {
    PyErr_SetString(PyExc_TypeError,
                    "format_log_line(t, message, with_offset, linesep)");
    return nullptr;
  }
  double t = PyFloat_AsDouble(args[0]);
  if (t == -1.0 && PyErr_Occurred()) return nullptr;
  int with_offset = PyObject_IsTrue(args[2]);
  if (with_offset < 0) return nullptr;
  return FormatLine(with_offset ? g_offset_lines : g_naive_lines, t, args[1],
                    args[3], /*encode=*/false);
}

// parse_log_level(name) -> int: the level's index in log_levels; anything
// else raises ValueError with the core's message.
PyObject* ParseLogLevel(PyObject*, PyObject* name) {
  PyObject* text = PyObject_Str(name);
  if (text == nullptr) return nullptr;
  Py_ssize_t size;
  const char* utf8 = PyUnicode_AsUTF8AndSize(text, &size);
  if (utf8 == nullptr) {
    Py_DECREF(text);
    return nullptr;
  }
  std::string_view view(utf8, static_cast<size_t>(size));
  PyObject* result = nullptr;
  if (!PyUnicode_Check(name)) {
    PyErr_SetString(PyExc_ValueError,
                    txaio::invalid_log_level_message(view).c_str());
  } else {
    try {
      result = PyLong_FromLong(static_cast<long>(txaio::parse_log_level(view)));
    } catch (const std::invalid_argument& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    }
  }
  Py_DECREF(text);
  return result;
}

// core_log_lines(t, namespace, format, fields) -> (text line, JSON line):
// what the core's text and JSON writers write for an info event at
// time.time() `t` with `fields` (a dict of str, int, float and bool), for
// tests that compare them with the Python emitters' lines.
PyObject* CoreLogLines(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 4 || !PyUnicode_Check(args[1]) || !PyUnicode_Check(args[2]) ||
      !PyDict_Check(args[3])) {
    PyErr_SetString(PyExc_TypeError,
                    "core_log_lines(t, namespace, format, fields)");
    return nullptr;
  }
  double t = PyFloat_AsDouble(args[0]);
  if (t == -1.0 && PyErr_Occurred()) return nullptr;
  std::vector<txaio::LogField> fields;
  PyObject *key, *value;
  Py_ssize_t pos = 0;
  while (PyDict_Next(args[3], &pos, &key, &value)) {
    const char* name = PyUnicode_Check(key) ? PyUnicode_AsUTF8(key) : nullptr;
    if (name == nullptr) {
      if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "field names");
      return nullptr;
    }
    txaio::LogValue v;
    if (PyBool_Check(value)) {
      v = value == Py_True;
    } else if (PyLong_Check(value)) {
      long long n = PyLong_AsLongLong(value);
      if (n == -1 && PyErr_Occurred()) return nullptr;
      v = static_cast<int64_t>(n);
    } else if (PyFloat_Check(value)) {
      v = PyFloat_AS_DOUBLE(value);
    } else if (PyUnicode_Check(value)) {
      const char* text = PyUnicode_AsUTF8(value);
      if (text == nullptr) return nullptr;
      v = std::string_view(text);
    } else {
      PyErr_SetString(PyExc_TypeError, "field values: str, int, float, bool");
      return nullptr;
    }
    fields.push_back({name, std::move(v)});
  }
  const char* log_namespace = PyUnicode_AsUTF8(args[1]);
  const char* format = PyUnicode_AsUTF8(args[2]);
  if (log_namespace == nullptr || format == nullptr) return nullptr;
  txaio::LogEvent event{
      absl::FromUnixMicros(static_cast<int64_t>(std::nearbyint(t * 1e6))),
      txaio::LogLevel::kInfo,
      log_namespace,
      format,
      fields,
      nullptr};
  std::ostringstream text, json;
  txaio::make_text_log_writer(text, absl::LocalTimeZone())(event);
  txaio::make_json_log_writer(json)(event);
  std::string text_line = std::move(text).str();
  std::string json_line = std::move(json).str();
  return Py_BuildValue(
      "(s#s#)", text_line.data(), static_cast<Py_ssize_t>(text_line.size()),
      json_line.data(), static_cast<Py_ssize_t>(json_line.size()));
}

PyMethodDef kLogFunctions[] = {
    {"core_log_lines", reinterpret_cast<PyCFunction>(CoreLogLines),
     METH_FASTCALL,
     "core_log_lines(t, namespace, format, fields): the lines the core's "
     "text and JSON writers write for an info event (for tests)."},
    {"format_log_line", reinterpret_cast<PyCFunction>(FormatLogLine),
     METH_FASTCALL,
     "format_log_line(t, message, with_offset, linesep): the text log line "
     "'<local time> <message><linesep>' for time.time() t, the time with "
     "its UTC offset (Twisted's formatTime) or without (asyncio's "
     "handler)."},
    {"parse_log_level", ParseLogLevel, METH_O,
     "parse_log_level(name): the index of the level `name` in log_levels; "
     "ValueError naming the valid levels otherwise."},
    {"set_direct_handler", reinterpret_cast<PyCFunction>(SetDirectHandler),
     METH_FASTCALL,
     "set_direct_handler(handler, file, encode, linesep): the handler "
     "start_logging() installed, which log calls may write for directly."},
    {"set_twisted_observer", reinterpret_cast<PyCFunction>(SetTwistedObserver),
     METH_FASTCALL,
     "set_twisted_observer(observer, publisher, file, encode, linesep, "
     "logging_module): the observer start_logging() added to `publisher` "
     "(twisted's globalLogPublisher), which log calls may write for "
     "directly, and the txaio._logging module whose _log_level it "
     "compares."},
    {nullptr, nullptr, 0, nullptr},
};

}  // namespace

bool AddLogTypes(PyObject* module) {
  PyObject* levels = PyTuple_New(txaio::kLogLevelNames.size());
  if (levels == nullptr) return false;
  for (size_t i = 0; i < txaio::kLogLevelNames.size(); ++i) {
    PyObject* name = PyUnicode_FromStringAndSize(
        txaio::kLogLevelNames[i].data(), txaio::kLogLevelNames[i].size());
    if (name == nullptr) {
      Py_DECREF(levels);
      return false;
    }
    PyTuple_SET_ITEM(levels, i, name);
  }
  // The core's level table, most severe first ('none' disables logging).
  if (PyModule_AddObject(module, "log_levels", levels) < 0) {
    Py_DECREF(levels);
    return false;
  }
  if (PyType_Ready(&StdlibEmitterType) < 0) return false;
  if (PyModule_AddType(module, &StdlibEmitterType) < 0) return false;
  if (PyType_Ready(&TwistedEmitterType) < 0) return false;
  if (PyModule_AddType(module, &TwistedEmitterType) < 0) return false;
  return PyModule_AddFunctions(module, kLogFunctions) == 0;
}

}  // namespace txaio_py
