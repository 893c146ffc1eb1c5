/* The C ABI's test, in plain C99: every function in txaio.h, with the
 * error cases (NULL and wrong-type handles, double resolve, bad delays, ...).
 * Built twice: against //bindings/c:txaio_c and against libtxaio.so.0. */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "txaio.h"

static int g_checks = 0;
static int g_failures = 0;

#define CHECK(cond)                                                           \
  do {                                                                        \
    ++g_checks;                                                               \
    if (!(cond)) {                                                            \
      ++g_failures;                                                           \
      fprintf(stderr, "%s:%d: CHECK failed: %s (last error: %s)\n", __FILE__, \
              __LINE__, #cond, txaio_last_error());                           \
    }                                                                         \
  } while (0)

/* Checks that `call` returns `status` (and, on error, sets a message). */
#define EXPECT_STATUS(status, call)                                            \
  do {                                                                         \
    txaio_status got_ = (call);                                                \
    ++g_checks;                                                                \
    if (got_ != (status)) {                                                    \
      ++g_failures;                                                            \
      fprintf(stderr, "%s:%d: %s returned %s, expected %s (%s)\n", __FILE__,   \
              __LINE__, #call, txaio_status_name(got_),                        \
              txaio_status_name(status), txaio_last_error());                  \
    } else if ((status) != TXAIO_OK && txaio_last_error()[0] == '\0') {        \
      ++g_failures;                                                            \
      fprintf(stderr, "%s:%d: %s gave no error message\n", __FILE__, __LINE__, \
              #call);                                                          \
    }                                                                          \
  } while (0)

#define OK(call) EXPECT_STATUS(TXAIO_OK, call)

#define CHECK_STR(a, b) CHECK((a) != NULL && strcmp((a), (b)) == 0)
#define CHECK_CONTAINS(hay, needle) \
  CHECK((hay) != NULL && strstr((hay), (needle)) != NULL)

/* ------------------------------------------------------------ helpers */

/* A counter used as a callback's state: its destroy counts releases. */
typedef struct {
  int calls;
  int destroyed;
  void* last_value;
  int last_code;
  int last_cancelled;
  char last_message[256];
} Probe;

static void probe_reset(Probe* p) { memset(p, 0, sizeof *p); }

static void probe_destroy(void* state) { ((Probe*)state)->destroyed++; }

static void probe_call(void* state) { ((Probe*)state)->calls++; }

static txaio_failure* probe_callback(void* state, void* value) {
  Probe* p = (Probe*)state;
  p->calls++;
  p->last_value = value;
  return NULL;
}

static void probe_errback(void* state, const txaio_failure* failure) {
  Probe* p = (Probe*)state;
  const char* message = NULL;
  p->calls++;
  OK(txaio_failure_code(failure, &p->last_code));
  OK(txaio_failure_is_cancelled(failure, &p->last_cancelled));
  OK(txaio_failure_message(failure, &message));
  if (message != NULL) {
    strncpy(p->last_message, message, sizeof p->last_message - 1);
  }
}

/* A heap value whose release is counted. */
static int g_values_freed = 0;
static void value_free(void* value) {
  free(value);
  g_values_freed++;
}
static int* new_int(int v) {
  int* p = (int*)malloc(sizeof *p);
  *p = v;
  return p;
}

/* The unhandled-failure handler's record. */
static Probe g_unhandled;

/* A string appended to by calls, to check order. */
static char g_order[64];
static void order_a(void* state) {
  (void)state;
  strcat(g_order, "a");
}
static void order_b(void* state) {
  (void)state;
  strcat(g_order, "b");
}
static void order_c(void* state) {
  (void)state;
  strcat(g_order, "c");
}

/* ------------------------------------------------------------ tests */

static void test_misc(void) {
  int64_t t1, t2;
  CHECK_STR(txaio_last_error(), "");
  CHECK_STR(txaio_version(), "0.1.0");
  CHECK_STR(txaio_status_name(TXAIO_OK), "TXAIO_OK");
  CHECK_STR(txaio_status_name(TXAIO_ERR_INVALID_HANDLE),
            "TXAIO_ERR_INVALID_HANDLE");
  CHECK_STR(txaio_status_name(TXAIO_ERR_INVALID_ARGUMENT),
            "TXAIO_ERR_INVALID_ARGUMENT");
  CHECK_STR(txaio_status_name(TXAIO_ERR_ALREADY_CALLED),
            "TXAIO_ERR_ALREADY_CALLED");
  CHECK_STR(txaio_status_name(TXAIO_ERR_PENDING), "TXAIO_ERR_PENDING");
  CHECK_STR(txaio_status_name(TXAIO_ERR_FAILED), "TXAIO_ERR_FAILED");
  CHECK_STR(txaio_status_name(TXAIO_ERR_CANCELLED), "TXAIO_ERR_CANCELLED");
  CHECK_STR(txaio_status_name(TXAIO_ERR_UNSUPPORTED), "TXAIO_ERR_UNSUPPORTED");
  CHECK_STR(txaio_status_name(TXAIO_ERR_NO_MEMORY), "TXAIO_ERR_NO_MEMORY");
  CHECK_STR(txaio_status_name(TXAIO_ERR_INTERNAL), "TXAIO_ERR_INTERNAL");
  CHECK_STR(txaio_status_name((txaio_status)99), "TXAIO_UNKNOWN_STATUS");

  t1 = txaio_time_ns();
  CHECK(t1 > INT64_C(1600000000) * 1000000000); /* after 2020 */
  t1 = txaio_perf_counter_ns();
  t2 = txaio_perf_counter_ns();
  CHECK(t2 >= t1);
}

static void test_loops(void) {
  txaio_loop* manual = NULL;
  txaio_loop* asio = NULL;
  const char* name = NULL;
  double now = -1;
  size_t n = 99;

  {
    /* The registry: every linked backend by name, and no other name. */
    const char* const* names = NULL;
    size_t count = 0;
    size_t i;
    int has_asio = 0;
    int has_manual = 0;
    txaio_loop* by_name = NULL;
    OK(txaio_loop_names(&names, &count));
    CHECK(count >= 2);
    CHECK(names[count] == NULL);
    for (i = 0; i < count; ++i) {
      const char* framework = NULL;
      has_asio |= strcmp(names[i], "asio") == 0;
      has_manual |= strcmp(names[i], "manual") == 0;
      OK(txaio_loop_new(names[i], &by_name));
      OK(txaio_loop_framework(by_name, &framework));
      CHECK_STR(framework, names[i]);
      OK(txaio_loop_destroy(by_name));
    }
    CHECK(has_asio && has_manual);
    EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                  txaio_loop_new("no-such-loop", &by_name));
    CHECK_CONTAINS(txaio_last_error(), "no backend named \"no-such-loop\"");
    CHECK_CONTAINS(txaio_last_error(), "asio");
    EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT, txaio_loop_new(NULL, &by_name));
    EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT, txaio_loop_new("asio", NULL));
    EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT, txaio_loop_names(NULL, &count));
  }
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT, txaio_loop_new_manual(NULL));
  CHECK_CONTAINS(txaio_last_error(), "out is NULL");
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT, txaio_loop_new_asio(NULL));
  OK(txaio_loop_new_manual(&manual));
  OK(txaio_loop_new_asio(&asio));

  OK(txaio_loop_framework(manual, &name));
  CHECK_STR(name, "manual");
  OK(txaio_loop_framework(asio, &name));
  CHECK_STR(name, "asio");
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE, txaio_loop_framework(NULL, &name));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT, txaio_loop_framework(asio, NULL));

  OK(txaio_loop_now(manual, &now));
  CHECK(now == 0.0);
  OK(txaio_loop_advance(manual, 1.5));
  OK(txaio_loop_now(manual, &now));
  CHECK(now == 1.5);
  OK(txaio_loop_advance(manual, 0.0));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT, txaio_loop_advance(manual, -1.0));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT, txaio_loop_advance(manual, NAN));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_loop_advance(manual, INFINITY));
  OK(txaio_loop_now(manual, &now));
  CHECK(now == 1.5);
  OK(txaio_loop_now(asio, &now));
  CHECK(now > 0.0);
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE, txaio_loop_now(NULL, &now));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT, txaio_loop_now(manual, NULL));

  /* Every loop has the same run functions; a manual loop moves its clock
   * itself instead of waiting, and cannot wait forever. */
  OK(txaio_loop_advance(asio, 0.001));
  EXPECT_STATUS(TXAIO_ERR_UNSUPPORTED, txaio_loop_run(manual));
  CHECK_CONTAINS(txaio_last_error(), "would never end");
  OK(txaio_loop_run_for(manual, 0.25));
  OK(txaio_loop_now(manual, &now));
  CHECK(now == 1.75);
  OK(txaio_loop_stop(manual));
  OK(txaio_loop_run(manual)); /* the pending stop makes it return at once */
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT, txaio_loop_run_for(asio, -1.0));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT, txaio_loop_run_for(asio, NAN));
  OK(txaio_loop_run_for(asio, 0.001));

  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE, txaio_loop_run(NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE, txaio_loop_run_for(NULL, 0.0));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE, txaio_loop_stop(NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE, txaio_loop_advance(NULL, 1.0));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE, txaio_loop_run_until_idle(NULL, &n));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE, txaio_loop_pending_timers(NULL, &n));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_loop_pending_timers(manual, NULL));

  OK(txaio_loop_run_until_idle(manual, &n));
  CHECK(n == 0);
  OK(txaio_loop_run_until_idle(manual, NULL));
  OK(txaio_loop_run_until_idle(asio, &n));

  /* A handle of another type is rejected, not trusted. */
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_loop_now((const txaio_loop*)txaio_version(), &now));
  CHECK_CONTAINS(txaio_last_error(), "is not a live txaio_loop");

  OK(txaio_loop_destroy(NULL));
  OK(txaio_loop_destroy(manual));
  OK(txaio_loop_destroy(asio));
}

