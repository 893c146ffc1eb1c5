/* txaio.h: the stable C ABI of txaio-cpp.
 *
 * C programs, and any language with a C FFI, use txaio-cpp through this
 * header. It follows LevelDB's c.h and libuv's uv.h: C99, opaque handles made
 * and released in pairs, callbacks as function pointers with a `void* state`.
 * The full reference, with every error code per function, is docs/c_api.md.
 *
 * Conventions (the same for every function):
 *
 * - Errors are data. Every call that can fail returns a txaio_status
 *   (TXAIO_OK == 0) and hands results back through out-parameters, which are
 *   written only on success. On failure, txaio_last_error() returns a message
 *   saying what went wrong. No C++ exception ever crosses this ABI.
 * - NULL where a handle is required, a handle of the wrong type or one that
 *   was already destroyed (while its memory was not yet reused): see
 *   TXAIO_ERR_INVALID_HANDLE below for what is and is not detected.
 * - Ownership of what you pass in: every function taking a callback also
 *   takes a `void* state`, passed back to the callback unchanged, and an
 *   optional destructor (`txaio_destroy_fn`, may be NULL). Future values are
 *   likewise a `void*` plus an optional destructor. From the moment of the
 *   call txaio owns the pair, whatever the call returns: it calls the
 *   destructor exactly once (also for a NULL pointer, as free() accepts one)
 *   when it no longer needs it. For a callback's state that is after the
 *   callback ran, or when it will never run (cancelled, dropped with its
 *   future or loop, or the registering call failed: so an error path never
 *   leaks). For a value it is when the last reference goes: the last future
 *   handle destroyed, every callback run, every gather result holding it
 *   released. Callbacks and txaio_future_result only borrow values.
 *   Callbacks must not unwind through txaio (no longjmp, no C++ exceptions).
 *   A state or value that holds a future handle of the same loop keeps that
 *   loop alive (a reference cycle): destroy such handles yourself.
 * - Threads: a loop, and everything made on it (futures, delayed calls,
 *   batched timers), is used only from the thread running that loop. The
 *   exceptions, safe from any thread, are marked "Thread-safe" below:
 *   txaio_loop_call_soon_threadsafe and txaio_loop_stop (to reach the loop
 *   from elsewhere), plus the loop-independent helpers. A failure handle may
 *   be used from any thread, by one thread at a time.
 * - Strings returned as `const char*` are borrowed from the handle they were
 *   read from and stay valid until it is destroyed; txaio never asks the
 *   caller to free memory it allocated.
 *
 *   txaio_loop* loop;
 *   txaio_future* f;
 *   txaio_loop_new_manual(&loop);
 *   txaio_future_new(loop, NULL, NULL, NULL, &f);
 *   txaio_future_add_callbacks(f, on_value, on_failure, NULL, NULL);
 *   txaio_future_resolve(f, "hello", NULL);
 *   txaio_loop_run_until_idle(loop, NULL);   -> on_value(NULL, "hello")
 *   txaio_future_destroy(f);
 *   txaio_loop_destroy(loop);
 */
#ifndef TXAIO_C_TXAIO_H_
#define TXAIO_C_TXAIO_H_

#include <stddef.h>
#include <stdint.h>

#if defined(SWIG)
#define TXAIO_EXPORT
#elif defined(_WIN32)
#define TXAIO_EXPORT __declspec(dllexport)
#else
#define TXAIO_EXPORT __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this ABI. The shared library's SONAME carries the major
 * number (libtxaio.so.0); additions bump the minor number. */
#define TXAIO_VERSION_MAJOR 0
#define TXAIO_VERSION_MINOR 1
#define TXAIO_VERSION_PATCH 0

/* ----------------------------------------------------------------------- */
/* Errors                                                                   */

typedef enum txaio_status {
  TXAIO_OK = 0,
  /* A handle argument is NULL, of the wrong type, already destroyed, not a
   * handle at all (e.g. a future's own value passed as gather results), or,
   * for a destroy function, borrowed (a handle passed to a callback, which
   * txaio owns). Every live handle is registered with its type, and every
   * call looks its handle arguments up there without reading the memory
   * they point to, so none of these is undefined behaviour. It cannot catch
   * a destroyed handle whose address now belongs to a new handle of the same
   * type. */
  TXAIO_ERR_INVALID_HANDLE = 1,
  /* A bad argument: a NULL out-parameter or callback, a negative, infinite
   * or NaN delay, a bad log level, a both-NULL callback pair, ... */
  TXAIO_ERR_INVALID_ARGUMENT = 2,
  /* The future was already resolved or rejected. */
  TXAIO_ERR_ALREADY_CALLED = 3,
  /* The future has no result yet. */
  TXAIO_ERR_PENDING = 4,
  /* The future failed; txaio_future_failure gives the failure. */
  TXAIO_ERR_FAILED = 5,
  /* The future was cancelled; txaio_future_failure gives the failure. */
  TXAIO_ERR_CANCELLED = 6,
  /* The loop cannot do this (e.g. run a manual loop with nothing scheduled:
   * it would wait forever). */
  TXAIO_ERR_UNSUPPORTED = 7,
  /* Out of memory. */
  TXAIO_ERR_NO_MEMORY = 8,
  /* An unexpected internal error; the message says which. */
  TXAIO_ERR_INTERNAL = 9,
  /* A call the rules forbid in this situation: running a loop from inside
   * one of its own callbacks (runs do not nest), destroying a loop while it
   * runs, setting the unhandled-failure handler from inside it. Nothing was
   * done; the message names the rule. */
  TXAIO_ERR_USAGE = 10
} txaio_status;

