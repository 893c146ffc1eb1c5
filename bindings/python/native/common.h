// Internal to the txaio Python extension: what its parts share.
//
// The hot objects (callback records, gather state, batched timer handles,
// log emitters, the API bases) are written against the CPython API directly
// rather than pybind11, because their per-call cost is the point:
// vectorcall entry, no argument conversion layers, and one allocation per
// record. pybind11 adds 0.3-1 us per call or object on these patterns
// (testing/benchmarks/python/pybind_cost.py; each place and its figure in
// docs/python.md); the cold parts are pybind11's.
#ifndef TXAIO_BINDINGS_PYTHON_NATIVE_COMMON_H_
#define TXAIO_BINDINGS_PYTHON_NATIVE_COMMON_H_

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <type_traits>

namespace txaio_py {

// Interned attribute names, created once by InitStrings().
struct Strings {
  PyObject* result;
  PyObject* exception;
  PyObject* cancelled;
  PyObject* done;
  PyObject* get_loop;
  PyObject* set_result;
  PyObject* set_exception;
  PyObject* add_done_callback;
  PyObject* cancel;
  PyObject* cancel_message;
  PyObject* make_cancelled_error;
  PyObject* cancel_requested;
  PyObject* loop;
  PyObject* time;
  PyObject* seconds;
  PyObject* call_later;
  PyObject* callLater;
  PyObject* callFromThread;
  PyObject* call_soon_threadsafe;
  PyObject* active;
  PyObject* format;
  PyObject* log_time;
  PyObject* log_level;
  PyObject* log_format;
  PyObject* log_category;
  PyObject* txaio_trace;
  PyObject* log_logger;
  PyObject* log_namespace;
  PyObject* log_source;
  PyObject* log_trace;
  PyObject* log_flattened;
  PyObject* namespace_;
  PyObject* source;
  PyObject* observer;
  PyObject* observers;
  PyObject* emit;
  PyObject* format_map;
  PyObject* call_parens;
  PyObject* log_level_attr;
  PyObject* log_levels;
  PyObject* debug;
  PyObject* canceller_attr;
  PyObject* called;
  PyObject* chained_to;
  PyObject* callback;
  PyObject* addErrback;
  PyObject* addCallbacks;
  PyObject* create_future_args;
  PyObject* run_callbacks;
  PyObject* filters;
  PyObject* handlers;
  PyObject* level;
  PyObject* propagate;
  PyObject* parent;
  PyObject* disabled;
  PyObject* disable;
  PyObject* manager;
  PyObject* write;
  PyObject* encode;
  PyObject* utf8;
  PyObject* return_exceptions;
  PyObject* create_future;
  PyObject* create_future_full;
  PyObject* create_task;
  PyObject* get_event_loop;
};
extern Strings S;

// Interns S; returns false with a Python error set on failure.
bool InitStrings();

// Each part adds its types and functions to the module; false with a Python
// error set on failure.
bool AddAioTypes(PyObject* module);
bool AddBatchedTimerTypes(PyObject* module);
bool AddLogTypes(PyObject* module);
bool AddTxTypes(PyObject* module);

// The GC slots of an object type T: the one definition of traverse, clear
// and dealloc every GC-tracked type of the extension uses. The members
// listed are T's plain Python references (each a strong reference or
// null), e.g.
//   using Gc = GcSlots<Gather, &Gather::outer, &Gather::children>;
//   .tp_dealloc = Gc::Dealloc, .tp_traverse = Gc::Traverse,
//   .tp_clear = Gc::Clear
// A type that also reaches Python objects another way (through C++ state it
// owns) adds members `int VisitMore(visitproc visit, void* arg)` and
// `void ClearMore()`, which Traverse and Clear call after the listed
// members. Dealloc releases the listed members and then runs T's C++
// destructor (its C++ members were placement-constructed by its tp_new), not
// ClearMore: clearing breaks a cycle, whereas a destructor only lets go of
// what this object owns (a loop runner must not empty the loop it shares).
// Dealloc frees through tp_free, so it also serves a base type whose Python
// subclasses are freed their own way.
inline void ClearRef(PyObject*& ref) { Py_CLEAR(ref); }

template <typename T, PyObject* T::*... kMembers>
struct GcSlots {
  static int Traverse(PyObject* op, visitproc visit, void* arg) {
    T* self = reinterpret_cast<T*>(op);
    int r = 0;
    ((r = r != 0 || self->*kMembers == nullptr ? r
                                               : visit(self->*kMembers, arg)),
     ...);
    if (r != 0) return r;
    if constexpr (requires(T & t) { t.VisitMore(visit, arg); }) {
      return self->VisitMore(visit, arg);
    }
    return 0;
  }
  static int Clear(PyObject* op) {
    T* self = reinterpret_cast<T*>(op);
    (ClearRef(self->*kMembers), ...);
    if constexpr (requires(T & t) { t.ClearMore(); }) self->ClearMore();
    return 0;
  }
  static void Dealloc(PyObject* op) {
    PyObject_GC_UnTrack(op);
    T* self = reinterpret_cast<T*>(op);
    (ClearRef(self->*kMembers), ...);
    if constexpr (!std::is_trivially_destructible_v<T>) self->~T();
    Py_TYPE(op)->tp_free(op);
  }
};

// The type of a GC-tracked callable object T: called through vectorcall
// (its function pointer at T::vectorcall), its references released through
// Gc (a GcSlots of T). The one shape of the extension's callbacks,
// cancellers and emitters, which differ only in name, doc and tp_new (none:
// made only from C++).
template <typename T, typename Gc>
PyTypeObject CallableType(const char* name, const char* doc,
                          newfunc tp_new = nullptr) {
  PyTypeObject type = {PyVarObject_HEAD_INIT(nullptr, 0)};
  type.tp_name = name;
  type.tp_basicsize = sizeof(T);
  type.tp_dealloc = Gc::Dealloc;
  type.tp_vectorcall_offset = offsetof(T, vectorcall);
  type.tp_call = PyVectorcall_Call;
  type.tp_flags =
      Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL;
  type.tp_doc = doc;
  type.tp_traverse = Gc::Traverse;
  type.tp_clear = Gc::Clear;
  type.tp_new = tp_new;
  return type;
}

// One strong reference, released when it goes out of scope (a null one is
// not released): PyRef r(Py_XNewRef(op)) keeps op alive for r's scope.
struct DecRef {
  void operator()(PyObject* op) const { Py_DECREF(op); }
};
using PyRef = std::unique_ptr<PyObject, DecRef>;

// Takes (and clears) the error being raised, normalised, with its traceback
// attached to the instance: the one place the extension turns a raised
// error into an exception object. A new reference; an error must be set.
inline PyObject* FetchError() {
  PyObject *type, *value, *traceback;
  PyErr_Fetch(&type, &value, &traceback);
  PyErr_NormalizeException(&type, &value, &traceback);
  if (traceback != nullptr) PyException_SetTraceback(value, traceback);
  Py_XDECREF(type);
  Py_XDECREF(traceback);
  return value;
}

// Calls obj.<name>() through the method cache (no bound method object).
inline PyObject* CallMethod0(PyObject* obj, PyObject* name) {
  return PyObject_VectorcallMethod(name, &obj,
                                   1 | PY_VECTORCALL_ARGUMENTS_OFFSET, nullptr);
}

// Calls obj.<name>(arg).
inline PyObject* CallMethod1(PyObject* obj, PyObject* name, PyObject* arg) {
  PyObject* args[2] = {obj, arg};
  return PyObject_VectorcallMethod(name, args,
                                   2 | PY_VECTORCALL_ARGUMENTS_OFFSET, nullptr);
}

}  // namespace txaio_py

#endif  // TXAIO_BINDINGS_PYTHON_NATIVE_COMMON_H_