static void test_call_soon(void) {
  txaio_loop* loop = NULL;
  Probe p;
  size_t ran = 0;
  probe_reset(&p);
  OK(txaio_loop_new_manual(&loop));

  g_order[0] = '\0';
  OK(txaio_loop_call_soon(loop, order_a, NULL, NULL));
  OK(txaio_loop_call_soon(loop, order_b, NULL, NULL));
  OK(txaio_loop_call_soon_threadsafe(loop, order_c, NULL, NULL));
  OK(txaio_loop_call_soon(loop, probe_call, &p, probe_destroy));
  CHECK_STR(g_order, ""); /* never inline */
  CHECK(p.destroyed == 0);
  OK(txaio_loop_run_until_idle(loop, &ran));
  CHECK(ran >= 1);
  /* Same-thread call_soon calls run in order; the threadsafe inbox joins
   * the next round. */
  CHECK(strcmp(g_order, "abc") == 0 || strcmp(g_order, "cab") == 0);
  CHECK(p.calls == 1);
  CHECK(p.destroyed == 1);

  /* Errors: the state is still released exactly once. */
  probe_reset(&p);
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_loop_call_soon(loop, NULL, &p, probe_destroy));
  CHECK(p.destroyed == 1);
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_loop_call_soon(NULL, probe_call, &p, probe_destroy));
  CHECK(p.destroyed == 2);
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_loop_call_soon_threadsafe(loop, NULL, &p, probe_destroy));
  EXPECT_STATUS(
      TXAIO_ERR_INVALID_HANDLE,
      txaio_loop_call_soon_threadsafe(NULL, probe_call, &p, probe_destroy));
  CHECK(p.destroyed == 4);
  CHECK(p.calls == 0);

  /* Work still queued when the loop goes is dropped, its state released. */
  probe_reset(&p);
  OK(txaio_loop_call_soon(loop, probe_call, &p, probe_destroy));
  OK(txaio_loop_destroy(loop));
  CHECK(p.calls == 0);
  CHECK(p.destroyed == 1);
}

