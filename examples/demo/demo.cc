// A tour of txaio-cpp: futures and callbacks, gather, a delayed call, sleep,
// and a failure with its message and traceback. The same code runs on every
// linked backend: bazel run //examples/demo -- --loop=NAME (default asio;
// --list prints the names).
#include <cstdio>
#include <cstring>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/loop_registry.h"
#include "core/txaio.h"

namespace {

// Library code: written once against txaio, unaware of the event loop.
txaio::Future<std::string> fetch_greeting(const std::string& who,
                                          double seconds) {
  txaio::Future<std::string> reply = txaio::create_future<std::string>();
  txaio::call_later(seconds, [reply, who]() mutable {
    txaio::resolve(reply, "hello, " + who);
  });
  return reply;
}

int parse_port(const std::string& text) {
  if (text.empty() ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    throw std::invalid_argument("not a port number: '" + text + "'");
  }
  return std::stoi(text);
}

double since(int64_t start_ns) {
  return static_cast<double>(txaio::perf_counter_ns() - start_ns) / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  std::string name = "asio";
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--loop=", 7) == 0) {
      name = argv[i] + 7;
    } else if (std::strcmp(argv[i], "--list") == 0) {
      for (const std::string& n : txaio::loop_names()) std::cout << n << "\n";
      return 0;
    } else {
      std::cerr << "usage: demo [--loop=NAME] [--list]\n";
      return 2;
    }
  }
  // The application picks the event loop; txaio.use_asyncio() in Python.
  txaio::RunnableLoop& loop = txaio::use_loop_named(name);
  const int64_t start = txaio::perf_counter_ns();
  std::cout << "framework in use: " << txaio::using_framework() << "\n";

  // 1. A future, resolved later from a delayed call. Callbacks always run
  //    from the loop, never inside resolve().
  txaio::Future<std::string> greeting = fetch_greeting("world", 0.05);
  txaio::add_callbacks(
      greeting,
      [&](const std::string& text) {
        std::printf("[%.3fs] callback got: %s\n", since(start), text.c_str());
      },
      nullptr);

  // 2. as_future turns a plain call, even one that throws, into a future.
  txaio::Future<int> good = txaio::as_future(parse_port, "8080");
  txaio::Future<int> bad = txaio::as_future(parse_port, "eighty");
  txaio::add_callbacks(bad, nullptr, [&](const txaio::Failure& failure) {
    std::printf("[%.3fs] errback got: %s\n", since(start),
                txaio::failure_message(failure).c_str());
    std::cout << txaio::failure_format_traceback(failure);
  });

  // 3. gather waits for them all; each result is a value or a Failure.
  txaio::Future<std::vector<txaio::Outcome<int>>> both =
      txaio::gather(std::vector<txaio::Future<int>>{good, bad});
  txaio::add_callbacks(
      both,
      [&](const std::vector<txaio::Outcome<int>>& results) {
        std::printf("[%.3fs] gather finished with %zu results:\n", since(start),
                    results.size());
        for (const auto& result : results) {
          if (const int* port = std::get_if<int>(&result)) {
            std::printf("           value %d\n", *port);
          } else {
            std::printf("           failure %s\n",
                        txaio::failure_message(std::get<txaio::Failure>(result))
                            .c_str());
          }
        }
      },
      nullptr);

  // 4. A delayed call that is cancelled never runs.
  txaio::DelayedCall never =
      txaio::call_later(0.02, [] { std::cout << "this never prints\n"; });
  never.cancel();
  std::printf("[%.3fs] cancelled a delayed call; active() = %s\n", since(start),
              never.active() ? "true" : "false");

  // 5. sleep: a future resolved after a delay. Run the loop until it is.
  txaio::Future<void> nap = txaio::sleep(0.1);
  txaio::add_callbacks(
      nap, [&] { std::printf("[%.3fs] slept 0.1 s\n", since(start)); },
      nullptr);
  loop.run_until_complete(nap);
  loop.run_until_idle();
  std::printf("[%.3fs] done\n", since(start));
  return 0;
}
