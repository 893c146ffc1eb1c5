// libevent_line_server: a bufferevent line server (answers lines
// upper-cased) that disconnects a client whose next line is late, with a
// txaio call_later per client on the same loop (see line_server.h).
//
//   bazel run //examples/libevent:libevent_line_server -- --port=7001
//   --timeout=10 (Ctrl-C stops the server)
#include <event2/event.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

#include "backends/libevent/libevent_loop.h"
#include "examples/libevent/line_server.h"

int main(int argc, char** argv) {
  int port = 7001;
  double timeout = 10;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--port=", 7) == 0) {
      port = std::atoi(argv[i] + 7);
    } else if (std::strncmp(argv[i], "--timeout=", 10) == 0) {
      timeout = std::atof(argv[i] + 10);
    } else {
      std::fprintf(stderr, "usage: %s [--port=N] [--timeout=SECONDS]\n",
                   argv[0]);
      return 2;
    }
  }
  if (!(timeout > 0)) {
    std::fprintf(stderr, "--timeout must be a positive number of seconds\n");
    return 2;
  }
  txaio::LibeventLoop loop;
  try {
    LineServer server(loop, absl::Seconds(timeout));
    const int bound = server.listen("127.0.0.1", port);
    std::printf("listening on 127.0.0.1:%d, %g s per line\n", bound, timeout);
    std::fflush(stdout);
    // SIGINT/SIGTERM through libevent's own signal events: the loop stops.
    auto on_signal = [](evutil_socket_t, short, void* arg) {
      static_cast<txaio::LibeventLoop*>(arg)->stop();
    };
    event* sigint = evsignal_new(&loop.base(), SIGINT, on_signal, &loop);
    event* sigterm = evsignal_new(&loop.base(), SIGTERM, on_signal, &loop);
    event_add(sigint, nullptr);
    event_add(sigterm, nullptr);
    loop.run();
    event_free(sigint);
    event_free(sigterm);
    std::printf("stopped; %zu clients timed out\n", server.timed_out());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "libevent_line_server: %s\n", e.what());
    return 1;
  }
  return 0;
}
