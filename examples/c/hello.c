/* A C program on txaio-cpp's C ABI: a future, a timer on the Asio loop, a
 * failure and gather, with every status checked.
 *
 * Build and run (after `bazel build //bindings/c:txaio_shared`):
 *   gcc -std=c99 -Wall -Ibindings/c examples/c/hello.c \
 *       -Lbazel-bin/bindings/c -l:libtxaio.so.0 \
 *       -Wl,-rpath,$PWD/bazel-bin/bindings/c -o /tmp/hello && /tmp/hello
 */
#include <stdio.h>
#include <stdlib.h>

#include "txaio.h"

/* Stops on the first error, printing txaio's message. */
static void check(txaio_status status, const char* what) {
  if (status != TXAIO_OK) {
    fprintf(stderr, "%s failed: %s (%s)\n", what, txaio_status_name(status),
            txaio_last_error());
    exit(1);
  }
}

static txaio_failure* print_value(void* state, void* value) {
  printf("%s: %s\n", (const char*)state, (const char*)value);
  return NULL;
}

static void print_failure(void* state, const txaio_failure* failure) {
  const char* message = NULL;
  check(txaio_failure_message(failure, &message), "failure_message");
  printf("%s failed: %s\n", (const char*)state, message);
}

/* A timer's call: resolves the future it was given. */
static void resolve_later(void* state) {
  check(txaio_future_resolve((txaio_future*)state, "hello after 50 ms", NULL),
        "resolve");
}

int main(void) {
  txaio_loop* loop;
  txaio_future* greeting;
  txaio_future* broken;
  txaio_future* both[2];
  txaio_future* all;
  txaio_failure* failure;
  void* value;
  const txaio_failure* second = NULL;
  txaio_gather_results* results;

  check(txaio_loop_new_asio(&loop), "loop_new_asio");

  /* A future resolved by a timer 50 ms from now. */
  check(txaio_future_new(loop, NULL, NULL, NULL, &greeting), "future_new");
  check(txaio_future_add_callbacks(greeting, print_value, print_failure,
                                   "greeting", NULL),
        "add_callbacks");
  check(txaio_call_later(loop, 0.05, resolve_later, greeting, NULL, NULL),
        "call_later");

  /* A future that fails. */
  check(txaio_failure_new(404, "no such peer", &failure), "failure_new");
  check(txaio_future_new_error(loop, failure, &broken), "future_new_error");
  check(txaio_failure_destroy(failure), "failure_destroy");

  /* Both, gathered: the value of one, the failure of the other. */
  both[0] = greeting;
  both[1] = broken;
  check(txaio_gather(loop, both, 2, 1, &all), "gather");
  check(txaio_loop_run_until_complete(loop, all), "run_until_complete");
  check(txaio_future_result(all, &value), "future_result");
  results = (txaio_gather_results*)value;
  check(txaio_gather_results_get(results, 0, &value, NULL), "results_get");
  printf("gathered[0]: %s\n", (const char*)value);
  check(txaio_gather_results_get(results, 1, NULL, &second), "results_get");
  check(txaio_failure_message(second, (const char**)&value), "message");
  printf("gathered[1]: %s\n", (const char*)value);

  /* Errors are data: resolving twice is reported, not a crash. */
  if (txaio_future_resolve(greeting, "again", NULL) != TXAIO_OK) {
    printf("resolving twice: %s\n", txaio_last_error());
  }

  txaio_future_destroy(all);
  txaio_future_destroy(broken);
  txaio_future_destroy(greeting);
  txaio_loop_destroy(loop);
  return 0;
}
