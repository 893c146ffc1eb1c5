// Runs the consumer's SumOfSquaresLater on txaio-cpp's Asio backend.
#include <cstdio>
#include <cstdlib>

#include "backends/asio/asio_loop.h"
#include "core/txaio.h"
#include "squares_lib.h"

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 4;
  txaio::AsioLoop& loop = txaio::use_asio();
  std::printf("framework: %s\n", std::string(txaio::using_framework()).c_str());

  txaio::Future<int> sum = consumer::SumOfSquaresLater(n);
  loop.run_until_complete(sum);
  if (const txaio::Failure* failure = sum.failure()) {
    std::printf("failed: %s\n", txaio::failure_message(*failure).c_str());
    return 1;
  }
  std::printf("sum of squares 1..%d = %d\n", n, sum.value());
  return 0;
}
