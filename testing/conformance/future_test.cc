// Conformance: futures, callbacks, cancellation and as_future.
#include <stdexcept>
#include <string>
#include <vector>

#include "testing/conformance/fixture.h"

namespace txaio::conformance {
namespace {

TEST_F(ConformanceTest, ResolvedValueReachesCallback) {
  Future<int> f = create_future<int>();
  int seen = 0;
  add_callbacks(f, [&](const int& v) { seen = v; }, nullptr);
  resolve(f, 42);
  EXPECT_TRUE(is_called(f));
  run_until_idle();
  EXPECT_EQ(seen, 42);
}

}  // namespace
}  // namespace txaio::conformance
