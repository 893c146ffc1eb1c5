// EchoServer over real loopback sockets: one client keeps talking and stays
// connected, one goes quiet and is dropped once its idle timeout has passed
// (never before).
#include "examples/uv/echo_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "backends/uv/uv_loop.h"
#include "gtest/gtest.h"

namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kIdle = std::chrono::milliseconds(500);

// A blocking client socket with a receive timeout, so a broken server fails
// the test instead of hanging it.
class Client {
 public:
  explicit Client(int port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    timeval tv = {5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    sockaddr_in addr = {};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ =
        connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~Client() { close(fd_); }
  bool connected() const { return connected_; }

  // Sends `text` and returns what comes back (as many bytes as were sent),
  // or "" if the server closed the connection or did not answer.
  std::string echo(const std::string& text) {
    if (send(fd_, text.data(), text.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(text.size())) {
      return "";
    }
    std::string got;
    char buf[256];
    while (got.size() < text.size()) {
      ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) return "";
      got.append(buf, n);
    }
    return got;
  }

  // True once the server has closed the connection (recv sees end of file),
  // waiting up to `timeout` for it.
  bool closed_by_server(std::chrono::milliseconds timeout) {
    pollfd p = {fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(timeout.count())) != 1) return false;
    char c;
    return recv(fd_, &c, 1, MSG_DONTWAIT) == 0;
  }

 private:
  int fd_;
  bool connected_ = false;
};

TEST(EchoServerTest, DropsTheQuietClientAndKeepsTheTalkingOne) {
  std::promise<int> port_promise;
  std::atomic<txaio::UvLoop*> server_loop{nullptr};
  size_t dropped = 0;
  size_t still_connected = 0;
  // The server: a UvLoop and its libuv handles, all on their own thread.
  std::thread server_thread([&] {
    txaio::UvLoop loop;
    {
      EchoServer server(loop, absl::FromChrono(kIdle));
      try {
        server_loop = &loop;
        port_promise.set_value(server.listen("127.0.0.1", 0));
      } catch (...) {
        port_promise.set_exception(std::current_exception());
        return;
      }
      loop.run();  // until the test calls stop()
      dropped = server.dropped_idle();
      still_connected = server.clients();
    }
    loop.run_until_idle();  // lets libuv finish closing the sockets
  });
  const int port = port_promise.get_future().get();

  Client talker(port);
  Client quiet(port);
  ASSERT_TRUE(talker.connected());
  ASSERT_TRUE(quiet.connected());
  ASSERT_EQ(quiet.echo("hello\n"), "hello\n");
  const Clock::time_point quiet_since = Clock::now();

  // The talker sends every 100 ms for 1.5 s: three idle timeouts.
  bool quiet_dropped = false;
  Clock::duration quiet_lasted{};
  for (int i = 0; i < 15; ++i) {
    const std::string line = "ping " + std::to_string(i) + "\n";
    ASSERT_EQ(talker.echo(line), line) << "the talking client was dropped";
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
  EXPECT_EQ(talker.echo("still here\n"), "still here\n");

  server_loop.load()->stop();
  server_thread.join();
  EXPECT_EQ(dropped, 1u);
  EXPECT_EQ(still_connected, 1u);
}

}  // namespace
