// uv_echo_server: a libuv TCP echo server that drops clients idle for N
// seconds, with a txaio BatchedTimer on the same loop (see echo_server.h).
//
//   bazel run //examples/uv:uv_echo_server -- --port=7000 --idle=10
//   (then: nc 127.0.0.1 7000; Ctrl-C stops the server)
#include <uv.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

#include "backends/uv/uv_loop.h"
#include "examples/uv/echo_server.h"

int main(int argc, char** argv) {
  int port = 7000;
  double idle = 10;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--port=", 7) == 0) {
      port = std::atoi(argv[i] + 7);
    } else if (std::strncmp(argv[i], "--idle=", 7) == 0) {
      idle = std::atof(argv[i] + 7);
    } else {
      std::fprintf(stderr, "usage: %s [--port=N] [--idle=SECONDS]\n", argv[0]);
      return 2;
    }
  }
  if (!(idle > 0)) {
    std::fprintf(stderr, "--idle must be a positive number of seconds\n");
    return 2;
  }
  txaio::UvLoop loop;
  try {
    EchoServer server(loop, absl::Seconds(idle));
    const int bound = server.listen("127.0.0.1", port);
    std::printf("listening on 127.0.0.1:%d, dropping clients idle for %g s\n",
                bound, idle);
    std::fflush(stdout);
    // SIGINT/SIGTERM through libuv's own signal handle: the loop stops.
    uv_signal_t signals[2];
    for (int i = 0; i < 2; ++i) {
      uv_signal_init(&loop.uv_loop(), &signals[i]);
      signals[i].data = &loop;
      uv_signal_start_oneshot(
          &signals[i],
          [](uv_signal_t* s, int) {
            static_cast<txaio::UvLoop*>(s->data)->stop();
          },
          i == 0 ? SIGINT : SIGTERM);
    }
    loop.run();
    for (auto& s : signals)
      uv_close(reinterpret_cast<uv_handle_t*>(&s), nullptr);
    std::printf("stopped; %zu clients dropped for idling\n",
                server.dropped_idle());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "uv_echo_server: %s\n", e.what());
    return 1;
  }
  return 0;
}