static void test_call_later(void) {
  txaio_loop* loop = NULL;
  txaio_delayed_call* first = NULL;
  txaio_delayed_call* second = NULL;
  txaio_delayed_call* untouched = (txaio_delayed_call*)&g_checks;
  Probe p1, p2, p3;
  int flag = -1;
  double when = -1;
  size_t pending = 99;
  probe_reset(&p1);
  probe_reset(&p2);
  probe_reset(&p3);
  OK(txaio_loop_new_manual(&loop));

  OK(txaio_call_later(loop, 2.0, probe_call, &p2, probe_destroy, &second));
  OK(txaio_call_later(loop, 1.0, probe_call, &p1, probe_destroy, &first));
  OK(txaio_call_later(loop, 3.0, probe_call, &p3, probe_destroy, NULL));
  OK(txaio_loop_pending_timers(loop, &pending));
  CHECK(pending == 3);
  OK(txaio_delayed_call_when(first, &when));
  CHECK(when == 1.0);
  OK(txaio_delayed_call_active(first, &flag));
  CHECK(flag == 1);

  OK(txaio_loop_advance(loop, 0.5));
  CHECK(p1.calls == 0);
  OK(txaio_loop_advance(loop, 0.5));
  CHECK(p1.calls == 1);
  CHECK(p1.destroyed == 1);
  CHECK(p2.calls == 0);
  OK(txaio_delayed_call_active(first, &flag));
  CHECK(flag == 0);
  OK(txaio_delayed_call_cancel(first, &flag)); /* after it ran: no-op */
  CHECK(flag == 0);

  OK(txaio_delayed_call_cancel(second, &flag));
  CHECK(flag == 1);
  CHECK(p2.destroyed == 1); /* released at cancel, not later */
  OK(txaio_delayed_call_cancel(second, NULL)); /* twice: no-op */
  OK(txaio_delayed_call_active(second, &flag));
  CHECK(flag == 0);
  OK(txaio_loop_pending_timers(loop, &pending));
  CHECK(pending == 1);
  OK(txaio_loop_advance(loop, 5.0));
  CHECK(p2.calls == 0);
  CHECK(p3.calls == 1);

  /* Bad delays and arguments: an error, and the state released. */
  probe_reset(&p1);
  EXPECT_STATUS(
      TXAIO_ERR_INVALID_ARGUMENT,
      txaio_call_later(loop, -1.0, probe_call, &p1, probe_destroy, NULL));
  CHECK_CONTAINS(txaio_last_error(), "delay must be");
  EXPECT_STATUS(
      TXAIO_ERR_INVALID_ARGUMENT,
      txaio_call_later(loop, NAN, probe_call, &p1, probe_destroy, NULL));
  EXPECT_STATUS(
      TXAIO_ERR_INVALID_ARGUMENT,
      txaio_call_later(loop, INFINITY, probe_call, &p1, probe_destroy, NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_call_later(loop, 1.0, NULL, &p1, probe_destroy, NULL));
  EXPECT_STATUS(
      TXAIO_ERR_INVALID_HANDLE,
      txaio_call_later(NULL, 1.0, probe_call, &p1, probe_destroy, NULL));
  CHECK(p1.destroyed == 5);
  CHECK(p1.calls == 0);

  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_delayed_call_cancel(NULL, NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_delayed_call_cancel(untouched, NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_delayed_call_active(NULL, &flag));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_delayed_call_active(first, NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE, txaio_delayed_call_when(NULL, &when));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_delayed_call_when(first, NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_delayed_call_destroy(untouched));

  OK(txaio_delayed_call_destroy(NULL));
  OK(txaio_delayed_call_destroy(first));
  /* A handle may outlive its loop handle; cancelling it is still safe. */
  OK(txaio_call_later(loop, 1.0, probe_call, &p1, probe_destroy, &first));
  OK(txaio_loop_destroy(loop));
  OK(txaio_delayed_call_active(first, &flag));
  CHECK(flag == 1);
  OK(txaio_delayed_call_cancel(first, &flag));
  CHECK(flag == 1);
  OK(txaio_delayed_call_destroy(first));
  OK(txaio_delayed_call_destroy(second));
}

static void test_failures(void) {
  txaio_failure* f = NULL;
  txaio_failure* copy = NULL;
  txaio_failure* empty = NULL;
  const char* s = NULL;
  const void* address = NULL;
  int code = 0, flag = -1;
  size_t frames = 0;

  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT, txaio_failure_new(1, "x", NULL));
  OK(txaio_failure_new(42, "boom\nagain", &f));
  OK(txaio_failure_message(f, &s));
  CHECK_STR(s, "txaio_error: boom again"); /* one line */
  OK(txaio_failure_type_name(f, &s));
  CHECK_STR(s, "txaio_error");
  OK(txaio_failure_what(f, &s));
  CHECK_STR(s, "boom\nagain");
  OK(txaio_failure_code(f, &code));
  CHECK(code == 42);
  OK(txaio_failure_is_cancelled(f, &flag));
  CHECK(flag == 0);
  OK(txaio_failure_traceback_size(f, &frames));
  CHECK(frames > 0);
  OK(txaio_failure_traceback_frame(f, 0, &address, &s));
  CHECK(address != NULL);
  CHECK(s != NULL && s[0] != '\0');
  OK(txaio_failure_traceback_frame(f, 0, NULL, NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_failure_traceback_frame(f, frames, &address, &s));
  CHECK_CONTAINS(txaio_last_error(), "out of range");
  OK(txaio_failure_format_traceback(f, &s));
  CHECK_CONTAINS(s, "Traceback");
  CHECK_CONTAINS(s, "txaio_error: boom again");

  OK(txaio_failure_copy(f, &copy));
  OK(txaio_failure_destroy(f));
  OK(txaio_failure_code(copy, &code)); /* the copy lives on */
  CHECK(code == 42);
  OK(txaio_failure_destroy(copy));

  OK(txaio_failure_new(0, NULL, &empty));
  OK(txaio_failure_what(empty, &s));
  CHECK_STR(s, "");

  /* NULL and wrong-type handles, NULL outs, on every accessor. */
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE, txaio_failure_copy(NULL, &copy));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT, txaio_failure_copy(empty, NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE, txaio_failure_message(NULL, &s));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT, txaio_failure_message(empty, NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE, txaio_failure_type_name(NULL, &s));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_failure_type_name(empty, NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE, txaio_failure_what(NULL, &s));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT, txaio_failure_what(empty, NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE, txaio_failure_code(NULL, &code));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT, txaio_failure_code(empty, NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_failure_is_cancelled(NULL, &flag));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_failure_is_cancelled(empty, NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_failure_traceback_size(NULL, &frames));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_failure_traceback_size(empty, NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_failure_traceback_frame(NULL, 0, NULL, NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_failure_format_traceback(NULL, &s));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_failure_format_traceback(empty, NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_failure_code((const txaio_failure*)&g_checks, &code));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_failure_destroy((txaio_failure*)&g_checks));
  OK(txaio_failure_destroy(NULL));
  OK(txaio_failure_destroy(empty));
}

static void unhandled_record(void* state, const txaio_failure* failure) {
  probe_errback(state, failure);
}

static txaio_failure* failing_callback(void* state, void* value) {
  txaio_failure* f = NULL;
  (void)state;
  (void)value;
  txaio_failure_new(7, "callback says no", &f);
  return f;
}

static txaio_failure* bogus_callback(void* state, void* value) {
  (void)state;
  (void)value;
  return (txaio_failure*)&g_checks; /* not a failure handle */
}

static void probe_canceller(void* state, txaio_future* future) {
  int flag = -1;
  ((Probe*)state)->calls++;
  /* The borrowed handle works during the call. */
  OK(txaio_future_is_called(future, &flag));
  CHECK(flag == 0);
}

static void resolving_canceller(void* state, txaio_future* future) {
  Probe* p = (Probe*)state;
  p->calls++;
  OK(txaio_future_resolve(future, new_int(5), value_free));
}

static void test_future_resolve(txaio_loop* loop) {
  txaio_future* f = NULL;
  txaio_future* copy = NULL;
  txaio_failure* failure = NULL;
  Probe a, b;
  void* value = NULL;
  int* v = new_int(11);
  int flag = -1, freed_before;
  txaio_future_state state = TXAIO_FUTURE_FAILED;
  probe_reset(&a);
  probe_reset(&b);

  OK(txaio_future_new(loop, NULL, NULL, NULL, &f));
  OK(txaio_future_state_get(f, &state));
  CHECK(state == TXAIO_FUTURE_PENDING);
  OK(txaio_future_is_called(f, &flag));
  CHECK(flag == 0);
  EXPECT_STATUS(TXAIO_ERR_PENDING, txaio_future_result(f, &value));
  EXPECT_STATUS(TXAIO_ERR_PENDING, txaio_future_failure(f, &failure));
  OK(txaio_future_add_callbacks(f, probe_callback, probe_errback, &a,
                                probe_destroy));
  OK(txaio_future_add_callbacks(f, probe_callback, NULL, &b, probe_destroy));
  OK(txaio_future_copy(f, &copy));

  freed_before = g_values_freed;
  OK(txaio_future_resolve(copy, v, value_free));
  CHECK(a.calls == 0); /* callbacks never run inline */
  OK(txaio_loop_run_until_idle(loop, NULL));
  CHECK(a.calls == 1 && b.calls == 1);
  CHECK(a.last_value == v && b.last_value == v); /* not chained */
  CHECK(a.destroyed == 1 && b.destroyed == 1);

  OK(txaio_future_state_get(f, &state));
  CHECK(state == TXAIO_FUTURE_SUCCEEDED);
  OK(txaio_future_is_called(f, &flag));
  CHECK(flag == 1);
  OK(txaio_future_result(f, &value));
  CHECK(value == v && *(int*)value == 11);
  EXPECT_STATUS(TXAIO_ERR_ALREADY_CALLED, txaio_future_failure(f, &failure));

  /* Resolving or rejecting again: an error, and the new value released. */
  EXPECT_STATUS(TXAIO_ERR_ALREADY_CALLED,
                txaio_future_resolve(f, new_int(12), value_free));
  CHECK(g_values_freed == freed_before + 1);
  OK(txaio_failure_new(1, "late", &failure));
  EXPECT_STATUS(TXAIO_ERR_ALREADY_CALLED, txaio_future_reject(f, failure));
  OK(txaio_failure_destroy(failure));

  /* Adding a pair to a called future schedules it. */
  probe_reset(&a);
  OK(txaio_future_add_callbacks(f, probe_callback, NULL, &a, probe_destroy));
  CHECK(a.calls == 0);
  OK(txaio_loop_run_until_idle(loop, NULL));
  CHECK(a.calls == 1 && a.last_value == v);

  /* Cancelling a called future is a no-op. */
  OK(txaio_future_cancel(f, "too late", &flag));
  CHECK(flag == 0);

  OK(txaio_future_destroy(f));
  CHECK(g_values_freed == freed_before + 1); /* the copy still holds it */
  OK(txaio_future_destroy(copy));
  CHECK(g_values_freed == freed_before + 2);

  /* Bad arguments. */
  probe_reset(&a);
  OK(txaio_future_new(loop, NULL, NULL, NULL, &f));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_future_add_callbacks(f, NULL, NULL, &a, probe_destroy));
  CHECK(a.destroyed == 1);
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_future_add_callbacks(NULL, probe_callback, NULL, &a,
                                           probe_destroy));
  CHECK(a.destroyed == 2);
  freed_before = g_values_freed;
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_future_resolve(NULL, new_int(1), value_free));
  CHECK(g_values_freed == freed_before + 1);
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE, txaio_future_reject(f, NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_future_cancel(NULL, NULL, NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE, txaio_future_is_called(NULL, &flag));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT, txaio_future_is_called(f, NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE, txaio_future_state_get(NULL, &state));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT, txaio_future_state_get(f, NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE, txaio_future_result(NULL, &value));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT, txaio_future_result(f, NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE, txaio_future_failure(NULL, &failure));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT, txaio_future_failure(f, NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE, txaio_future_copy(NULL, &copy));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT, txaio_future_copy(f, NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_future_new(NULL, NULL, NULL, NULL, &copy));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_future_new(loop, NULL, NULL, NULL, NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_future_resolve((txaio_future*)loop, NULL, NULL));
  CHECK_CONTAINS(txaio_last_error(), "is not a live txaio_future");
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_future_destroy((txaio_future*)loop));
  OK(txaio_future_destroy(NULL));
  /* A NULL value with no destructor is a valid result. */
  OK(txaio_future_resolve(f, NULL, NULL));
  OK(txaio_future_result(f, &value));
  CHECK(value == NULL);
  OK(txaio_future_destroy(f));
}

