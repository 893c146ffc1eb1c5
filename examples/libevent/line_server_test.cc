// LineServer over real loopback sockets: a client that sends its lines in
// time is answered and stays, one that stops halfway through a line is told
// "timeout" and disconnected once its deadline has passed (never before).
#include "examples/libevent/line_server.h"

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "backends/libevent/libevent_loop.h"
#include "examples/testing/loopback.h"
#include "gtest/gtest.h"

namespace {

using txaio_examples::LoopbackClient;
using txaio_examples::ServerThread;

using Clock = std::chrono::steady_clock;

constexpr auto kTimeout = std::chrono::milliseconds(500);

TEST(LineServerTest, LateClientIsToldAndDroppedPromptOneStays) {
  size_t timed_out = 0;
  size_t still_connected = 0;
  // The server: a LibeventLoop and its bufferevents, all on their own thread.
  ServerThread<txaio::LibeventLoop, LineServer> server(
      [](txaio::LibeventLoop& loop) {
        return std::make_unique<LineServer>(loop, absl::FromChrono(kTimeout));
      },
      [&](LineServer& s) {
        timed_out = s.timed_out();
        still_connected = s.clients();
      });
  const int port = server.port();

  LoopbackClient prompt(port);
  LoopbackClient late(port);
  ASSERT_TRUE(prompt.connected());
  ASSERT_TRUE(late.connected());
  ASSERT_TRUE(late.send_text("hello\n"));
  ASSERT_EQ(late.read_line(), "HELLO\n");
  ASSERT_TRUE(late.send_text("half a li"));  // and nothing more
  const Clock::time_point late_since = Clock::now();

  // The prompt client sends a line every 100 ms for 1.5 s (three timeouts);
  // meanwhile the late client waits for what the server tells it.
  std::string told;
  Clock::duration late_lasted{};
  for (int i = 0; i < 15; ++i) {
    ASSERT_TRUE(prompt.send_text("line " + std::to_string(i) + "\n"));
    ASSERT_EQ(prompt.read_line(), "LINE " + std::to_string(i) + "\n")
        << "the prompt client was dropped";
    if (told.empty() && late.readable(std::chrono::milliseconds(100))) {
      told = late.read_line();
      late_lasted = Clock::now() - late_since;
    } else if (!told.empty()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  if (told.empty() && late.readable(std::chrono::seconds(3))) {
    told = late.read_line();
    late_lasted = Clock::now() - late_since;
  }
  EXPECT_EQ(told, "timeout\n");
  EXPECT_GE(late_lasted, kTimeout) << "told before its deadline";
  EXPECT_TRUE(late.closed_by_server(std::chrono::seconds(3)));
  ASSERT_TRUE(prompt.send_text("still here\n"));
  EXPECT_EQ(prompt.read_line(), "STILL HERE\n");

  server.stop();
  EXPECT_EQ(timed_out, 1u);
  EXPECT_EQ(still_connected, 1u);
}

}  // namespace
