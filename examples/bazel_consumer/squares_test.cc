// The consumer's unit test: SumOfSquaresLater on txaio-cpp's manual clock, so
// the delays pass instantly and deterministically.
#include <cstdio>
#include <string>

#include "absl/time/time.h"
#include "backends/manual/manual_loop.h"
#include "core/testutil.h"
#include "core/txaio.h"
#include "squares_lib.h"

namespace {

int failures = 0;

void Check(bool ok, const char* what) {
  std::printf("%s %s\n", ok ? "ok  " : "FAIL", what);
  if (!ok) ++failures;
}

}  // namespace

int main() {
  txaio::ManualLoop clock;
  auto guard = txaio::testutil::replace_loop(clock);

  txaio::Future<int> sum = consumer::SumOfSquaresLater(3);
  clock.run_until_idle();
  Check(!sum.is_called(), "pending before the last delay (20 ms) has passed");
  clock.advance(absl::Milliseconds(19));
  Check(!sum.is_called(), "still pending at 19 ms");
  clock.advance(absl::Milliseconds(1));
  Check(sum.succeeded() && sum.value() == 14, "1 + 4 + 9 == 14 at 20 ms");

  txaio::Future<int> bad = consumer::SumOfSquaresLater(0);
  const txaio::Failure* failure = bad.failure();
  Check(failure != nullptr && txaio::failure_message(*failure).find(
                                  "n must be >= 1") != std::string::npos,
        "n = 0 fails with a clear message");
  return failures == 0 ? 0 : 1;
}