static void test_future_reject_cancel(txaio_loop* loop) {
  txaio_future* f = NULL;
  txaio_failure* failure = NULL;
  txaio_failure* got = NULL;
  Probe a, canceller;
  void* value = NULL;
  const char* s = NULL;
  int flag = -1, code = 0, freed_before;
  txaio_future_state state = TXAIO_FUTURE_PENDING;
  probe_reset(&a);
  probe_reset(&canceller);

  /* reject */
  OK(txaio_future_new(loop, NULL, NULL, NULL, &f));
  OK(txaio_future_add_callbacks(f, probe_callback, probe_errback, &a,
                                probe_destroy));
  OK(txaio_failure_new(42, "boom", &failure));
  OK(txaio_future_reject(f, failure));
  OK(txaio_failure_destroy(failure)); /* reject does not consume it */
  OK(txaio_loop_run_until_idle(loop, NULL));
  CHECK(a.calls == 1 && a.last_code == 42 && a.last_cancelled == 0);
  CHECK_STR(a.last_message, "txaio_error: boom");
  OK(txaio_future_state_get(f, &state));
  CHECK(state == TXAIO_FUTURE_FAILED);
  EXPECT_STATUS(TXAIO_ERR_FAILED, txaio_future_result(f, &value));
  CHECK_CONTAINS(txaio_last_error(), "txaio_error: boom");
  OK(txaio_future_failure(f, &got));
  OK(txaio_failure_code(got, &code));
  CHECK(code == 42);
  OK(txaio_failure_destroy(got));
  EXPECT_STATUS(TXAIO_ERR_ALREADY_CALLED, txaio_future_resolve(f, NULL, NULL));
  OK(txaio_future_destroy(f));

  /* cancel with a canceller that does nothing */
  probe_reset(&a);
  OK(txaio_future_new(loop, probe_canceller, &canceller, probe_destroy, &f));
  OK(txaio_future_add_callbacks(f, NULL, probe_errback, &a, probe_destroy));
  OK(txaio_future_cancel(f, "stop it", &flag));
  CHECK(flag == 1);
  CHECK(canceller.calls == 1);
  CHECK(canceller.destroyed == 1);
  OK(txaio_future_cancel(f, NULL, &flag)); /* twice: no-op */
  CHECK(flag == 0);
  OK(txaio_loop_run_until_idle(loop, NULL));
  CHECK(a.calls == 1 && a.last_cancelled == 1);
  CHECK_CONTAINS(a.last_message, "stop it");
  OK(txaio_future_state_get(f, &state));
  CHECK(state == TXAIO_FUTURE_CANCELLED);
  EXPECT_STATUS(TXAIO_ERR_CANCELLED, txaio_future_result(f, &value));
  OK(txaio_future_failure(f, &got));
  OK(txaio_failure_is_cancelled(got, &flag));
  CHECK(flag == 1);
  OK(txaio_failure_what(got, &s));
  CHECK_STR(s, "stop it");
  OK(txaio_failure_destroy(got));
  /* Resolving after a cancel is a documented no-op; the value is released. */
  freed_before = g_values_freed;
  OK(txaio_future_resolve(f, new_int(3), value_free));
  CHECK(g_values_freed == freed_before + 1);
  OK(txaio_future_destroy(f));

  /* cancel with no message: "cancelled" */
  probe_reset(&a);
  OK(txaio_future_new(loop, NULL, NULL, NULL, &f));
  OK(txaio_future_add_callbacks(f, NULL, probe_errback, &a, probe_destroy));
  OK(txaio_future_cancel(f, NULL, NULL));
  OK(txaio_loop_run_until_idle(loop, NULL));
  CHECK_CONTAINS(a.last_message, "cancelled");
  OK(txaio_future_destroy(f));

  /* a canceller that resolves the future instead */
  probe_reset(&a);
  probe_reset(&canceller);
  OK(txaio_future_new(loop, resolving_canceller, &canceller, probe_destroy,
                      &f));
  OK(txaio_future_add_callbacks(f, probe_callback, probe_errback, &a,
                                probe_destroy));
  OK(txaio_future_cancel(f, NULL, &flag));
  CHECK(flag == 1 && canceller.calls == 1);
  OK(txaio_loop_run_until_idle(loop, NULL));
  CHECK(a.calls == 1 && a.last_value != NULL && *(int*)a.last_value == 5);
  OK(txaio_future_state_get(f, &state));
  CHECK(state == TXAIO_FUTURE_SUCCEEDED);
  OK(txaio_future_destroy(f));

  /* A canceller's state is released with its future, even if never run. */
  probe_reset(&canceller);
  OK(txaio_future_new(loop, resolving_canceller, &canceller, probe_destroy,
                      &f));
  OK(txaio_future_destroy(f));
  CHECK(canceller.calls == 0 && canceller.destroyed == 1);
  /* ... and at once when there is no canceller to run it. */
  probe_reset(&canceller);
  OK(txaio_future_new(loop, NULL, &canceller, probe_destroy, &f));
  CHECK(canceller.destroyed == 1);
  OK(txaio_future_destroy(f));
}

static void test_callback_failures(txaio_loop* loop) {
  txaio_future* f = NULL;
  Probe a;
  probe_reset(&a);
  probe_reset(&g_unhandled);
  OK(txaio_set_unhandled_failure_handler(unhandled_record, &g_unhandled,
                                         probe_destroy));

  /* A failing callback's failure goes to the errback of the same pair. */
  OK(txaio_future_new(loop, NULL, NULL, NULL, &f));
  OK(txaio_future_add_callbacks(f, failing_callback, probe_errback, &a,
                                probe_destroy));
  OK(txaio_future_resolve(f, NULL, NULL));
  OK(txaio_loop_run_until_idle(loop, NULL));
  CHECK(a.calls == 1 && a.last_code == 7);
  CHECK_STR(a.last_message, "txaio_error: callback says no");
  CHECK(g_unhandled.calls == 0);

  /* Without an errback, to the unhandled-failure handler. */
  OK(txaio_future_add_callbacks(f, failing_callback, NULL, NULL, NULL));
  OK(txaio_loop_run_until_idle(loop, NULL));
  CHECK(g_unhandled.calls == 1 && g_unhandled.last_code == 7);

  /* A callback returning garbage is reported, not trusted. */
  probe_reset(&a);
  OK(txaio_future_add_callbacks(f, bogus_callback, probe_errback, &a,
                                probe_destroy));
  OK(txaio_loop_run_until_idle(loop, NULL));
  CHECK(a.calls == 1);
  CHECK_CONTAINS(a.last_message, "invalid txaio_failure handle");
  OK(txaio_future_destroy(f));

  /* A failed future dropped without any errback seeing it. */
  {
    txaio_failure* failure = NULL;
    OK(txaio_failure_new(9, "nobody listened", &failure));
    OK(txaio_future_new_error(loop, failure, &f));
    OK(txaio_failure_destroy(failure));
    OK(txaio_future_destroy(f));
    CHECK(g_unhandled.calls == 2 && g_unhandled.last_code == 9);
  }

  /* Restoring the default releases the handler's state. */
  CHECK(g_unhandled.destroyed == 0);
  OK(txaio_set_unhandled_failure_handler(NULL, NULL, NULL));
  CHECK(g_unhandled.destroyed == 1);
}

static txaio_failure* make_value(void* state, void** value,
                                 txaio_destroy_fn* destroy) {
  (void)state;
  *value = new_int(99);
  *destroy = value_free;
  return NULL;
}

static txaio_failure* make_failure(void* state, void** value,
                                   txaio_destroy_fn* destroy) {
  txaio_failure* f = NULL;
  (void)state;
  (void)value;
  (void)destroy;
  txaio_failure_new(3, "as_future failed", &f);
  return f;
}

static void test_create_and_as_future(txaio_loop* loop) {
  txaio_future* f = NULL;
  txaio_failure* failure = NULL;
  txaio_failure* got = NULL;
  Probe p;
  void* value = NULL;
  int code = 0;
  int freed_before = g_values_freed;
  probe_reset(&p);

  OK(txaio_future_new_success(loop, new_int(8), value_free, &f));
  OK(txaio_future_result(f, &value));
  CHECK(*(int*)value == 8);
  OK(txaio_future_destroy(f));
  CHECK(g_values_freed == freed_before + 1);
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_future_new_success(NULL, new_int(8), value_free, &f));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_future_new_success(loop, new_int(8), value_free, NULL));
  CHECK(g_values_freed == freed_before + 3);

  OK(txaio_failure_new(5, "made failed", &failure));
  OK(txaio_future_new_error(loop, failure, &f));
  OK(txaio_future_failure(f, &got));
  OK(txaio_failure_code(got, &code));
  CHECK(code == 5);
  OK(txaio_failure_destroy(got));
  OK(txaio_future_destroy(f));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_future_new_error(loop, NULL, &f));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_future_new_error(NULL, failure, &f));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_future_new_error(loop, failure, NULL));
  OK(txaio_failure_destroy(failure));

  OK(txaio_as_future(loop, make_value, &p, probe_destroy, &f));
  CHECK(p.destroyed == 1);
  OK(txaio_future_result(f, &value));
  CHECK(*(int*)value == 99);
  OK(txaio_future_destroy(f));
  OK(txaio_as_future(loop, make_failure, NULL, NULL, &f));
  EXPECT_STATUS(TXAIO_ERR_FAILED, txaio_future_result(f, &value));
  OK(txaio_future_failure(f, &got));
  OK(txaio_failure_code(got, &code));
  CHECK(code == 3);
  OK(txaio_failure_destroy(got));
  OK(txaio_future_destroy(f));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_as_future(loop, NULL, &p, probe_destroy, &f));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_as_future(NULL, make_value, &p, probe_destroy, &f));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_as_future(loop, make_value, &p, probe_destroy, NULL));
  CHECK(p.destroyed == 4);
}

