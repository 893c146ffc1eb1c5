// make_batched_timer(): calls quantized into buckets, one framework timer
// per bucket, calls run `chunk_size` at a time spread across the bucket.
//
// Each call is one BatchedCall object on an intrusive list: call_later and
// cancel are O(1) (plus an ordered-map lookup by bucket), and a call holds
// no Python references beyond its callable and arguments. BatchedCall is not
// tracked by the cyclic GC: while pending, the timer (which is tracked)
// reports the call's references to the GC; once run or cancelled the call
// drops them.
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <map>

#include "bindings/python/native/common.h"

namespace txaio_py {
namespace {

struct BatchedTimer;
struct Group;

struct BatchedCall {
  PyObject_HEAD
  Group* group;  // null once run or cancelled
  BatchedCall* prev;
  BatchedCall* next;
  PyObject* func;
  PyObject* args;    // tuple
  PyObject* kwargs;  // dict or null
};

// A bucket waiting for its time, or (once due) the calls still to run.
struct Group {
  BatchedTimer* timer;
  int64_t key;
  bool running;  // due: its calls are being run in chunks
  PyObject* delayed_call;  // the framework's timer for the bucket
  BatchedCall* head = nullptr;
  BatchedCall* tail = nullptr;
  Py_ssize_t size = 0;
  PyObject* errors = nullptr;  // list of exceptions while running
  double chunk_delay = 0;      // seconds between chunks
};

struct BatchedTimer {
  PyObject_HEAD
  double bucket_ms;
  Py_ssize_t chunk_size;
  PyObject* config;        // txaio config: .loop
  PyObject* default_loop;  // callable giving the loop when config.loop is
                           // not set
  bool twisted;
  std::map<int64_t, Group*>* buckets;  // pending, by bucket (ms)
  std::map<int64_t, Group*>* running;  // due, by sequence number
  int64_t next_run_key;
};

PyTypeObject BatchedCallType;
PyTypeObject BatchedTimerType;

void Unlink(BatchedCall* call) {
  Group* g = call->group;
  if (call->prev) call->prev->next = call->next; else g->head = call->next;
  if (call->next) call->next->prev = call->prev; else g->tail = call->prev;
  call->prev = call->next = nullptr;
  call->group = nullptr;
  g->size -= 1;
}

void Append(Group* g, BatchedCall* call) {
  call->group = g;
  call->prev = g->tail;
  call->next = nullptr;
  if (g->tail) g->tail->next = call; else g->head = call;
  g->tail = call;
  g->size += 1;
}

void ReleaseCall(BatchedCall* call) {
  Py_CLEAR(call->func);
  Py_CLEAR(call->args);
  Py_CLEAR(call->kwargs);
}

void FreeGroup(Group* g) {
  Py_XDECREF(g->delayed_call);
  Py_XDECREF(g->errors);
  delete g;
}

// The loop to schedule on: config.loop, else default_loop().
PyObject* GetLoop(BatchedTimer* t) {
  PyObject* loop = PyObject_GetAttr(t->config, S.loop);
  if (loop == nullptr) return nullptr;
  int truthy = PyObject_IsTrue(loop);
  if (truthy < 0) {
    Py_DECREF(loop);
    return nullptr;
  }
  if (truthy) return loop;
  Py_DECREF(loop);
  return PyObject_CallNoArgs(t->default_loop);
}

PyObject* TupleFromArray(PyObject* const* items, Py_ssize_t n) {
  PyObject* tuple = PyTuple_New(n);
  if (tuple == nullptr) return nullptr;
  for (Py_ssize_t i = 0; i < n; ++i) {
    PyTuple_SET_ITEM(tuple, i, Py_NewRef(items[i]));
  }
  return tuple;
}

// loop.call_later(delay, timer._notify, key) / reactor.callLater(...).
PyObject* Schedule(BatchedTimer* t, PyObject* loop, double delay,
                   int64_t key, bool run) {
  PyObject* notify = PyObject_GetAttr(reinterpret_cast<PyObject*>(t),
                                      S.notify);
  if (notify == nullptr) return nullptr;
  PyObject* py_delay = PyFloat_FromDouble(delay);
  PyObject* py_key = PyLong_FromLongLong(key);
  PyObject* py_run = PyBool_FromLong(run);
  PyObject* r = nullptr;
  if (py_delay && py_key) {
    PyObject* args[5] = {loop, py_delay, notify, py_key, py_run};
    r = PyObject_VectorcallMethod(t->twisted ? S.callLater : S.call_later,
                                  args, 5 | PY_VECTORCALL_ARGUMENTS_OFFSET,
                                  nullptr);
  }
  Py_XDECREF(py_delay);
  Py_XDECREF(py_key);
  Py_XDECREF(py_run);
  Py_DECREF(notify);
  return r;
}

// ---------------------------------------------------------------------------
// BatchedCall

PyObject* BatchedCallCancel(PyObject* op, PyObject*) {
  auto* call = reinterpret_cast<BatchedCall*>(op);
  Group* g = call->group;
  if (g == nullptr) Py_RETURN_NONE;  // ran or cancelled already
  Unlink(call);
  ReleaseCall(call);
  if (g->size == 0 && !g->running) {
    // The bucket is empty: drop its framework timer too.
    g->timer->buckets->erase(g->key);
    PyObject* r = CallMethod0(g->delayed_call, S.cancel);
    FreeGroup(g);
    Py_DECREF(op);  // the group's reference
    if (r == nullptr) return nullptr;
    Py_DECREF(r);
    Py_RETURN_NONE;
  }
  Py_DECREF(op);  // the group's reference
  Py_RETURN_NONE;
}

PyObject* BatchedCallCall(PyObject* op, PyObject* args, PyObject* kw) {
  auto* call = reinterpret_cast<BatchedCall*>(op);
  if (PyTuple_GET_SIZE(args) != 0 || (kw && PyDict_GET_SIZE(kw) != 0)) {
    PyErr_SetString(PyExc_TypeError, "a batched call takes no arguments");
    return nullptr;
  }
  if (call->func == nullptr) {
    PyErr_SetString(PyExc_RuntimeError,
                    "this batched call already ran or was cancelled");
    return nullptr;
  }
  return PyObject_Call(call->func, call->args, call->kwargs);
}

void BatchedCallDealloc(PyObject* op) {
  // A call still in a group is referenced by it, so never gets here.
  ReleaseCall(reinterpret_cast<BatchedCall*>(op));
  PyObject_Free(op);
}

PyMethodDef kBatchedCallMethods[] = {
    {"cancel", BatchedCallCancel, METH_NOARGS,
     "Cancels the call if it has not run; otherwise does nothing."},
    {nullptr, nullptr, 0, nullptr},
};

// ---------------------------------------------------------------------------
// BatchedTimer

PyObject* TimerCallLater(PyObject* op, PyObject* const* args, size_t nargsf,
                         PyObject* kwnames) {
  auto* t = reinterpret_cast<BatchedTimer*>(op);
  Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
  if (nargs < 2) {
    PyErr_SetString(PyExc_TypeError,
                    "call_later(delay, func, *args, **kwargs)");
    return nullptr;
  }
  double delay = PyFloat_AsDouble(args[0]);
  if (delay == -1.0 && PyErr_Occurred()) return nullptr;
  PyObject* loop = GetLoop(t);
  if (loop == nullptr) return nullptr;
  PyObject* now_obj = CallMethod0(loop, t->twisted ? S.seconds : S.time);
  double now = now_obj ? PyFloat_AsDouble(now_obj) : -1.0;
  Py_XDECREF(now_obj);
  if (now_obj == nullptr || (now == -1.0 && PyErr_Occurred())) {
    Py_DECREF(loop);
    return nullptr;
  }
  // Round the deadline up to a bucket boundary (milliseconds): a call never
  // runs before its delay, and at most one bucket after it.
  double target = std::ceil((now + delay) * 1000.0);
  double rem = std::fmod(target, t->bucket_ms);
  int64_t key = static_cast<int64_t>(rem > 0 ? target - rem + t->bucket_ms
                                             : target);

  auto* call = PyObject_New(BatchedCall, &BatchedCallType);
  if (call == nullptr) {
    Py_DECREF(loop);
    return nullptr;
  }
  call->group = nullptr;
  call->prev = call->next = nullptr;
  call->func = Py_NewRef(args[1]);
  call->args = TupleFromArray(args + 2, nargs - 2);
  call->kwargs = nullptr;
  if (call->args == nullptr) goto fail;
  if (kwnames != nullptr && PyTuple_GET_SIZE(kwnames) > 0) {
    call->kwargs = PyDict_New();
    if (call->kwargs == nullptr) goto fail;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(kwnames); ++i) {
      if (PyDict_SetItem(call->kwargs, PyTuple_GET_ITEM(kwnames, i),
                         args[nargs + i]) < 0) {
        goto fail;
      }
    }
  }
  {
    auto it = t->buckets->find(key);
    Group* g;
    if (it != t->buckets->end()) {
      g = it->second;
    } else {
      double wait = key / 1000.0 - now;
      PyObject* dc = Schedule(t, loop, wait > 0 ? wait : 0.0, key, false);
      if (dc == nullptr) goto fail;
      g = new Group{t, key, false, dc};
      t->buckets->emplace(key, g);
    }
    Append(g, call);
    Py_INCREF(call);  // the group's reference
  }
  Py_DECREF(loop);
  return reinterpret_cast<PyObject*>(call);
fail:
  Py_DECREF(loop);
  Py_DECREF(call);
  return nullptr;
}

// Runs up to chunk_size calls of `g`; schedules the next chunk or, after
// the last, raises the errors collected (as txaio does).
PyObject* RunChunk(BatchedTimer* t, Group* g) {
  for (Py_ssize_t i = 0; i < t->chunk_size && g->head != nullptr; ++i) {
    BatchedCall* call = g->head;
    Unlink(call);
    PyObject* r = PyObject_Call(call->func, call->args, call->kwargs);
    ReleaseCall(call);
    Py_DECREF(call);  // the group's reference
    if (r != nullptr) {
      Py_DECREF(r);
      continue;
    }
    if (!PyErr_ExceptionMatches(PyExc_Exception)) {
      // KeyboardInterrupt and the like: stop here, keep the rest queued.
      if (g->head != nullptr) {
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        PyObject* loop = GetLoop(t);
        PyObject* dc =
            loop ? Schedule(t, loop, g->chunk_delay, g->key, true) : nullptr;
        Py_XDECREF(loop);
        Py_XSETREF(g->delayed_call, dc);
        PyErr_Restore(type, value, tb);  // this error wins over any new one
      }
      return nullptr;
    }
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (g->errors == nullptr) g->errors = PyList_New(0);
    if (g->errors == nullptr || PyList_Append(g->errors, value) < 0) {
      Py_XDECREF(type);
      Py_XDECREF(value);
      Py_XDECREF(tb);
      return nullptr;
    }
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
  }
  if (g->head != nullptr) {
    PyObject* loop = GetLoop(t);
    if (loop == nullptr) return nullptr;
    PyObject* dc = Schedule(t, loop, g->chunk_delay, g->key, true);
    Py_DECREF(loop);
    if (dc == nullptr) return nullptr;
    Py_XSETREF(g->delayed_call, dc);
    Py_RETURN_NONE;
  }
  t->running->erase(g->key);
  PyObject* errors = g->errors ? Py_NewRef(g->errors) : nullptr;
  FreeGroup(g);
  if (errors == nullptr) Py_RETURN_NONE;
  PyObject* msg = PyUnicode_FromString("Error(s) processing call_later bucket:\n");
  for (Py_ssize_t i = 0; msg && i < PyList_GET_SIZE(errors); ++i) {
    PyObject* line =
        PyUnicode_FromFormat("%S\n", PyList_GET_ITEM(errors, i));
    if (line == nullptr) {
      Py_CLEAR(msg);
      break;
    }
    PyObject* joined = PyUnicode_Concat(msg, line);
    Py_DECREF(line);
    Py_SETREF(msg, joined);
  }
  Py_DECREF(errors);
  if (msg == nullptr) return nullptr;
  PyErr_SetObject(PyExc_RuntimeError, msg);
  Py_DECREF(msg);
  return nullptr;
}

// _notify(key, running): the framework timer for a bucket (running=False)
// or for the next chunk of a due bucket (running=True).
PyObject* TimerNotify(PyObject* op, PyObject* const* args, Py_ssize_t nargs) {
  auto* t = reinterpret_cast<BatchedTimer*>(op);
  if (nargs != 2) {
    PyErr_SetString(PyExc_TypeError, "_notify(key, running)");
    return nullptr;
  }
  int64_t key = PyLong_AsLongLong(args[0]);
  if (key == -1 && PyErr_Occurred()) return nullptr;
  if (PyObject_IsTrue(args[1])) {
    auto it = t->running->find(key);
    if (it == t->running->end()) Py_RETURN_NONE;
    return RunChunk(t, it->second);
  }
  auto it = t->buckets->find(key);
  if (it == t->buckets->end()) Py_RETURN_NONE;  // emptied by cancels
  Group* g = it->second;
  t->buckets->erase(it);
  g->running = true;
  g->key = t->next_run_key++;
  t->running->emplace(g->key, g);
  double chunks = std::ceil(static_cast<double>(g->size) / t->chunk_size);
  g->chunk_delay = chunks > 0 ? t->bucket_ms / chunks / 1000.0 : 0.0;
  return RunChunk(t, g);
}

void ClearGroups(std::map<int64_t, Group*>* groups) {
  while (!groups->empty()) {
    Group* g = groups->begin()->second;
    groups->erase(groups->begin());
    while (g->head != nullptr) {
      BatchedCall* call = g->head;
      Unlink(call);
      ReleaseCall(call);
      Py_DECREF(call);
    }
    FreeGroup(g);
  }
}

int TimerTraverse(PyObject* op, visitproc visit, void* arg) {
  auto* t = reinterpret_cast<BatchedTimer*>(op);
  Py_VISIT(t->config);
  Py_VISIT(t->default_loop);
  for (auto* groups : {t->buckets, t->running}) {
    if (groups == nullptr) continue;
    for (auto& [key, g] : *groups) {
      Py_VISIT(g->delayed_call);
      Py_VISIT(g->errors);
      for (BatchedCall* c = g->head; c != nullptr; c = c->next) {
        Py_VISIT(c->func);
        Py_VISIT(c->args);
        Py_VISIT(c->kwargs);
      }
    }
  }
  return 0;
}

int TimerClear(PyObject* op) {
  auto* t = reinterpret_cast<BatchedTimer*>(op);
  if (t->buckets) ClearGroups(t->buckets);
  if (t->running) ClearGroups(t->running);
  Py_CLEAR(t->config);
  Py_CLEAR(t->default_loop);
  return 0;
}

void TimerDealloc(PyObject* op) {
  auto* t = reinterpret_cast<BatchedTimer*>(op);
  PyObject_GC_UnTrack(op);
  TimerClear(op);
  delete t->buckets;
  delete t->running;
  Py_TYPE(op)->tp_free(op);
}

PyObject* TimerNew(PyTypeObject* type, PyObject* args, PyObject* kw) {
  double bucket_seconds;
  Py_ssize_t chunk_size;
  PyObject *config, *default_loop;
  int twisted;
  static const char* kwlist[] = {"bucket_seconds", "chunk_size", "config",
                                 "default_loop", "twisted", nullptr};
  if (!PyArg_ParseTupleAndKeywords(args, kw, "dnOOp:BatchedTimer",
                                   const_cast<char**>(kwlist),
                                   &bucket_seconds, &chunk_size, &config,
                                   &default_loop, &twisted)) {
    return nullptr;
  }
  if (!(bucket_seconds > 0.0) || std::isinf(bucket_seconds)) {
    PyErr_SetString(PyExc_ValueError, "bucket_milliseconds must be > 0.0");
    return nullptr;
  }
  if (chunk_size <= 0) {
    PyErr_SetString(PyExc_ValueError, "chunk_size must be > 0");
    return nullptr;
  }
  auto* t = reinterpret_cast<BatchedTimer*>(type->tp_alloc(type, 0));
  if (t == nullptr) return nullptr;
  t->bucket_ms = bucket_seconds * 1000.0;
  t->chunk_size = chunk_size;
  t->config = Py_NewRef(config);
  t->default_loop = Py_NewRef(default_loop);
  t->twisted = twisted;
  t->buckets = new std::map<int64_t, Group*>;
  t->running = new std::map<int64_t, Group*>;
  t->next_run_key = 0;
  return reinterpret_cast<PyObject*>(t);
}

PyObject* TimerPending(PyObject* op, PyObject*) {
  auto* t = reinterpret_cast<BatchedTimer*>(op);
  Py_ssize_t n = 0;
  for (auto* groups : {t->buckets, t->running}) {
    for (auto& [key, g] : *groups) n += g->size;
  }
  return PyLong_FromSsize_t(n);
}

PyObject* TimerBuckets(PyObject* op, PyObject*) {
  return PyLong_FromSize_t(reinterpret_cast<BatchedTimer*>(op)->buckets->size());
}

PyMethodDef kTimerMethods[] = {
    {"call_later", reinterpret_cast<PyCFunction>(TimerCallLater),
     METH_FASTCALL | METH_KEYWORDS,
     "call_later(delay, func, *args, **kwargs): schedules func in the "
     "bucket holding now + delay; returns an object with cancel()."},
    {"_notify", reinterpret_cast<PyCFunction>(TimerNotify), METH_FASTCALL,
     "Internal: runs a due bucket or its next chunk."},
    {"pending", TimerPending, METH_NOARGS,
     "The number of calls not yet run or cancelled."},
    {"buckets", TimerBuckets, METH_NOARGS,
     "The number of buckets waiting for their time (framework timers)."},
    {nullptr, nullptr, 0, nullptr},
};

}  // namespace

