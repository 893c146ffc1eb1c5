// EchoServer over real loopback sockets: one client keeps talking and stays
// connected, one goes quiet and is dropped once its idle timeout has passed
// (never before).
#include "examples/uv/echo_server.h"

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "backends/uv/uv_loop.h"
#include "examples/testing/loopback.h"
#include "gtest/gtest.h"

namespace {

using txaio_examples::LoopbackClient;
using txaio_examples::ServerThread;

using Clock = std::chrono::steady_clock;

constexpr auto kIdle = std::chrono::milliseconds(500);

// Sends `text` and returns what comes back (as many bytes as were sent), or
// "" if the server closed the connection or did not answer.
std::string Echo(LoopbackClient& client, const std::string& text) {
  return client.send_text(text) ? client.read_bytes(text.size()) : "";
}

TEST(EchoServerTest, DropsTheQuietClientAndKeepsTheTalkingOne) {
  size_t dropped = 0;
  size_t still_connected = 0;
  // The server: a UvLoop and its libuv handles, all on their own thread.
  ServerThread<txaio::UvLoop, EchoServer> server(
      [](txaio::UvLoop& loop) {
        return std::make_unique<EchoServer>(loop, absl::FromChrono(kIdle));
      },
      [&](EchoServer& s) {
        dropped = s.dropped_idle();
        still_connected = s.clients();
      });
  const int port = server.port();

  LoopbackClient talker(port);
  LoopbackClient quiet(port);
  ASSERT_TRUE(talker.connected());
  ASSERT_TRUE(quiet.connected());
  ASSERT_EQ(Echo(quiet, "hello\n"), "hello\n");
  const Clock::time_point quiet_since = Clock::now();

  // The talker sends every 100 ms for 1.5 s: three idle timeouts.
  bool quiet_dropped = false;
  Clock::duration quiet_lasted{};
  for (int i = 0; i < 15; ++i) {
    const std::string line = "ping " + std::to_string(i) + "\n";
    ASSERT_EQ(Echo(talker, line), line) << "the talking client was dropped";
    if (!quiet_dropped &&
        quiet.closed_by_server(std::chrono::milliseconds(100))) {
      quiet_dropped = true;
      quiet_lasted = Clock::now() - quiet_since;
    } else if (quiet_dropped) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  if (!quiet_dropped) {
    quiet_dropped = quiet.closed_by_server(std::chrono::seconds(3));
    quiet_lasted = Clock::now() - quiet_since;
  }
  EXPECT_TRUE(quiet_dropped) << "the quiet client was never dropped";
  EXPECT_GE(quiet_lasted, kIdle) << "dropped before its idle timeout";
  EXPECT_EQ(Echo(talker, "still here\n"), "still here\n");

  server.stop();
  EXPECT_EQ(dropped, 1u);
  EXPECT_EQ(still_connected, 1u);
}

}  // namespace