/* The message of the most recent call on this thread that returned an error
 * ("function: reason"), or "" if none has. Calls that succeed leave it as it
 * was, like errno. The string stays valid until the next failing call on this
 * thread. Never NULL. Thread-safe (the message is per thread). */
TXAIO_EXPORT const char* txaio_last_error(void);

/* The name of a status, e.g. "TXAIO_ERR_PENDING"; "TXAIO_UNKNOWN_STATUS" for
 * a value outside the enum. Never NULL. Thread-safe. */
TXAIO_EXPORT const char* txaio_status_name(txaio_status status);

/* "MAJOR.MINOR.PATCH" of the library actually loaded. Thread-safe. */
TXAIO_EXPORT const char* txaio_version(void);

/* ----------------------------------------------------------------------- */
/* Handles and callback types                                               */

typedef struct txaio_loop txaio_loop;
typedef struct txaio_future txaio_future;
typedef struct txaio_failure txaio_failure;
typedef struct txaio_delayed_call txaio_delayed_call;
typedef struct txaio_gather_results txaio_gather_results;

/* Releases a callback's state (or a future's value). */
typedef void (*txaio_destroy_fn)(void* state);

/* A plain call: for call_soon, call_later and batched timers. */
typedef void (*txaio_call_fn)(void* state);

/* A future's callback. `value` is borrowed. Return NULL on success; to fail
 * (txaio's "the callback raised"), return a failure from txaio_failure_new:
 * txaio takes ownership of it and passes it to the errback of the same pair
 * (or to the unhandled-failure handler when the pair has no errback). */
typedef txaio_failure* (*txaio_callback_fn)(void* state, void* value);

/* A future's errback, or the unhandled-failure handler. `failure` is
 * borrowed for the duration of the call; txaio_failure_copy keeps it. */
typedef void (*txaio_errback_fn)(void* state, const txaio_failure* failure);

/* A future's canceller, run by txaio_future_cancel on a pending future.
 * `future` is a borrowed handle on the cancelled future, valid during the
 * call; the canceller may resolve or reject it. */
typedef void (*txaio_canceller_fn)(void* state, txaio_future* future);

/* ----------------------------------------------------------------------- */
/* Loops                                                                    */

/* Makes a loop of the backend registered as `name`, owning its event loop:
 * "asio" (Boost.Asio), "manual" (a deterministic fake clock starting at 0,
 * Twisted's task.Clock), and whichever others this library links
 * (txaio_loop_names). Every backend has the same run functions below.
 * Errors: INVALID_ARGUMENT (name or out NULL, or no backend of that name;
 * txaio_last_error lists the linked ones), NO_MEMORY. Thread-safe. */
TXAIO_EXPORT txaio_status txaio_loop_new(const char* name, txaio_loop** out);

/* The names txaio_loop_new accepts: `*names` receives a NULL-terminated
 * array of `*count` strings, sorted, owned by the library and valid for its
 * lifetime. Errors: INVALID_ARGUMENT (an argument NULL). Thread-safe. */
TXAIO_EXPORT txaio_status txaio_loop_names(const char* const** names,
                                           size_t* count);

/* txaio_loop_new("asio", out). */
TXAIO_EXPORT txaio_status txaio_loop_new_asio(txaio_loop** out);

/* txaio_loop_new("manual", out). */
TXAIO_EXPORT txaio_status txaio_loop_new_manual(txaio_loop** out);

/* Releases the caller's handle. The loop itself lives until the last
 * future, delayed call and batched timer made on it is destroyed too (so
 * those handles never dangle); work still queued then is dropped and its
 * state destructors run. NULL is a no-op returning TXAIO_OK. Errors:
 * INVALID_HANDLE, USAGE (the loop is running: destroy it after the run
 * returns; the handle stays valid). Loop thread. */
TXAIO_EXPORT txaio_status txaio_loop_destroy(txaio_loop* loop);

/* The loop's framework name, its registered name ("asio", "manual", ...).
 * Errors: INVALID_HANDLE, INVALID_ARGUMENT. Thread-safe. */
TXAIO_EXPORT txaio_status txaio_loop_framework(const txaio_loop* loop,
                                               const char** out);

