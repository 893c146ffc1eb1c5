#include "squares_lib.h"

#include <stdexcept>
#include <variant>
#include <vector>

namespace consumer {

txaio::Future<int> SumOfSquaresLater(int n) {
  return txaio::as_future([n]() -> txaio::Future<int> {
    if (n < 1) throw std::invalid_argument("SumOfSquaresLater: n must be >= 1");
    std::vector<txaio::Future<int>> squares;
    for (int k = 1; k <= n; ++k) {
      txaio::Future<int> square = txaio::create_future<int>();
      txaio::call_later(0.01 * (n - k),
                        [square, k]() mutable { square.resolve(k * k); });
      squares.push_back(square);
    }
    txaio::Future<int> sum = txaio::create_future<int>();
    txaio::Future<std::vector<txaio::Outcome<int>>> all =
        txaio::gather(squares, /*consume_exceptions=*/false);
    all.add_callbacks(
        [sum](const std::vector<txaio::Outcome<int>>& outcomes) mutable {
          int total = 0;
          for (const txaio::Outcome<int>& outcome : outcomes) {
            total += std::get<int>(outcome);
          }
          sum.resolve(total);
        },
        [sum](const txaio::Failure& failure) mutable { sum.reject(failure); });
    return sum;
  });
}

}  // namespace consumer
