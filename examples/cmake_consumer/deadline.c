/* A C program on the installed txaio-cpp C ABI (libtxaio.so): a delayed call
 * on the manual clock, which moves only when told to. */
#include <stdio.h>
#include <txaio.h>

#define CHECK(call)                                           \
  do {                                                        \
    txaio_status status = (call);                             \
    if (status != TXAIO_OK) {                                 \
      fprintf(stderr, "%s: %s\n", #call, txaio_last_error()); \
      return 1;                                               \
    }                                                         \
  } while (0)

static void on_deadline(void* state) { *(int*)state = 1; }

int main(void) {
  txaio_loop* loop;
  txaio_delayed_call* deadline;
  int fired = 0, fired_early;
  CHECK(txaio_loop_new_manual(&loop));
  CHECK(txaio_call_later(loop, 5.0, on_deadline, &fired, NULL, &deadline));
  CHECK(txaio_loop_advance(loop, 4.0));
  fired_early = fired;
  CHECK(txaio_loop_advance(loop, 1.0));
  printf("txaio %s: fired at 4 s: %d, at 5 s: %d\n", txaio_version(),
         fired_early, fired);
  CHECK(txaio_delayed_call_destroy(deadline));
  CHECK(txaio_loop_destroy(loop));
  return !fired_early && fired ? 0 : 1;
}
