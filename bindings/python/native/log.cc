// The enabled-level log call under asyncio (and before a framework is
// selected): format with str.format, then hand the line to the standard
// library's logging.
//
// When the record would reach exactly one handler, the one start_logging()
// installed (no other handlers, no filters on the way, levels allowing it),
// the line that handler would write is written directly: same text, same
// timestamp format, without building a LogRecord. Any other logging
// configuration takes the standard path.
#include <sys/time.h>

#include <cmath>
#include <cstddef>
#include <ctime>

#include "bindings/python/native/common.h"

namespace txaio_py {
namespace {

// What set_direct_handler() recorded.
PyObject* g_handler = nullptr;   // the handler start_logging() installed
PyObject* g_file = nullptr;      // its file
bool g_encode = false;           // whether the file takes bytes
PyObject* g_linesep = nullptr;   // os.linesep
PyObject* g_root = nullptr;      // logging.root

// The formatted local time of the last second seen, as
// datetime.fromtimestamp(t).strftime("%Y-%m-%dT%H:%M:%S%z") gives it.
int64_t g_stamp_second = INT64_MIN;
PyObject* g_stamp = nullptr;

struct StdlibEmitter {
  PyObject_HEAD
  PyObject* logger;      // logging.Logger
  PyObject* level_name;  // 'info', ... (txaio's name)
  PyObject* method;      // the bound logger method to call
  PyObject* categories;  // txaio's log categories (shared dict)
  long levelno;
  bool trace;
  vectorcallfunc vectorcall;
};

double Now() {
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  return tv.tv_sec + tv.tv_usec * 1e-6;
}

PyObject* Stamp(double t) {
  // datetime rounds to microseconds half-even before splitting seconds.
  double us = std::nearbyint(t * 1e6);
  auto second = static_cast<int64_t>(std::floor(us / 1e6));
  if (second != g_stamp_second || g_stamp == nullptr) {
    time_t s = static_cast<time_t>(second);
    struct tm tm;
    localtime_r(&s, &tm);
    char buf[64];
    size_t len = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    PyObject* stamp = PyUnicode_FromStringAndSize(buf, len);
    if (stamp == nullptr) return nullptr;
    Py_XSETREF(g_stamp, stamp);
    g_stamp_second = second;
  }
  return g_stamp;
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

bool WriteDirect(double t, PyObject* msg) {
  PyObject* stamp = Stamp(t);
  if (stamp == nullptr) return false;
  PyObject* line = PyUnicode_FromFormat("%U %U%U", stamp, msg, g_linesep);
  if (line == nullptr) return false;
  if (g_encode) {
    Py_SETREF(line, PyUnicode_AsUTF8String(line));
    if (line == nullptr) return false;
  }
  PyObject* r = CallMethod1(g_file, S.write, line);
  Py_DECREF(line);
  if (r == nullptr) {
    // As logging.Handler.handleError would: report, never raise.
    PyErr_WriteUnraisable(g_handler);
    return true;
  }
  Py_DECREF(r);
  return true;
}

PyObject* EmitterCall(PyObject* op, PyObject* const* args, size_t nargsf,
                      PyObject* kwnames) {
  auto* self = reinterpret_cast<StdlibEmitter*>(op);
  Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
  if (nargs > 1) {
    PyErr_Format(PyExc_TypeError,
                 "log methods take one positional argument (the format), "
                 "%zd given", nargs);
    return nullptr;
  }
  PyObject* format = nargs == 1 ? args[0] : nullptr;
  PyObject* kwargs = PyDict_New();
  if (kwargs == nullptr) return nullptr;
  PyObject* msg = nullptr;
  PyObject* result = nullptr;
  double t;
  Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
  for (Py_ssize_t i = 0; i < nkw; ++i) {
    PyObject* key = PyTuple_GET_ITEM(kwnames, i);
    if (PyUnicode_Compare(key, S.format) == 0) {
      if (format != nullptr) {
        PyErr_SetString(PyExc_TypeError,
                        "log method got multiple values for 'format'");
        goto done;
      }
      format = args[nargs + i];
      continue;
    }
    if (PyDict_SetItem(kwargs, key, args[nargs + i]) < 0) goto done;
  }
  {
    PyObject* empty = nullptr;
    if (format == nullptr) {
      empty = PyUnicode_FromStringAndSize("", 0);
      if (empty == nullptr) goto done;
      format = empty;
    }
    Py_INCREF(format);
    Py_XDECREF(empty);
  }
  {
    PyObject* category = PyDict_GetItemWithError(kwargs, S.log_category);
    if (category != nullptr) {
      PyObject* mapped = PyDict_GetItemWithError(self->categories, category);
      if (mapped != nullptr) Py_SETREF(format, Py_NewRef(mapped));
    }
    if (PyErr_Occurred()) goto done_format;
  }
  t = Now();
  {
    PyObject* py_t = PyFloat_FromDouble(t);
    if (py_t == nullptr || PyDict_SetItem(kwargs, S.log_time, py_t) < 0) {
      Py_XDECREF(py_t);
      goto done_format;
    }
    Py_DECREF(py_t);
  }
  if (PyDict_SetItem(kwargs, S.log_level, self->level_name) < 0 ||
      PyDict_SetItem(kwargs, S.log_format, format) < 0 ||
      (self->trace && PyDict_SetItem(kwargs, S.txaio_trace, Py_True) < 0)) {
    goto done_format;
  }
  {
    PyObject* fmt = PyObject_GetAttr(format, S.format);
    if (fmt == nullptr) goto done_format;
    msg = PyObject_VectorcallDict(fmt, nullptr, 0, kwargs);
    Py_DECREF(fmt);
    if (msg == nullptr) goto done_format;
  }
  switch (PyUnicode_CheckExact(msg) ? Decide(self->logger, self->levelno)
                                    : Route::kStdlib) {
    case Route::kDrop:
      result = Py_NewRef(Py_None);
      break;
    case Route::kDirect:
      if (WriteDirect(t, msg)) result = Py_NewRef(Py_None);
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
done_format:
  Py_DECREF(format);
done:
  Py_XDECREF(msg);
  Py_DECREF(kwargs);
  return result;
}

PyObject* EmitterNew(PyTypeObject* type, PyObject* args, PyObject* kw) {
  PyObject *logger, *level_name, *categories;
  long levelno;
  static const char* kwlist[] = {"logger", "level", "levelno", "categories",
                                 nullptr};
  if (!PyArg_ParseTupleAndKeywords(args, kw, "OUlO!:StdlibEmitter",
                                   const_cast<char**>(kwlist), &logger,
                                   &level_name, &levelno, &PyDict_Type,
                                   &categories)) {
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
  self->vectorcall = EmitterCall;
  PyObject_GC_Track(self);
  return reinterpret_cast<PyObject*>(self);
}

int EmitterTraverse(PyObject* op, visitproc visit, void* arg) {
  auto* self = reinterpret_cast<StdlibEmitter*>(op);
  Py_VISIT(self->logger);
  Py_VISIT(self->method);
  Py_VISIT(self->categories);
  return 0;
}

int EmitterClear(PyObject* op) {
  auto* self = reinterpret_cast<StdlibEmitter*>(op);
  Py_CLEAR(self->logger);
  Py_CLEAR(self->level_name);
  Py_CLEAR(self->method);
  Py_CLEAR(self->categories);
  return 0;
}

void EmitterDealloc(PyObject* op) {
  PyObject_GC_UnTrack(op);
  EmitterClear(op);
  PyObject_GC_Del(op);
}

PyTypeObject StdlibEmitterType = {
    .ob_base = PyVarObject_HEAD_INIT(nullptr, 0)
    .tp_name = "txaio._txaio_core.StdlibEmitter",
    .tp_basicsize = sizeof(StdlibEmitter),
    .tp_dealloc = EmitterDealloc,
    .tp_vectorcall_offset = offsetof(StdlibEmitter, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC |
                Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "StdlibEmitter(logger, level, levelno, categories): one "
              "enabled log level of a txaio logger over stdlib logging.",
    .tp_traverse = EmitterTraverse,
    .tp_clear = EmitterClear,
    .tp_new = EmitterNew,
};

PyObject* SetDirectHandler(PyObject*, PyObject* const* args,
                           Py_ssize_t nargs) {
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
  Py_XSETREF(g_file, Py_NewRef(args[1]));
  Py_XSETREF(g_linesep, Py_NewRef(args[3]));
  g_encode = encode;
  Py_RETURN_NONE;
}

PyMethodDef kLogFunctions[] = {
    {"set_direct_handler", reinterpret_cast<PyCFunction>(SetDirectHandler),
     METH_FASTCALL,
     "set_direct_handler(handler, file, encode, linesep): the handler "
     "start_logging() installed, which log calls may write for directly."},
    {nullptr, nullptr, 0, nullptr},
};

}  // namespace

bool AddLogTypes(PyObject* module) {
  if (PyType_Ready(&StdlibEmitterType) < 0) return false;
  if (PyModule_AddType(module, &StdlibEmitterType) < 0) return false;
  return PyModule_AddFunctions(module, kLogFunctions) == 0;
}

}  // namespace txaio_py