/* The loop's clock in seconds (monotonic; the manual clock starts at 0).
 * Errors: INVALID_HANDLE, INVALID_ARGUMENT. Loop thread. */
TXAIO_EXPORT txaio_status txaio_loop_now(const txaio_loop* loop, double* out);

/* The run functions: the same on every backend. The calling thread
 * becomes the loop thread. Runs do not nest: calling one from inside a
 * callback of the same loop fails with USAGE ("already running"). A loop whose
 * clock moves only when told ("manual") moves it itself when it would
 * otherwise wait: from deadline to deadline. */

/* Runs the loop until txaio_loop_stop is called, even while idle. On a
 * manual loop with nothing scheduled (it would wait forever): UNSUPPORTED.
 * Errors: INVALID_HANDLE, UNSUPPORTED. */
TXAIO_EXPORT txaio_status txaio_loop_run(txaio_loop* loop);

/* Runs the loop for `seconds` on its clock, or until stopped: every timer
 * due in that window runs, including ones scheduled during it. Errors:
 * INVALID_HANDLE, INVALID_ARGUMENT (not a finite number from 0 to 1e9, the
 * limit of every delay). */
TXAIO_EXPORT txaio_status txaio_loop_run_for(txaio_loop* loop, double seconds);

/* Runs the loop until `future` is called (resolved, rejected or cancelled;
 * read the outcome from the future). Errors: INVALID_HANDLE,
 * INVALID_ARGUMENT (the future belongs to another loop), PENDING (the loop
 * was stopped first, or, on a manual loop, nothing left is scheduled that
 * could call it). */
TXAIO_EXPORT txaio_status txaio_loop_run_until_complete(txaio_loop* loop,
                                                        txaio_future* future);

/* Runs what is ready now and what that makes ready, until nothing is; never
 * waits for timers. `ran` (may be NULL) receives how many callbacks (tasks,
 * future dispatches, timers) ran. Errors: INVALID_HANDLE. Loop thread. */
TXAIO_EXPORT txaio_status txaio_loop_run_until_idle(txaio_loop* loop,
                                                    size_t* ran);

/* txaio_loop_run_for under its task.Clock name: on a manual loop it moves
 * the clock forward by `seconds` (>= 0), stepping through every deadline on
 * the way; on a real loop it waits that long. Errors: INVALID_HANDLE,
 * INVALID_ARGUMENT (not a finite number of seconds from 0 to 1e9). Loop thread.
 */
TXAIO_EXPORT txaio_status txaio_loop_advance(txaio_loop* loop, double seconds);

/* Asks the active (or next) run function to return. Errors:
 * INVALID_HANDLE. Thread-safe. */
TXAIO_EXPORT txaio_status txaio_loop_stop(txaio_loop* loop);

/* Runs fn(state) on the loop soon, after what is already queued, never
 * inline. Errors: INVALID_HANDLE, INVALID_ARGUMENT (fn NULL). Loop thread. */
TXAIO_EXPORT txaio_status txaio_loop_call_soon(txaio_loop* loop,
                                               txaio_call_fn fn, void* state,
                                               txaio_destroy_fn destroy);

/* txaio_loop_call_soon from any thread: the way to hand work to the loop
 * thread (e.g. to resolve a future from a worker). Errors: INVALID_HANDLE,
 * INVALID_ARGUMENT. Thread-safe. */
TXAIO_EXPORT txaio_status txaio_loop_call_soon_threadsafe(
    txaio_loop* loop, txaio_call_fn fn, void* state, txaio_destroy_fn destroy);

/* Runs fn(state) once `seconds` have passed on the loop's clock (never
 * before; calls due at the same time run in the order scheduled). `out`
 * (may be NULL) receives a handle to cancel it with. Errors:
 * INVALID_HANDLE, INVALID_ARGUMENT (fn NULL; a delay that is not a finite
 * number of seconds from 0 to 1e9). Loop thread. */
TXAIO_EXPORT txaio_status txaio_call_later(txaio_loop* loop, double seconds,
                                           txaio_call_fn fn, void* state,
                                           txaio_destroy_fn destroy,
                                           txaio_delayed_call** out);

/* The number of scheduled, uncancelled call_later timers on the loop.
 * Errors: INVALID_HANDLE, INVALID_ARGUMENT. Loop thread. */
TXAIO_EXPORT txaio_status txaio_loop_pending_timers(const txaio_loop* loop,
                                                    size_t* out);

/* ----------------------------------------------------------------------- */
/* Delayed calls (Twisted's IDelayedCall)                                   */

/* Cancels the call if it has not run yet and releases its state at once.
 * `cancelled` (may be NULL) receives 1 if this cancelled it, 0 if it had
 * already run or been cancelled (a no-op). Errors: INVALID_HANDLE. Loop
 * thread. */
TXAIO_EXPORT txaio_status txaio_delayed_call_cancel(txaio_delayed_call* call,
                                                    int* cancelled);