static void test_sleep(void) {
  txaio_loop* loop = NULL;
  txaio_loop* other = NULL;
  txaio_future* f = NULL;
  txaio_future* g = NULL;
  txaio_future_state state = TXAIO_FUTURE_FAILED;
  size_t pending = 99;
  OK(txaio_loop_new_manual(&loop));
  OK(txaio_loop_new_manual(&other));

  OK(txaio_sleep(loop, 5.0, &f));
  OK(txaio_loop_advance(loop, 4.9));
  OK(txaio_future_state_get(f, &state));
  CHECK(state == TXAIO_FUTURE_PENDING);
  OK(txaio_loop_advance(loop, 0.1));
  OK(txaio_future_state_get(f, &state));
  CHECK(state == TXAIO_FUTURE_SUCCEEDED);
  OK(txaio_loop_run_until_complete(loop, f));
  /* A manual loop runs until complete by moving its clock to each deadline,
   * and reports a future nothing scheduled could complete. */
  OK(txaio_sleep(loop, 2.0, &g));
  OK(txaio_loop_run_until_complete(loop, g));
  OK(txaio_future_state_get(g, &state));
  CHECK(state == TXAIO_FUTURE_SUCCEEDED);
  {
    double now = 0;
    OK(txaio_loop_now(loop, &now));
    CHECK(now == 7.0);
  }
  OK(txaio_future_destroy(g));
  g = NULL;
  OK(txaio_future_new(loop, NULL, NULL, NULL, &g));
  EXPECT_STATUS(TXAIO_ERR_PENDING, txaio_loop_run_until_complete(loop, g));
  CHECK_CONTAINS(txaio_last_error(), "nothing is scheduled");
  OK(txaio_future_destroy(g));
  g = NULL;
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_loop_run_until_complete(other, f));
  CHECK_CONTAINS(txaio_last_error(), "another loop");
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_loop_run_until_complete(loop, NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_loop_run_until_complete(NULL, f));
  OK(txaio_future_destroy(f));

  /* Cancelling a sleep cancels its timer. */
  OK(txaio_sleep(loop, 5.0, &g));
  OK(txaio_loop_pending_timers(loop, &pending));
  CHECK(pending == 1);
  OK(txaio_future_cancel(g, NULL, NULL));
  OK(txaio_loop_pending_timers(loop, &pending));
  CHECK(pending == 0);
  {
    txaio_failure* failure = NULL;
    int cancelled = 0;
    OK(txaio_future_failure(g, &failure));
    OK(txaio_failure_is_cancelled(failure, &cancelled));
    CHECK(cancelled == 1);
    OK(txaio_failure_destroy(failure));
  }
  OK(txaio_future_destroy(g));

  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT, txaio_sleep(loop, -1.0, &f));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT, txaio_sleep(loop, NAN, &f));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE, txaio_sleep(NULL, 1.0, &f));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT, txaio_sleep(loop, 1.0, NULL));

  /* The loop outlives its handle while a future on it exists. */
  OK(txaio_sleep(loop, 1.0, &f));
  OK(txaio_loop_destroy(loop));
  OK(txaio_future_cancel(f, NULL, NULL));
  OK(txaio_future_destroy(f));
  OK(txaio_loop_destroy(other));
}

static void test_gather(txaio_loop* loop) {
  txaio_future* in[3] = {NULL, NULL, NULL};
  txaio_future* bad[2] = {NULL, NULL};
  txaio_future* all = NULL;
  txaio_future* first_failure = NULL;
  txaio_future* none = NULL;
  txaio_failure* failure = NULL;
  txaio_failure* got = NULL;
  const txaio_failure* item_failure = NULL;
  txaio_gather_results* results = NULL;
  txaio_loop* other = NULL;
  void* value = NULL;
  size_t size = 99;
  int code = 0, i, a = 1, c = 3;

  for (i = 0; i < 3; ++i) OK(txaio_future_new(loop, NULL, NULL, NULL, &in[i]));
  OK(txaio_gather(loop, in, 3, 1, &all));
  OK(txaio_gather(loop, in, 3, 0, &first_failure));
  OK(txaio_failure_new(2, "second failed", &failure));
  OK(txaio_future_resolve(in[2], &c, NULL)); /* completion order differs */
  OK(txaio_future_reject(in[1], failure));
  OK(txaio_future_resolve(in[0], &a, NULL));
  OK(txaio_failure_destroy(failure));
  OK(txaio_loop_run_until_idle(loop, NULL));

  OK(txaio_future_result(all, &value));
  results = (txaio_gather_results*)value;
  OK(txaio_gather_results_size(results, &size));
  CHECK(size == 3);
  OK(txaio_gather_results_get(results, 0, &value, &item_failure));
  CHECK(value == &a && item_failure == NULL);
  OK(txaio_gather_results_get(results, 1, &value, &item_failure));
  CHECK(value == NULL && item_failure != NULL);
  OK(txaio_failure_code(item_failure, &code));
  CHECK(code == 2);
  OK(txaio_gather_results_get(results, 2, &value, NULL));
  CHECK(value == &c);
  OK(txaio_gather_results_get(results, 2, NULL, NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_gather_results_get(results, 3, &value, &item_failure));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_gather_results_get(NULL, 0, &value, &item_failure));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_gather_results_size(NULL, &size));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_gather_results_size(results, NULL));
  /* A value that is not a results object (here: an int) is rejected. */
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_gather_results_size((txaio_gather_results*)&a, &size));

  /* consume_exceptions = 0: the first failure fails the gathered future. */
  EXPECT_STATUS(TXAIO_ERR_FAILED, txaio_future_result(first_failure, &value));
  OK(txaio_future_failure(first_failure, &got));
  OK(txaio_failure_code(got, &code));
  CHECK(code == 2);
  OK(txaio_failure_destroy(got));

  /* Nothing to gather: an empty result. */
  OK(txaio_gather(loop, NULL, 0, 1, &none));
  OK(txaio_loop_run_until_idle(loop, NULL));
  OK(txaio_future_result(none, &value));
  OK(txaio_gather_results_size((txaio_gather_results*)value, &size));
  CHECK(size == 0);

  /* Bad input. */
  OK(txaio_loop_new_manual(&other));
  OK(txaio_future_new(other, NULL, NULL, NULL, &bad[0]));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_gather(loop, NULL, 2, 1, &all));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_gather(loop, bad, 1, 1, &all));
  CHECK_CONTAINS(txaio_last_error(), "futures[0] belongs to another loop");
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT, txaio_gather(loop, in, 1, 1, NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_gather(loop, bad + 1, 1, 1, &all));
  CHECK_CONTAINS(txaio_last_error(), "futures[0] is NULL");
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE, txaio_gather(NULL, in, 3, 1, &all));

  OK(txaio_future_destroy(bad[0]));
  OK(txaio_loop_destroy(other));
  for (i = 0; i < 3; ++i) OK(txaio_future_destroy(in[i]));
  OK(txaio_future_destroy(all));
  OK(txaio_future_destroy(first_failure));
  OK(txaio_future_destroy(none));
}

/* ------------------------------------------------------------ batched */

static txaio_failure* batched_probe(void* state) {
  ((Probe*)state)->calls++;
  return NULL;
}

static txaio_failure* batched_fail(void* state) {
  txaio_failure* f = NULL;
  int code = *(int*)state;
  txaio_failure_new(code, "batched call failed", &f);
  return f;
}

static void record_batch_errors(void* state,
                                const txaio_failure* const* failures,
                                size_t count) {
  Probe* p = (Probe*)state;
  size_t i;
  p->calls++;
  p->last_code = 0;
  for (i = 0; i < count; ++i) {
    int code = 0;
    OK(txaio_failure_code(failures[i], &code));
    p->last_code = p->last_code * 10 + code; /* order shows in the digits */
  }
}

