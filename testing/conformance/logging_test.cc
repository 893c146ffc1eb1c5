// Conformance: structured logging from loop callbacks behaves the same on
// every backend, including events logged from another thread while the loop
// runs (run under TSan).
#include "core/logging.h"

#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/batched_timer.h"
#include "gmock/gmock.h"
#include "testing/conformance/fixture.h"

namespace txaio::conformance {
namespace {

using namespace txaio::literals;  // NOLINT
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Collects formatted messages while alive; restores the global level.
class LogCapture {
 public:
  LogCapture() : previous_(get_global_log_level()) {
    id_ = add_log_observer([this](const LogEvent& event) {
      std::string line = std::string(log_level_name(event.log_level)) + " " +
                         format_event(event);
      std::lock_guard<std::mutex> lock(mutex_);
      lines_.push_back(line);
    });
  }
  ~LogCapture() {
    remove_log_observer(id_);
    set_global_log_level(previous_);
  }
  std::vector<std::string> lines() {
    std::lock_guard<std::mutex> lock(mutex_);
    return lines_;
  }

 private:
  LogLevel previous_;
  LogObserverId id_;
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

TEST_F(ConformanceTest, LoggingFromCallbacksAndTimersKeepsLoopOrder) {
  LogCapture capture;
  set_global_log_level(LogLevel::kInfo);
  Logger log = make_logger("conformance.loop");
  Future<int> answer = api().create_future<int>();
  add_callbacks(
      answer, [&log](int v) { log.info("answer {v}", "v"_f = v); }, nullptr);
  loop().call_soon([&log] { log.warn("soon"); });
  resolve(answer, 42);
  bool done = false;
  api().call_later(0.001, [&] {
    log.info("later");
    log.debug("hidden");
    done = true;
  });
  run_until_idle();
  for (int i = 0; i < 100 && !done; ++i) advance(absl::Milliseconds(5));
  EXPECT_THAT(capture.lines(),
              ElementsAre("warn soon", "info answer 42", "info later"));
}

TEST_F(ConformanceTest, FailureLoggedFromAnErrbackShowsItsTraceback) {
  std::ostringstream out;
  LogObserverId id = add_log_observer(make_text_log_writer(out));
  Logger log = make_logger("conformance.errback", LogLevel::kError);
  Future<void> failing = api().create_future<void>();
  add_callbacks(failing, nullptr, [&log](const Failure& failure) {
    log.failure("request {id} failed", failure, "id"_f = 7);
  });
  reject(failing, std::runtime_error("connection refused"));
  run_until_idle();
  remove_log_observer(id);
  EXPECT_THAT(out.str(), HasSubstr(" request 7 failed\n"));
  EXPECT_THAT(out.str(), HasSubstr("std::runtime_error: connection refused"));
}

TEST_F(ConformanceTest, BatchedTimerErrorsCanBeLogged) {
  LogCapture capture;
  Logger log = make_logger("conformance.batched", LogLevel::kError);
  BatchedTimer timer = make_batched_timer(loop(), 0.01, 10);
  timer.set_error_handler([&log](std::vector<Failure> failures) {
    for (const Failure& failure : failures) {
      log.error("timeout handler failed: {why}", "why"_f = failure);
    }
  });
  timer.call_later(0.0, [] { throw std::logic_error("bad state"); });
  for (int i = 0; i < 100 && timer.loop_timers() > 0; ++i) {
    advance(absl::Milliseconds(10));
  }
  EXPECT_THAT(capture.lines(),
              ElementsAre("error timeout handler failed: std::logic_error: "
                          "bad state"));
}

// A worker thread logs while the loop thread logs and relevels.
TEST_F(ConformanceTest, LoggingFromAnotherThreadWhileTheLoopRuns) {
  LogCapture capture;
  set_global_log_level(LogLevel::kInfo);
  Logger log = make_logger("conformance.threads");
  std::thread worker([&] {
    for (int i = 0; i < 100; ++i) {
      log.info("worker {i}", "i"_f = i);
      loop().call_soon_threadsafe(
          [&log, i] { log.info("loop {i}", "i"_f = i); });
    }
  });
  for (int i = 0; i < 50; ++i) {
    set_global_log_level(LogLevel::kInfo);
    run_until_idle();
  }
  worker.join();
  run_until_idle();
  std::vector<std::string> lines = capture.lines();
  EXPECT_EQ(lines.size(), 200u);
  int worker_lines = 0;
  for (const std::string& line : lines) {
    worker_lines += line.rfind("info worker ", 0) == 0;
  }
  EXPECT_EQ(worker_lines, 100);
}

}  // namespace
}  // namespace txaio::conformance