/* 1 while the call is scheduled and has neither run nor been cancelled.
 * Errors: INVALID_HANDLE, INVALID_ARGUMENT. Loop thread. */
TXAIO_EXPORT txaio_status
txaio_delayed_call_active(const txaio_delayed_call* call, int* out);

/* When the call is (or was) due, in seconds on its loop's clock. Errors:
 * INVALID_HANDLE, INVALID_ARGUMENT. Loop thread. */
TXAIO_EXPORT txaio_status
txaio_delayed_call_when(const txaio_delayed_call* call, double* out);

/* Releases the handle; the call itself stays scheduled. NULL is a no-op.
 * Errors: INVALID_HANDLE. Loop thread. */
TXAIO_EXPORT txaio_status txaio_delayed_call_destroy(txaio_delayed_call* call);

/* ----------------------------------------------------------------------- */
/* Failures (txaio's IFailedFuture)                                         */

/* Makes a failure carrying `code` (any value, for the caller's own use) and
 * `message` (copied; NULL means ""), with the caller's stack. Its type name is
 * "txaio_error". Errors: INVALID_ARGUMENT (out NULL), NO_MEMORY. */
TXAIO_EXPORT txaio_status txaio_failure_new(int code, const char* message,
                                            txaio_failure** out);

/* A new handle on the same failure. Errors: INVALID_HANDLE,
 * INVALID_ARGUMENT, NO_MEMORY. */
TXAIO_EXPORT txaio_status txaio_failure_copy(const txaio_failure* failure,
                                             txaio_failure** out);

/* Releases the handle. NULL is a no-op. Errors: INVALID_HANDLE. */
TXAIO_EXPORT txaio_status txaio_failure_destroy(txaio_failure* failure);

/* The failure in txaio's failure_message form: "TypeName: message" on one
 * line. Errors: INVALID_HANDLE, INVALID_ARGUMENT. */
TXAIO_EXPORT txaio_status txaio_failure_message(const txaio_failure* failure,
                                                const char** out);

/* The exception's type name, e.g. "txaio_error", "txaio::CancelledError",
 * "std::runtime_error". Errors: INVALID_HANDLE, INVALID_ARGUMENT. */
TXAIO_EXPORT txaio_status txaio_failure_type_name(const txaio_failure* failure,
                                                  const char** out);

/* The message alone (the exception's what()). Errors: INVALID_HANDLE,
 * INVALID_ARGUMENT. */
TXAIO_EXPORT txaio_status txaio_failure_what(const txaio_failure* failure,
                                             const char** out);

/* The code given to txaio_failure_new; 0 for failures made by txaio itself.
 * Errors: INVALID_HANDLE, INVALID_ARGUMENT. */
TXAIO_EXPORT txaio_status txaio_failure_code(const txaio_failure* failure,
                                             int* out);

/* 1 if this is the failure of a cancelled future (txaio::CancelledError).
 * Errors: INVALID_HANDLE, INVALID_ARGUMENT. */
TXAIO_EXPORT txaio_status
txaio_failure_is_cancelled(const txaio_failure* failure, int* out);

/* The number of stack frames captured where the failure was made
 * (txaio's failure_traceback). Errors: INVALID_HANDLE, INVALID_ARGUMENT. */
TXAIO_EXPORT txaio_status
txaio_failure_traceback_size(const txaio_failure* failure, size_t* out);

/* Frame `index` (0 = innermost): its return address and its demangled
 * symbol ("??" when unknown). Either out-parameter may be NULL. Errors:
 * INVALID_HANDLE, INVALID_ARGUMENT (index out of range). */
TXAIO_EXPORT txaio_status
txaio_failure_traceback_frame(const txaio_failure* failure, size_t index,
                              const void** address, const char** symbol);

/* A readable multi-line traceback ending with txaio_failure_message
 * (txaio's failure_format_traceback). Errors: INVALID_HANDLE,
 * INVALID_ARGUMENT. */
TXAIO_EXPORT txaio_status
txaio_failure_format_traceback(const txaio_failure* failure, const char** out);

/* Installs the handler for failures nobody handled (a callback failing
 * without an errback, a failed future dropped unseen, ...). NULL `fn`
 * restores the default, which prints the traceback to stderr. The previous
 * handler's state is destroyed. The handler may run on any loop's thread
 * and must not call this function. Errors: none besides NO_MEMORY.
 * Thread-safe. */
TXAIO_EXPORT txaio_status txaio_set_unhandled_failure_handler(
    txaio_errback_fn fn, void* state, txaio_destroy_fn destroy);

/* ----------------------------------------------------------------------- */
/* Futures                                                                  */

typedef enum txaio_future_state {
  TXAIO_FUTURE_PENDING = 0,
  TXAIO_FUTURE_SUCCEEDED = 1,
  TXAIO_FUTURE_FAILED = 2,
  TXAIO_FUTURE_CANCELLED = 3
} txaio_future_state;