static void test_batched_timer(void) {
  txaio_loop* loop = NULL;
  txaio_batched_timer* timer = NULL;
  txaio_batched_timer* unused = NULL;
  txaio_batched_call* c1 = NULL;
  txaio_batched_call* c2 = NULL;
  Probe p1, p2, p3, p4, errors;
  size_t n = 0;
  int flag = -1, one = 1, two = 2;
  double when = -1;
  probe_reset(&p1);
  probe_reset(&p2);
  probe_reset(&p3);
  probe_reset(&p4);
  probe_reset(&errors);
  OK(txaio_loop_new_manual(&loop));

  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_batched_timer_new(loop, 0.0, 10, &unused));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_batched_timer_new(loop, -1.0, 10, &unused));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_batched_timer_new(loop, NAN, 10, &unused));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_batched_timer_new(loop, 0.1, 0, &unused));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_batched_timer_new(loop, 0.1, -5, &unused));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_batched_timer_new(NULL, 0.1, 10, &unused));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_batched_timer_new(loop, 0.1, 10, NULL));
  OK(txaio_batched_timer_new(loop, 0.1, 2, &timer));

  OK(txaio_batched_timer_call_later(timer, 0.25, batched_probe, &p1,
                                    probe_destroy, &c1));
  OK(txaio_batched_timer_call_later(timer, 0.25, batched_probe, &p2,
                                    probe_destroy, &c2));
  OK(txaio_batched_timer_call_later(timer, 0.25, batched_probe, &p3,
                                    probe_destroy, NULL));
  OK(txaio_batched_timer_call_later(timer, 1.0, batched_probe, &p4,
                                    probe_destroy, NULL));
  OK(txaio_batched_timer_pending(timer, &n));
  CHECK(n == 4);
  OK(txaio_batched_timer_loop_timers(timer, &n));
  CHECK(n == 2); /* one per bucket */
  OK(txaio_batched_call_when(c1, &when));
  CHECK(fabs(when - 0.25) < 1e-9);
  OK(txaio_batched_call_active(c2, &flag));
  CHECK(flag == 1);
  OK(txaio_batched_call_cancel(c2, &flag));
  CHECK(flag == 1 && p2.destroyed == 1);
  OK(txaio_batched_call_cancel(c2, &flag)); /* twice: no-op */
  CHECK(flag == 0);
  OK(txaio_batched_timer_pending(timer, &n));
  CHECK(n == 3);

  OK(txaio_loop_advance(loop, 0.24)); /* never before the deadline */
  CHECK(p1.calls == 0 && p3.calls == 0);
  OK(txaio_loop_advance(loop, 0.11)); /* within one bucket after it */
  CHECK(p1.calls == 1 && p3.calls == 1 && p2.calls == 0);
  CHECK(p1.destroyed == 1 && p3.destroyed == 1);
  CHECK(p4.calls == 0);
  OK(txaio_batched_call_active(c1, &flag));
  CHECK(flag == 0);
  OK(txaio_batched_call_cancel(c1, NULL)); /* after it ran: no-op */

  /* Failures of one bucket are reported together, in order, and never
   * stop the other calls. */
  OK(txaio_batched_timer_set_error_handler(timer, record_batch_errors, &errors,
                                           probe_destroy));
  probe_reset(&p1);
  OK(txaio_batched_timer_call_later(timer, 0.5, batched_fail, &one, NULL,
                                    NULL));
  OK(txaio_batched_timer_call_later(timer, 0.5, batched_probe, &p1, NULL,
                                    NULL));
  OK(txaio_batched_timer_call_later(timer, 0.5, batched_fail, &two, NULL,
                                    NULL));
  OK(txaio_loop_advance(loop, 0.7));
  CHECK(p1.calls == 1);
  CHECK(errors.calls == 1 && errors.last_code == 12);
  CHECK(p4.calls == 1); /* the 1.0 s call came due too */

  /* The default handler reports one failure to the unhandled handler. */
  OK(txaio_batched_timer_set_error_handler(timer, NULL, NULL, NULL));
  CHECK(errors.destroyed == 1);
  probe_reset(&g_unhandled);
  OK(txaio_set_unhandled_failure_handler(unhandled_record, &g_unhandled, NULL));
  OK(txaio_batched_timer_call_later(timer, 0.1, batched_fail, &one, NULL,
                                    NULL));
  OK(txaio_loop_advance(loop, 0.3));
  CHECK(g_unhandled.calls == 1);
  CHECK_CONTAINS(g_unhandled.last_message, "batched call failed");
  OK(txaio_set_unhandled_failure_handler(NULL, NULL, NULL));

  /* Bad input. */
  probe_reset(&p1);
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_batched_timer_call_later(timer, -1.0, batched_probe, &p1,
                                               probe_destroy, NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_batched_timer_call_later(timer, NAN, batched_probe, &p1,
                                               probe_destroy, NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_batched_timer_call_later(timer, 1.0, NULL, &p1,
                                               probe_destroy, NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_batched_timer_call_later(NULL, 1.0, batched_probe, &p1,
                                               probe_destroy, NULL));
  CHECK(p1.destroyed == 4 && p1.calls == 0);
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_batched_timer_set_error_handler(NULL, NULL, NULL, NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_batched_timer_pending(NULL, &n));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_batched_timer_pending(timer, NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_batched_timer_loop_timers(NULL, &n));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_batched_timer_loop_timers(timer, NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_batched_call_cancel(NULL, NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_batched_call_active(NULL, &flag));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_batched_call_active(c1, NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE, txaio_batched_call_when(NULL, &when));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT, txaio_batched_call_when(c1, NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_batched_call_destroy((txaio_batched_call*)timer));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_batched_timer_destroy((txaio_batched_timer*)c1));

  /* Calls outlive the timer's handle, and the loop's. */
  probe_reset(&p1);
  OK(txaio_batched_timer_call_later(timer, 0.2, batched_probe, &p1,
                                    probe_destroy, NULL));
  OK(txaio_batched_timer_destroy(timer));
  OK(txaio_batched_timer_destroy(NULL));
  OK(txaio_loop_advance(loop, 0.5));
  CHECK(p1.calls == 1 && p1.destroyed == 1);

  OK(txaio_batched_call_destroy(c1));
  OK(txaio_batched_call_destroy(c2));
  OK(txaio_batched_call_destroy(NULL));
  OK(txaio_loop_destroy(loop));
}

/* ------------------------------------------------------------ logging */

typedef struct {
  int events;
  int destroyed;
  txaio_log_level level;
  char log_namespace[64];
  char text[512];
  int had_failure;
} LogSink;

static void sink_observe(void* state, txaio_log_level level,
                         const char* log_namespace, const char* text,
                         const txaio_failure* failure) {
  LogSink* sink = (LogSink*)state;
  sink->events++;
  sink->level = level;
  strncpy(sink->log_namespace, log_namespace, sizeof sink->log_namespace - 1);
  strncpy(sink->text, text, sizeof sink->text - 1);
  sink->had_failure = failure != NULL;
  if (failure != NULL) {
    const char* message = NULL;
    OK(txaio_failure_message(failure, &message));
    strncat(sink->text, " / ", sizeof sink->text - strlen(sink->text) - 1);
    strncat(sink->text, message, sizeof sink->text - strlen(sink->text) - 1);
  }
}

static void sink_destroy(void* state) { ((LogSink*)state)->destroyed++; }

static void test_logging(void) {
  txaio_logger* log = NULL;
  txaio_logger* sticky = NULL;
  txaio_failure* failure = NULL;
  LogSink sink;
  uint64_t id = 0;
  int flag = -1;
  const char* s = NULL;
  txaio_log_level level = TXAIO_LOG_NONE;
  txaio_log_field fields[3];
  const char* category_names[1] = {"conn.lost"};
  const char* category_formats[1] = {"Lost {peer} (category)"};
  const char* fields_null[1] = {NULL};
  memset(&sink, 0, sizeof sink);

  OK(txaio_log_level_name(TXAIO_LOG_WARN, &s));
  CHECK_STR(s, "warn");
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_log_level_name((txaio_log_level)7, &s));
  OK(txaio_log_level_parse("debug", &level));
  CHECK(level == TXAIO_LOG_DEBUG);
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_log_level_parse("verbose", &level));
  CHECK_CONTAINS(txaio_last_error(), "none, critical, error, warn, info");
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_log_level_parse(NULL, &level));

  OK(txaio_set_global_log_level(TXAIO_LOG_INFO));
  OK(txaio_add_log_observer(sink_observe, &sink, sink_destroy, &id));
  OK(txaio_logger_new("myapp.Conn", &log));
  OK(txaio_logger_namespace(log, &s));
  CHECK_STR(s, "myapp.Conn");
  OK(txaio_logger_level(log, &level));
  CHECK(level == TXAIO_LOG_INFO);

  fields[0].name = "result";
  fields[0].type = TXAIO_FIELD_STRING;
  fields[0].value.s = "pong";
  fields[1].name = "peer";
  fields[1].type = TXAIO_FIELD_INT;
  fields[1].value.i = -7;
  fields[2].name = "ratio";
  fields[2].type = TXAIO_FIELD_DOUBLE;
  fields[2].value.d = 0.5;
  OK(txaio_logger_log(log, TXAIO_LOG_INFO,
                      "Got '{result}' from {peer} ({ratio:.2f}) {{x}}", fields,
                      3));
  CHECK(sink.events == 1 && sink.level == TXAIO_LOG_INFO);
  CHECK_STR(sink.log_namespace, "myapp.Conn");
  CHECK_STR(sink.text, "Got 'pong' from -7 (0.50) {x}");

  /* A disabled level is not delivered; the global level re-levels loggers
   * that follow it, at once. */
  OK(txaio_logger_log(log, TXAIO_LOG_DEBUG, "hidden", NULL, 0));
  CHECK(sink.events == 1);
  OK(txaio_logger_enabled(log, TXAIO_LOG_DEBUG, &flag));
  CHECK(flag == 0);
  OK(txaio_set_global_log_level(TXAIO_LOG_DEBUG));
  OK(txaio_get_global_log_level(&level));
  CHECK(level == TXAIO_LOG_DEBUG);
  OK(txaio_logger_enabled(log, TXAIO_LOG_DEBUG, &flag));
  CHECK(flag == 1);
  OK(txaio_logger_log(log, TXAIO_LOG_DEBUG, "shown", NULL, 0));
  CHECK(sink.events == 2 && sink.level == TXAIO_LOG_DEBUG);

  /* An explicit level sticks through global changes until released. */
  OK(txaio_logger_new("sticky", &sticky));
  OK(txaio_logger_set_level(sticky, TXAIO_LOG_ERROR, 1));
  OK(txaio_set_global_log_level(TXAIO_LOG_TRACE));
  OK(txaio_logger_level(sticky, &level));
  CHECK(level == TXAIO_LOG_ERROR);
  OK(txaio_logger_follow_global_level(sticky));
  OK(txaio_logger_level(sticky, &level));
  CHECK(level == TXAIO_LOG_TRACE);
  OK(txaio_logger_set_level(sticky, TXAIO_LOG_WARN, 0));
  OK(txaio_set_global_log_level(TXAIO_LOG_INFO));
  OK(txaio_logger_level(sticky, &level));
  CHECK(level == TXAIO_LOG_INFO);

  /* A bad format or a missing field is logged as such, never an error. */
  OK(txaio_logger_log(log, TXAIO_LOG_WARN, "broken {oops", NULL, 0));
  CHECK_CONTAINS(sink.text, "Unable to format event");
  OK(txaio_logger_log(log, TXAIO_LOG_WARN, "missing {nothere}", NULL, 0));
  CHECK_CONTAINS(sink.text, "Unable to format event");

  /* Failures carry their traceback to the observers. */
  OK(txaio_failure_new(1, "connection reset", &failure));
  OK(txaio_logger_failure(log, "Lost {peer}", failure, fields + 1, 1));
  CHECK(sink.had_failure && sink.level == TXAIO_LOG_ERROR);
  CHECK_CONTAINS(sink.text, "Lost -7 / txaio_error: connection reset");

  /* Categories replace the format of events naming them. */
  OK(txaio_add_log_categories(category_names, category_formats, 1));
  fields[0].name = "log_category";
  fields[0].value.s = "conn.lost";
  OK(txaio_logger_log(log, TXAIO_LOG_INFO, "ignored", fields, 2));
  CHECK_STR(sink.text, "Lost -7 (category)");

  /* Bad input. */
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_logger_log(log, TXAIO_LOG_NONE, "x", NULL, 0));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_logger_log(log, (txaio_log_level)42, "x", NULL, 0));
  CHECK_CONTAINS(txaio_last_error(), "invalid log level 42");
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_logger_log(log, TXAIO_LOG_INFO, NULL, NULL, 0));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_logger_log(log, TXAIO_LOG_INFO, "x", NULL, 2));
  fields[0].name = NULL;
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_logger_log(log, TXAIO_LOG_INFO, "x", fields, 1));
  fields[0].name = "s";
  fields[0].value.s = NULL;
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_logger_log(log, TXAIO_LOG_INFO, "x", fields, 1));
  fields[0].type = (txaio_log_field_type)99;
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_logger_log(log, TXAIO_LOG_INFO, "x", fields, 1));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_logger_log(NULL, TXAIO_LOG_INFO, "x", NULL, 0));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_logger_failure(log, "x", NULL, NULL, 0));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_logger_failure(NULL, "x", failure, NULL, 0));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_logger_failure(log, NULL, failure, NULL, 0));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_logger_set_level(log, (txaio_log_level)-1, 1));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_logger_set_level(NULL, TXAIO_LOG_INFO, 1));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_logger_follow_global_level(NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_logger_enabled(log, (txaio_log_level)9, &flag));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_logger_enabled(log, TXAIO_LOG_INFO, NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE, txaio_logger_level(NULL, &level));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT, txaio_logger_level(log, NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE, txaio_logger_namespace(NULL, &s));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_logger_namespace((const txaio_logger*)failure, &s));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT, txaio_logger_new(NULL, &sticky));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT, txaio_logger_new("x", NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_set_global_log_level((txaio_log_level)7));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT, txaio_get_global_log_level(NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_start_logging((txaio_log_level)7, 1));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_add_log_observer(NULL, &sink, sink_destroy, NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_add_log_categories(NULL, NULL, 1));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_add_log_categories(category_names, fields_null, 1));
  OK(txaio_add_log_categories(NULL, NULL, 0));
  CHECK(sink.destroyed == 1); /* the failed add released its state */

  /* The text writer, to stderr. */
  OK(txaio_start_logging(TXAIO_LOG_INFO, 1));
  OK(txaio_logger_log(log, TXAIO_LOG_INFO, "to stderr {peer}", fields + 1, 1));
  OK(txaio_stop_logging());

  OK(txaio_remove_log_observer(id, &flag));
  CHECK(flag == 1 && sink.destroyed == 2);
  OK(txaio_remove_log_observer(id, &flag));
  CHECK(flag == 0);
  OK(txaio_logger_log(log, TXAIO_LOG_INFO, "after removal", NULL, 0));
  CHECK(sink.events == 7); /* the 7 enabled events above */

  OK(txaio_failure_destroy(failure));
  OK(txaio_logger_destroy(log));
  OK(txaio_logger_destroy(sticky));
  OK(txaio_logger_destroy(NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_logger_destroy((txaio_logger*)&g_checks));
}

