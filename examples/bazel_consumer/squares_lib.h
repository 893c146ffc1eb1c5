// A consumer's own asynchronous function, written once against txaio-cpp's
// portable API: it runs on whichever loop the application selected.
#ifndef BAZEL_CONSUMER_SQUARES_LIB_H_
#define BAZEL_CONSUMER_SQUARES_LIB_H_

#include "core/txaio.h"

namespace consumer {

// Computes 1*1 .. n*n, each on its own delayed call (k*k after (n - k) * 10
// ms, so they finish in reverse order), and resolves with their sum once all
// have finished. n < 1 gives a failed future.
txaio::Future<int> SumOfSquaresLater(int n);

}  // namespace consumer

#endif  // BAZEL_CONSUMER_SQUARES_LIB_H_