/* Makes a pending future on `loop`. `canceller` (may be NULL) runs if the
 * future is cancelled while pending; `state`/`destroy` belong to it (and are
 * destroyed at once when `canceller` is NULL). Errors: INVALID_HANDLE,
 * INVALID_ARGUMENT, NO_MEMORY. Loop thread. */
TXAIO_EXPORT txaio_status txaio_future_new(txaio_loop* loop,
                                           txaio_canceller_fn canceller,
                                           void* state,
                                           txaio_destroy_fn destroy,
                                           txaio_future** out);

/* Makes a future already resolved with `value` (ownership as in
 * txaio_future_resolve). Errors: INVALID_HANDLE, INVALID_ARGUMENT,
 * NO_MEMORY. Loop thread. */
TXAIO_EXPORT txaio_status txaio_future_new_success(txaio_loop* loop,
                                                   void* value,
                                                   txaio_destroy_fn destroy,
                                                   txaio_future** out);

/* Makes a future already failed with `failure` (not consumed: the caller
 * still destroys its handle). Errors: INVALID_HANDLE, INVALID_ARGUMENT,
 * NO_MEMORY. Loop thread. */
TXAIO_EXPORT txaio_status txaio_future_new_error(txaio_loop* loop,
                                                 const txaio_failure* failure,
                                                 txaio_future** out);

/* Releases the handle (not a cancel: callbacks already added still run).
 * NULL is a no-op. Errors: INVALID_HANDLE. Loop thread. */
TXAIO_EXPORT txaio_status txaio_future_destroy(txaio_future* future);

/* A new handle on the same future. Errors: INVALID_HANDLE,
 * INVALID_ARGUMENT, NO_MEMORY. Loop thread. */
TXAIO_EXPORT txaio_status txaio_future_copy(const txaio_future* future,
                                            txaio_future** out);

/* Completes the future with `value` (`destroy` may be NULL for values txaio
 * need not free; ownership as for every value, see the top). After a cancel
 * this is a no-op returning TXAIO_OK (the value is just released) since the
 * producer cannot know the consumer gave up. Callbacks run from the loop,
 * never inline. Errors: INVALID_HANDLE, ALREADY_CALLED. Loop thread. */
TXAIO_EXPORT txaio_status txaio_future_resolve(txaio_future* future,
                                               void* value,
                                               txaio_destroy_fn destroy);

/* Fails the future with `failure` (not consumed). Same rules as resolve.
 * Errors: INVALID_HANDLE, ALREADY_CALLED. Loop thread. */
TXAIO_EXPORT txaio_status txaio_future_reject(txaio_future* future,
                                              const txaio_failure* failure);

/* Cancels a pending future: runs its canceller, then, if still pending,
 * fails it with a cancellation failure whose message is `message` (NULL or
 * "" means "cancelled"). `was_pending` (may be NULL) receives 1 if the future
 * was pending, 0 if cancelling was a no-op. Errors: INVALID_HANDLE. Loop
 * thread. */
TXAIO_EXPORT txaio_status txaio_future_cancel(txaio_future* future,
                                              const char* message,
                                              int* was_pending);

/* Adds a callback/errback pair; either may be NULL, not both. Callbacks are
 * not chained: every pair sees the same value or failure. They run from the
 * loop, in the order added; `state` is shared by the pair and destroyed once
 * after it ran. Errors: INVALID_HANDLE, INVALID_ARGUMENT (both NULL).
 * Loop thread. */
TXAIO_EXPORT txaio_status txaio_future_add_callbacks(txaio_future* future,
                                                     txaio_callback_fn callback,
                                                     txaio_errback_fn errback,
                                                     void* state,
                                                     txaio_destroy_fn destroy);

/* 1 once the future is resolved, rejected or cancelled (txaio's
 * is_called). Errors: INVALID_HANDLE, INVALID_ARGUMENT. Loop thread. */
TXAIO_EXPORT txaio_status txaio_future_is_called(const txaio_future* future,
                                                 int* out);

/* The future's state. Errors: INVALID_HANDLE, INVALID_ARGUMENT. Loop
 * thread. */
TXAIO_EXPORT txaio_status txaio_future_state_get(const txaio_future* future,
                                                 txaio_future_state* out);

/* The value of a succeeded future (borrowed). Errors: INVALID_HANDLE,
 * INVALID_ARGUMENT, PENDING, FAILED, CANCELLED. Loop thread. */
TXAIO_EXPORT txaio_status txaio_future_result(const txaio_future* future,
                                              void** out);

/* A new handle on the failure of a failed or cancelled future; reading it
 * counts as handling it (no unhandled-failure report later). Errors:
 * INVALID_HANDLE, INVALID_ARGUMENT, PENDING, and ALREADY_CALLED for a
 * future that succeeded (it has no failure). Loop thread. */
TXAIO_EXPORT txaio_status txaio_future_failure(const txaio_future* future,
                                               txaio_failure** out);