/* ------------------------------------------------------------ asio */

typedef struct {
  txaio_loop* loop;
  pthread_mutex_t mutex;
  pthread_cond_t cond;
  int loop_running;
  int posted;
  /* The worker's results, checked by the main thread after the join (the
   * check counters are not thread-safe). */
  txaio_status post_status;
  txaio_status stop_status;
} ThreadTest;

static void stop_loop(void* state) { OK(txaio_loop_stop((txaio_loop*)state)); }

static void mark_posted(void* state) {
  ThreadTest* t = (ThreadTest*)state;
  t->posted++;
}

/* Another thread: hands work to the loop, then, once the loop thread says
 * it is running, stops it from outside. */
static void* worker(void* arg) {
  ThreadTest* t = (ThreadTest*)arg;
  t->post_status =
      txaio_loop_call_soon_threadsafe(t->loop, mark_posted, t, NULL);
  pthread_mutex_lock(&t->mutex);
  while (!t->loop_running) pthread_cond_wait(&t->cond, &t->mutex);
  pthread_mutex_unlock(&t->mutex);
  t->stop_status = txaio_loop_stop(t->loop);
  return NULL;
}

static void signal_running(void* state) {
  ThreadTest* t = (ThreadTest*)state;
  pthread_mutex_lock(&t->mutex);
  t->loop_running = 1;
  pthread_cond_signal(&t->cond);
  pthread_mutex_unlock(&t->mutex);
}

static void test_asio(void) {
  txaio_loop* loop = NULL;
  txaio_future* nap = NULL;
  txaio_future* never = NULL;
  txaio_delayed_call* call = NULL;
  ThreadTest t;
  pthread_t thread;
  Probe p;
  int active = -1;
  probe_reset(&p);
  OK(txaio_loop_new_asio(&loop));

  /* Timers on the real clock. */
  OK(txaio_sleep(loop, 0.002, &nap));
  OK(txaio_call_later(loop, 0.001, probe_call, &p, probe_destroy, &call));
  OK(txaio_loop_run_until_complete(loop, nap));
  CHECK(p.calls == 1 && p.destroyed == 1);
  OK(txaio_delayed_call_active(call, &active));
  CHECK(active == 0);
  OK(txaio_delayed_call_destroy(call));
  OK(txaio_future_destroy(nap));

  /* run_until_complete returns PENDING when the loop is stopped first. */
  OK(txaio_future_new(loop, NULL, NULL, NULL, &never));
  OK(txaio_loop_call_soon(loop, stop_loop, loop, NULL));
  EXPECT_STATUS(TXAIO_ERR_PENDING, txaio_loop_run_until_complete(loop, never));
  CHECK_CONTAINS(txaio_last_error(), "stopped");
  OK(txaio_future_destroy(never));

  /* run() until stopped from inside the loop... */
  OK(txaio_loop_call_soon(loop, stop_loop, loop, NULL));
  OK(txaio_loop_run(loop));

  /* ...and from another thread, with work handed over thread-safely. */
  t.loop = loop;
  t.loop_running = 0;
  t.posted = 0;
  t.post_status = TXAIO_ERR_INTERNAL;
  t.stop_status = TXAIO_ERR_INTERNAL;
  pthread_mutex_init(&t.mutex, NULL);
  pthread_cond_init(&t.cond, NULL);
  OK(txaio_loop_call_soon(loop, signal_running, &t, NULL));
  CHECK(pthread_create(&thread, NULL, worker, &t) == 0);
  OK(txaio_loop_run(loop));
  CHECK(pthread_join(thread, NULL) == 0);
  CHECK(t.post_status == TXAIO_OK);
  CHECK(t.stop_status == TXAIO_OK);
  /* The posted call ran before the stop, or runs on the next turn. */
  OK(txaio_loop_run_until_idle(loop, NULL));
  CHECK(t.posted == 1);
  pthread_mutex_destroy(&t.mutex);
  pthread_cond_destroy(&t.cond);

  OK(txaio_loop_destroy(loop));
}

/* ------------------------------------------------------------ reliability
 * Regression tests of docs/reliability.md's C items (issue 10). */

/* Item 2: every run function called from inside one of the loop's own
 * callbacks is a USAGE error (it used to double-free). */
typedef struct {
  txaio_loop* loop;
  txaio_future* future;
  txaio_status statuses[5];
  int ran;
} NestedRun;

static void nested_runs(void* state) {
  NestedRun* n = (NestedRun*)state;
  size_t ran = 0;
  n->statuses[0] = txaio_loop_run(n->loop);
  n->statuses[1] = txaio_loop_run_for(n->loop, 0.001);
  n->statuses[2] = txaio_loop_run_until_complete(n->loop, n->future);
  n->statuses[3] = txaio_loop_run_until_idle(n->loop, &ran);
  n->statuses[4] = txaio_loop_advance(n->loop, 0.001);
  n->ran++;
}

