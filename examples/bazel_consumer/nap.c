/* A C program in another Bazel workspace using txaio-cpp's C ABI on the Asio
 * backend: sleep, then stop the loop from the sleep's callback. */
#include <stdio.h>

#include "txaio.h"

#define CHECK(call)                                           \
  do {                                                        \
    txaio_status status = (call);                             \
    if (status != TXAIO_OK) {                                 \
      fprintf(stderr, "%s: %s\n", #call, txaio_last_error()); \
      return 1;                                               \
    }                                                         \
  } while (0)

static txaio_failure* on_woke(void* state, void* value) {
  (void)value;
  txaio_loop_stop((txaio_loop*)state);
  return NULL;
}

int main(void) {
  txaio_loop* loop;
  txaio_future* nap;
  const char* framework;
  double started, woke;
  CHECK(txaio_loop_new_asio(&loop));
  CHECK(txaio_loop_framework(loop, &framework));
  CHECK(txaio_loop_now(loop, &started));
  CHECK(txaio_sleep(loop, 0.02, &nap));
  CHECK(txaio_future_add_callbacks(nap, on_woke, NULL, loop, NULL));
  CHECK(txaio_loop_run(loop));
  CHECK(txaio_loop_now(loop, &woke));
  printf("txaio %s (%s): woke after >= 0.02 s: %s\n", txaio_version(),
         framework, woke - started >= 0.02 ? "yes" : "no");
  CHECK(txaio_future_destroy(nap));
  CHECK(txaio_loop_destroy(loop));
  return woke - started >= 0.02 ? 0 : 1;
}