/* The outcome of a call for txaio_as_future: set *value (and *destroy) and
 * return NULL, or return a failure (from txaio_failure_new, ownership passes
 * to txaio) to fail. */
typedef txaio_failure* (*txaio_as_future_fn)(void* state, void** value,
                                             txaio_destroy_fn* destroy);

/* Calls fn(state, ...) now and returns its outcome as a future: resolved
 * with the value it set, or rejected with the failure it returned. `state`
 * is destroyed after the call. Errors: INVALID_HANDLE, INVALID_ARGUMENT,
 * NO_MEMORY. Loop thread. */
TXAIO_EXPORT txaio_status txaio_as_future(txaio_loop* loop,
                                          txaio_as_future_fn fn, void* state,
                                          txaio_destroy_fn destroy,
                                          txaio_future** out);

/* A future resolved (with NULL) once `seconds` have passed on the loop's
 * clock; cancelling it cancels the timer. Errors: INVALID_HANDLE,
 * INVALID_ARGUMENT (not a finite number of seconds from 0 to 1e9). Loop thread.
 */
TXAIO_EXPORT txaio_status txaio_sleep(txaio_loop* loop, double seconds,
                                      txaio_future** out);

/* ----------------------------------------------------------------------- */
/* gather                                                                   */

/* One future for `count` futures (borrowed; the array may be freed after the
 * call). The gathered future's value is a `txaio_gather_results*` (owned by
 * the future: read it with the functions below, never free it) listing each
 * input's value or failure in input order. With consume_exceptions == 0 the
 * gathered future instead fails with the first failure to happen. count 0
 * gives an empty result at once. Errors: INVALID_HANDLE (the loop or any
 * future), INVALID_ARGUMENT (futures NULL with count > 0, a future of another
 * loop), NO_MEMORY. Loop thread. */
TXAIO_EXPORT txaio_status txaio_gather(txaio_loop* loop,
                                       txaio_future* const* futures,
                                       size_t count, int consume_exceptions,
                                       txaio_future** out);

/* The number of results. Errors: INVALID_HANDLE, INVALID_ARGUMENT. */
TXAIO_EXPORT txaio_status
txaio_gather_results_size(const txaio_gather_results* results, size_t* out);

/* Result `index`: on success *value is the input's value (borrowed) and
 * *failure NULL; on failure *value is NULL and *failure the failure
 * (borrowed from `results`). Either out-parameter may be NULL. Errors:
 * INVALID_HANDLE, INVALID_ARGUMENT (index out of range). */
TXAIO_EXPORT txaio_status
txaio_gather_results_get(const txaio_gather_results* results, size_t index,
                         void** value, const txaio_failure** failure);

/* ----------------------------------------------------------------------- */
/* Batched timers (txaio's make_batched_timer / IBatchedTimer)              */

typedef struct txaio_batched_timer txaio_batched_timer;
typedef struct txaio_batched_call txaio_batched_call;

/* A batched call. Return NULL on success, or a failure (ownership passes to
 * txaio) to report: a bucket's failures are collected and reported together
 * after its last chunk, and never stop the other calls. */
typedef txaio_failure* (*txaio_batched_fn)(void* state);

/* Receives the failures of one bucket, in the order the calls ran (borrowed
 * for the duration of the call). */
typedef void (*txaio_batch_errors_fn)(void* state,
                                      const txaio_failure* const* failures,
                                      size_t count);

/* Makes a batched timer on `loop`: deadlines are rounded up to buckets of
 * `seconds_per_bucket`, one loop timer per bucket, and a due bucket runs
 * its calls in chunks of at most `chunk_size` per loop turn, spread across
 * the bucket. A call never runs before its deadline and, on a loop that
 * keeps up, less than one bucket after it. Errors: INVALID_HANDLE,
 * INVALID_ARGUMENT (bucket not a finite number of seconds from 1e-9 to 1e9;
 * chunk_size <= 0), NO_MEMORY. Loop thread. */
TXAIO_EXPORT txaio_status txaio_batched_timer_new(txaio_loop* loop,
                                                  double seconds_per_bucket,
                                                  int64_t chunk_size,
                                                  txaio_batched_timer** out);

/* Releases the handle; calls already scheduled still run. NULL is a no-op.
 * Errors: INVALID_HANDLE. Loop thread. */
TXAIO_EXPORT txaio_status
txaio_batched_timer_destroy(txaio_batched_timer* timer);

/* Schedules fn(state) `seconds` from now (see txaio_batched_timer_new for
 * the precision). `out` (may be NULL) receives a handle. Cancel is O(1).
 * Errors: INVALID_HANDLE, INVALID_ARGUMENT (fn NULL; a delay that is not a
 * finite number of seconds from 0 to 1e9). Loop thread. */
TXAIO_EXPORT txaio_status txaio_batched_timer_call_later(
    txaio_batched_timer* timer, double seconds, txaio_batched_fn fn,
    void* state, txaio_destroy_fn destroy, txaio_batched_call** out);