static void check_nested_runs(txaio_loop* loop) {
  NestedRun n;
  int i;
  memset(&n, 0, sizeof n);
  n.loop = loop;
  /* An already resolved future: a nested run_until_complete must still be
   * refused, not report success. */
  OK(txaio_future_new_success(loop, NULL, NULL, &n.future));
  OK(txaio_loop_call_soon(loop, nested_runs, &n, NULL));
  OK(txaio_loop_run_until_idle(loop, NULL));
  CHECK(n.ran == 1);
  for (i = 0; i < 5; ++i) {
    if (n.statuses[i] != TXAIO_ERR_USAGE) {
      ++g_failures;
      fprintf(stderr, "nested run %d returned %s, expected TXAIO_ERR_USAGE\n",
              i, txaio_status_name(n.statuses[i]));
    }
    ++g_checks;
  }
  OK(txaio_future_destroy(n.future));
}

/* Item 3: destroying a borrowed handle is refused. */
static txaio_status g_borrowed_destroy = TXAIO_OK;
static void destroy_borrowed_future(void* state, txaio_future* future) {
  (void)state;
  g_borrowed_destroy = txaio_future_destroy(future);
}
static void destroy_borrowed_failure(void* state, const txaio_failure* f) {
  (void)state;
  g_borrowed_destroy = txaio_failure_destroy((txaio_failure*)f);
}
static void destroy_borrowed_failures(void* state,
                                      const txaio_failure* const* failures,
                                      size_t count) {
  (void)state;
  if (count > 0) {
    g_borrowed_destroy = txaio_failure_destroy((txaio_failure*)failures[0]);
  }
}
static void destroy_borrowed_observed(void* state, txaio_log_level level,
                                      const char* ns, const char* text,
                                      const txaio_failure* failure) {
  (void)state;
  (void)level;
  (void)ns;
  (void)text;
  if (failure != NULL) {
    g_borrowed_destroy = txaio_failure_destroy((txaio_failure*)failure);
  }
}
static txaio_failure* failing_batched(void* state) {
  txaio_failure* f = NULL;
  (void)state;
  txaio_failure_new(3, "batched", &f);
  return f;
}

/* Found by the fuzzer: a canceller destroying the handle that
 * txaio_future_cancel was called with. */
static void destroy_cancelled_handle(void* state, txaio_future* future) {
  (void)future;
  OK(txaio_future_destroy(*(txaio_future**)state));
  *(txaio_future**)state = NULL;
}

/* Item 9: a loop destroyed from inside its own task is refused. */
static txaio_status g_destroy_in_task = TXAIO_OK;
static void destroy_own_loop(void* state) {
  g_destroy_in_task = txaio_loop_destroy((txaio_loop*)state);
}

static void test_reliability(void) {
  txaio_loop* loop = NULL;
  txaio_loop* asio = NULL;
  txaio_future* f = NULL;
  txaio_failure* failure = NULL;
  txaio_batched_timer* timer = NULL;
  txaio_logger* logger = NULL;
  void* value = NULL;
  size_t n = 0;
  uint64_t id = 0;
  Probe p;

  CHECK_STR(txaio_status_name(TXAIO_ERR_USAGE), "TXAIO_ERR_USAGE");
  OK(txaio_loop_new_manual(&loop));
  OK(txaio_loop_new_asio(&asio));

  /* Item 2. */
  check_nested_runs(loop);
  check_nested_runs(asio);

  /* Item 3: the canceller's future, an errback's failure, a batched
   * timer's error handler's failures, a log observer's failure. */
  OK(txaio_future_new(loop, destroy_borrowed_future, NULL, NULL, &f));
  g_borrowed_destroy = TXAIO_OK;
  OK(txaio_future_cancel(f, NULL, NULL));
  CHECK(g_borrowed_destroy == TXAIO_ERR_INVALID_HANDLE);
  OK(txaio_future_destroy(f));

  OK(txaio_failure_new(1, "boom", &failure));
  OK(txaio_future_new_error(loop, failure, &f));
  OK(txaio_future_add_callbacks(f, NULL, destroy_borrowed_failure, NULL, NULL));
  g_borrowed_destroy = TXAIO_OK;
  OK(txaio_loop_run_until_idle(loop, NULL));
  CHECK(g_borrowed_destroy == TXAIO_ERR_INVALID_HANDLE);
  CHECK_CONTAINS(txaio_last_error(), "borrowed");
  OK(txaio_future_destroy(f));

  OK(txaio_batched_timer_new(loop, 0.01, 10, &timer));
  OK(txaio_batched_timer_set_error_handler(timer, destroy_borrowed_failures,
                                           NULL, NULL));
  OK(txaio_batched_timer_call_later(timer, 0.0, failing_batched, NULL, NULL,
                                    NULL));
  g_borrowed_destroy = TXAIO_OK;
  OK(txaio_loop_advance(loop, 0.05));
  CHECK(g_borrowed_destroy == TXAIO_ERR_INVALID_HANDLE);
  OK(txaio_batched_timer_destroy(timer));

  OK(txaio_add_log_observer(destroy_borrowed_observed, NULL, NULL, &id));
  OK(txaio_logger_new("reliability", &logger));
  g_borrowed_destroy = TXAIO_OK;
  OK(txaio_logger_failure(logger, "failed", failure, NULL, 0));
  CHECK(g_borrowed_destroy == TXAIO_ERR_INVALID_HANDLE);
  OK(txaio_remove_log_observer(id, NULL));
  OK(txaio_logger_destroy(logger));
  OK(txaio_failure_destroy(failure));

  OK(txaio_future_new(loop, destroy_cancelled_handle, &f, NULL, &f));
  OK(txaio_future_cancel(f, NULL, NULL));
  CHECK(f == NULL);
  /* ...when that handle holds the last reference on its loop. */
  {
    txaio_loop* doomed = NULL;
    Probe q;
    probe_reset(&q);
    OK(txaio_loop_new_manual(&doomed));
    OK(txaio_future_new(doomed, destroy_cancelled_handle, &f, NULL, &f));
    OK(txaio_future_add_callbacks(f, NULL, probe_errback, &q, probe_destroy));
    OK(txaio_loop_destroy(doomed));
    OK(txaio_future_cancel(f, NULL, NULL));
    CHECK(f == NULL);
    CHECK(q.destroyed == 1);
  }

  /* Item 4: a run_for or delay past the limit is refused with a message
   * saying what was given and what is accepted... */
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT, txaio_loop_run_for(asio, 1e10));
  CHECK_CONTAINS(txaio_last_error(), "got 1e+10");
  CHECK_CONTAINS(txaio_last_error(), "from 0 to 1e+09");
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_call_later(asio, 1e15, probe_call, NULL, NULL, NULL));
  EXPECT_STATUS(TXAIO_ERR_INVALID_ARGUMENT,
                txaio_call_later(asio, 1e300, probe_call, NULL, NULL, NULL));
  CHECK_CONTAINS(txaio_last_error(), "got 1e+300");
  /* ...and the longest accepted run_for still runs a pending timer. */
  probe_reset(&p);
  OK(txaio_call_later(asio, 0.002, probe_call, &p, NULL, NULL));
  OK(txaio_call_later(asio, 0.003, stop_loop, asio, NULL, NULL));
  OK(txaio_loop_run_for(asio, 1e9));
  CHECK(p.calls == 1);

  /* Item 11: a future's own value passed as gather results. */
  value = malloc(1);
  OK(txaio_future_new_success(loop, value, free, &f));
  OK(txaio_future_result(f, &value));
  EXPECT_STATUS(
      TXAIO_ERR_INVALID_HANDLE,
      txaio_gather_results_size((const txaio_gather_results*)value, &n));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_gather_results_get((const txaio_gather_results*)value, 0,
                                         NULL, NULL));
  /* The same for every handle type. */
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_future_destroy((txaio_future*)value));
  EXPECT_STATUS(TXAIO_ERR_INVALID_HANDLE,
                txaio_loop_destroy((txaio_loop*)value));
  OK(txaio_future_destroy(f));

  /* Item 9: destroying the loop from inside its own task. */
  g_destroy_in_task = TXAIO_OK;
  OK(txaio_loop_call_soon(loop, destroy_own_loop, loop, NULL));
  OK(txaio_loop_run_until_idle(loop, NULL));
  CHECK(g_destroy_in_task == TXAIO_ERR_USAGE);
  g_destroy_in_task = TXAIO_OK;
  OK(txaio_loop_call_soon(asio, destroy_own_loop, asio, NULL));
  OK(txaio_loop_run_until_idle(asio, NULL));
  CHECK(g_destroy_in_task == TXAIO_ERR_USAGE);

  OK(txaio_loop_destroy(asio));
  OK(txaio_loop_destroy(loop));
}

int main(void) {
  txaio_loop* loop = NULL;
  test_misc();
  test_loops();
  test_call_soon();
  test_call_later();
  test_failures();
  OK(txaio_loop_new_manual(&loop));
  test_future_resolve(loop);
  test_future_reject_cancel(loop);
  test_callback_failures(loop);
  test_create_and_as_future(loop);
  test_gather(loop);
  OK(txaio_loop_destroy(loop));
  test_sleep();
  test_batched_timer();
  test_logging();
  test_asio();
  test_reliability();
  printf("%d passed, %d failed\n", g_checks - g_failures, g_failures);
  return g_failures == 0 ? 0 : 1;
}