bool AddBatchedTimerTypes(PyObject* module) {
  BatchedCallType = {PyVarObject_HEAD_INIT(nullptr, 0)};
  BatchedCallType.tp_name = "txaio._txaio_core.BatchedCall";
  BatchedCallType.tp_basicsize = sizeof(BatchedCall);
  BatchedCallType.tp_dealloc = BatchedCallDealloc;
  BatchedCallType.tp_call = BatchedCallCall;
  BatchedCallType.tp_flags = Py_TPFLAGS_DEFAULT;
  BatchedCallType.tp_doc = "One call scheduled through a batched timer.";
  BatchedCallType.tp_methods = kBatchedCallMethods;

  BatchedTimerType = {PyVarObject_HEAD_INIT(nullptr, 0)};
  BatchedTimerType.tp_name = "txaio._txaio_core.BatchedTimer";
  BatchedTimerType.tp_basicsize = sizeof(BatchedTimer);
  BatchedTimerType.tp_dealloc = TimerDealloc;
  BatchedTimerType.tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC;
  BatchedTimerType.tp_doc =
      "BatchedTimer(bucket_seconds, chunk_size, config, default_loop, "
      "twisted): txaio's IBatchedTimer.";
  BatchedTimerType.tp_traverse = TimerTraverse;
  BatchedTimerType.tp_clear = TimerClear;
  BatchedTimerType.tp_methods = kTimerMethods;
  BatchedTimerType.tp_new = TimerNew;
  if (PyType_Ready(&BatchedCallType) < 0 ||
      PyType_Ready(&BatchedTimerType) < 0) {
    return false;
  }
  return PyModule_AddType(module, &BatchedCallType) == 0 &&
         PyModule_AddType(module, &BatchedTimerType) == 0;
}

}  // namespace txaio_py