/* Sets where a bucket's failures go; NULL `fn` restores the default (one
 * failure listing them all, to the unhandled-failure handler). The previous
 * handler's state is destroyed. Errors: INVALID_HANDLE. Loop thread. */
TXAIO_EXPORT txaio_status txaio_batched_timer_set_error_handler(
    txaio_batched_timer* timer, txaio_batch_errors_fn fn, void* state,
    txaio_destroy_fn destroy);

/* Calls scheduled and neither run nor cancelled. Errors: INVALID_HANDLE,
 * INVALID_ARGUMENT. Loop thread. */
TXAIO_EXPORT txaio_status
txaio_batched_timer_pending(const txaio_batched_timer* timer, size_t* out);

/* Loop timers the batched timer holds now (one per bucket with pending
 * calls, plus one per bucket being drained). Errors: INVALID_HANDLE,
 * INVALID_ARGUMENT. Loop thread. */
TXAIO_EXPORT txaio_status
txaio_batched_timer_loop_timers(const txaio_batched_timer* timer, size_t* out);

/* Cancels the call if it has neither run nor been cancelled, releasing its
 * state at once. `cancelled` (may be NULL) receives 1 if this cancelled it.
 * Cancelling twice or after the call ran is a no-op. Errors:
 * INVALID_HANDLE. Loop thread. */
TXAIO_EXPORT txaio_status txaio_batched_call_cancel(txaio_batched_call* call,
                                                    int* cancelled);

/* 1 while the call is scheduled and has neither started nor been
 * cancelled. Errors: INVALID_HANDLE, INVALID_ARGUMENT. Loop thread. */
TXAIO_EXPORT txaio_status
txaio_batched_call_active(const txaio_batched_call* call, int* out);

/* The call's deadline in seconds on the loop's clock (now + delay, before
 * bucketing). Errors: INVALID_HANDLE, INVALID_ARGUMENT. Loop thread. */
TXAIO_EXPORT txaio_status
txaio_batched_call_when(const txaio_batched_call* call, double* out);

/* Releases the handle; the call stays scheduled. NULL is a no-op. Errors:
 * INVALID_HANDLE. Loop thread. */
TXAIO_EXPORT txaio_status txaio_batched_call_destroy(txaio_batched_call* call);

/* ----------------------------------------------------------------------- */
/* Logging (txaio's make_logger, start_logging, log levels and categories)  */
/* None of these needs a loop, and all of them are thread-safe.             */

typedef struct txaio_logger txaio_logger;

/* txaio's levels, in order. A logger logs an event when the event's level
 * is at or below its own. Any other value is INVALID_ARGUMENT. */
typedef enum txaio_log_level {
  TXAIO_LOG_NONE = 0,
  TXAIO_LOG_CRITICAL = 1,
  TXAIO_LOG_ERROR = 2,
  TXAIO_LOG_WARN = 3,
  TXAIO_LOG_INFO = 4,
  TXAIO_LOG_DEBUG = 5,
  TXAIO_LOG_TRACE = 6
} txaio_log_level;

typedef enum txaio_log_field_type {
  TXAIO_FIELD_BOOL = 0,
  TXAIO_FIELD_INT = 1,
  TXAIO_FIELD_UINT = 2,
  TXAIO_FIELD_DOUBLE = 3,
  TXAIO_FIELD_STRING = 4
} txaio_log_field_type;

/* One named field of an event, for a format such as
 * "Got '{result}' from {peer}" (PEP 3101 names, {{ and }} escapes, format
 * specs such as {x:>8.3f}). Strings are read during the call only. */
typedef struct txaio_log_field {
  const char* name;
  txaio_log_field_type type;
  union {
    int b;
    int64_t i;
    uint64_t u;
    double d;
    const char* s;
  } value;
} txaio_log_field;

/* An observer: called for every event logged, on the thread that logged
 * (possibly several at once: it must be thread-safe). `text` is the
 * formatted message (or "Unable to format event ..." for a bad format or a
 * missing field); `failure` is NULL unless the event logs one. Everything is
 * borrowed for the call. */
typedef void (*txaio_log_observer_fn)(void* state, txaio_log_level level,
                                      const char* log_namespace,
                                      const char* text,
                                      const txaio_failure* failure);

/* The name of a level ("none" ... "trace"). Errors: INVALID_ARGUMENT. */
TXAIO_EXPORT txaio_status txaio_log_level_name(txaio_log_level level,
                                               const char** out);

/* The level called `name`. Errors: INVALID_ARGUMENT (the message lists the
 * valid names). */
TXAIO_EXPORT txaio_status txaio_log_level_parse(const char* name,
                                                txaio_log_level* out);

/* Makes a logger for `log_namespace` (copied; e.g. "myapp.Conn") that
 * follows the global level. Errors: INVALID_ARGUMENT, NO_MEMORY. */
TXAIO_EXPORT txaio_status txaio_logger_new(const char* log_namespace,
                                           txaio_logger** out);

/* Releases the handle. NULL is a no-op. Errors: INVALID_HANDLE. */
TXAIO_EXPORT txaio_status txaio_logger_destroy(txaio_logger* logger);

/* Logs `format` with `count` fields at `level` (CRITICAL..TRACE) if the
 * logger's level allows it; otherwise a no-op costing one branch. The format
 * is checked when formatted: a bad one is logged as such, never an error
 * here. Errors: INVALID_HANDLE, INVALID_ARGUMENT (level NONE or invalid,
 * format NULL, fields NULL with count > 0, a field with a NULL name or
 * string, or an unknown field type). */
TXAIO_EXPORT txaio_status txaio_logger_log(const txaio_logger* logger,
                                           txaio_log_level level,
                                           const char* format,
                                           const txaio_log_field* fields,
                                           size_t count);

/* Logs `failure` at the error level: the message (format may be ""), then
 * the failure's traceback. Errors: as txaio_logger_log. */
TXAIO_EXPORT txaio_status txaio_logger_failure(const txaio_logger* logger,
                                               const char* format,
                                               const txaio_failure* failure,
                                               const txaio_log_field* fields,
                                               size_t count);

/* 1 if an event at `level` would be logged. Errors: INVALID_HANDLE,
 * INVALID_ARGUMENT. */
TXAIO_EXPORT txaio_status txaio_logger_enabled(const txaio_logger* logger,
                                               txaio_log_level level, int* out);

/* Sets the logger's level. With keep != 0 (txaio's default) the level is
 * explicit and global changes no longer move it; with keep == 0 the next
 * global change does. Errors: INVALID_HANDLE, INVALID_ARGUMENT. */
TXAIO_EXPORT txaio_status txaio_logger_set_level(txaio_logger* logger,
                                                 txaio_log_level level,
                                                 int keep);

/* Makes the logger follow the global level again (and take it now).
 * Errors: INVALID_HANDLE. */
TXAIO_EXPORT txaio_status
txaio_logger_follow_global_level(txaio_logger* logger);

/* The logger's current level. Errors: INVALID_HANDLE, INVALID_ARGUMENT. */
TXAIO_EXPORT txaio_status txaio_logger_level(const txaio_logger* logger,
                                             txaio_log_level* out);

/* The logger's namespace. Errors: INVALID_HANDLE, INVALID_ARGUMENT. */
TXAIO_EXPORT txaio_status txaio_logger_namespace(const txaio_logger* logger,
                                                 const char** out);

/* Sets the global level, re-levelling at once every logger that follows
 * it. Errors: INVALID_ARGUMENT. */
TXAIO_EXPORT txaio_status txaio_set_global_log_level(txaio_log_level level);

/* The global level. Errors: INVALID_ARGUMENT (out NULL). */
TXAIO_EXPORT txaio_status txaio_get_global_log_level(txaio_log_level* out);

/* txaio.start_logging: sets the global level and writes each event as a
 * line "ISO-8601-time-with-offset message" to stdout (use_stderr == 0) or
 * stderr. Calling it again replaces the writer. Errors: INVALID_ARGUMENT. */
TXAIO_EXPORT txaio_status txaio_start_logging(txaio_log_level level,
                                              int use_stderr);

/* Removes the writer txaio_start_logging installed, if any. */
TXAIO_EXPORT txaio_status txaio_stop_logging(void);

/* Registers an observer for every event from now on; `id` (may be NULL)
 * receives its id for txaio_remove_log_observer. `state` is destroyed when
 * the observer is removed. Errors: INVALID_ARGUMENT (fn NULL), NO_MEMORY. */
TXAIO_EXPORT txaio_status txaio_add_log_observer(txaio_log_observer_fn fn,
                                                 void* state,
                                                 txaio_destroy_fn destroy,
                                                 uint64_t* id);

/* Unregisters observer `id`; `removed` (may be NULL) receives 1 if it was
 * registered. */
TXAIO_EXPORT txaio_status txaio_remove_log_observer(uint64_t id, int* removed);

/* txaio.add_log_categories: an event with a string field "log_category"
 * naming one of `names` is formatted with the matching entry of `formats`.
 * Errors: INVALID_ARGUMENT (NULL arrays with count > 0, NULL entries). */
TXAIO_EXPORT txaio_status txaio_add_log_categories(const char* const* names,
                                                   const char* const* formats,
                                                   size_t count);

/* ----------------------------------------------------------------------- */
/* Clocks (no loop needed)                                                  */

/* Wall-clock nanoseconds since the Unix epoch (txaio.time_ns). Thread-safe. */
TXAIO_EXPORT int64_t txaio_time_ns(void);

/* Monotonic nanoseconds for measuring intervals (txaio.perf_counter_ns).
 * Thread-safe. */
TXAIO_EXPORT int64_t txaio_perf_counter_ns(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* TXAIO_C_TXAIO_H_ */
