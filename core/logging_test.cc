#include "core/logging.h"

#include <atomic>
#include <cmath>
#include <iostream>
#include <limits>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "core/unhandled.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace txaio {
namespace {

using namespace txaio::literals;  // NOLINT
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::StartsWith;

// Formats `format` with `fields` the way an observer would see it.
std::string Format(std::string_view format,
                   std::initializer_list<LogField> fields = {}) {
  std::vector<LogField> list(fields);
  LogEvent event{absl::FromUnixSeconds(1453338123), LogLevel::kInfo, "ns",
                 format, list};
  return format_event(event);
}

// Captures events (as formatted text) while alive; restores global state.
class Capture {
 public:
  Capture() : previous_level_(get_global_log_level()) {
    id_ = add_log_observer([this](const LogEvent& event) {
      std::string line = std::string(log_level_name(event.log_level)) + " " +
                         std::string(event.log_namespace) + " " +
                         format_event(event);
      std::lock_guard<std::mutex> lock(mutex_);
      lines_.push_back(line);
    });
  }
  ~Capture() {
    remove_log_observer(id_);
    set_global_log_level(previous_level_);
  }
  std::vector<std::string> lines() {
    std::lock_guard<std::mutex> lock(mutex_);
    return lines_;
  }

 private:
  LogLevel previous_level_;
  LogObserverId id_;
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

TEST(LogFormatTest, NamedFieldsAndEscapes) {
  EXPECT_EQ(
      Format("Got '{result}' from {peer}",
             {{"result", int64_t{42}}, {"peer", std::string_view("x:1")}}),
      "Got '42' from x:1");
  EXPECT_EQ(Format("{{literal}} {a}}}", {{"a", int64_t{1}}}), "{literal} 1}");
  EXPECT_EQ(Format("no fields"), "no fields");
  EXPECT_EQ(Format(""), "");
}

TEST(LogFormatTest, ValuesPrintLikePython) {
  EXPECT_EQ(Format("{v}", {{"v", true}}), "True");
  EXPECT_EQ(Format("{v}", {{"v", 0.1}}), "0.1");
  EXPECT_EQ(Format("{v}", {{"v", 1.0}}), "1.0");
  EXPECT_EQ(Format("{v}", {{"v", 1e16}}), "1e+16");
  EXPECT_EQ(Format("{v}", {{"v", 1.5e-5}}), "1.5e-05");
  EXPECT_EQ(Format("{v}", {{"v", 123456.789}}), "123456.789");
  EXPECT_EQ(Format("{v}", {{"v", -0.0}}), "-0.0");
  EXPECT_EQ(Format("{v}", {{"v", std::numeric_limits<double>::infinity()}}),
            "inf");
  EXPECT_EQ(Format("{v!r}", {{"v", std::string_view("it's")}}), "\"it's\"");
  EXPECT_EQ(Format("{v!r}", {{"v", std::string_view("a\nb")}}), "'a\\nb'");
  EXPECT_EQ(Format("{v!s}", {{"v", int64_t{-3}}}), "-3");
  EXPECT_EQ(Format("{v}", {{"v", uint64_t{18446744073709551615u}}}),
            "18446744073709551615");
}

TEST(LogFormatTest, FormatSpecs) {
  EXPECT_EQ(Format("[{v:>6}]", {{"v", int64_t{42}}}), "[    42]");
  EXPECT_EQ(Format("[{v:<6}]", {{"v", int64_t{42}}}), "[42    ]");
  EXPECT_EQ(Format("[{v:*^7}]", {{"v", std::string_view("ab")}}), "[**ab***]");
  EXPECT_EQ(Format("[{v:6}]", {{"v", std::string_view("ab")}}), "[ab    ]");
  EXPECT_EQ(Format("[{v:06}]", {{"v", int64_t{-42}}}), "[-00042]");
  EXPECT_EQ(Format("{v:+d}", {{"v", int64_t{5}}}), "+5");
  EXPECT_EQ(Format("{v:,}", {{"v", int64_t{1234567}}}), "1,234,567");
  EXPECT_EQ(Format("{v:_}", {{"v", int64_t{-1234567}}}), "-1_234_567");
  EXPECT_EQ(Format("{v:x} {v:#X} {v:o} {v:b}", {{"v", int64_t{255}}}),
            "ff 0XFF 377 11111111");
  EXPECT_EQ(Format("{v:.2f}", {{"v", 3.14159}}), "3.14");
  EXPECT_EQ(Format("{v:8.3f}", {{"v", -3.14159}}), "  -3.142");
  EXPECT_EQ(Format("{v:.3e}", {{"v", 12345.678}}), "1.235e+04");
  EXPECT_EQ(Format("{v:g}", {{"v", 0.00001234}}), "1.234e-05");
  EXPECT_EQ(Format("{v:.1%}", {{"v", 0.256}}), "25.6%");
  EXPECT_EQ(Format("{v:.2f}", {{"v", int64_t{3}}}), "3.00");
  EXPECT_EQ(Format("{v:.3}", {{"v", std::string_view("abcdef")}}), "abc");
  EXPECT_EQ(Format("{v:c}", {{"v", int64_t{0x263A}}}), "\u263A");
  EXPECT_EQ(Format("{v:>3}", {{"v", std::string_view("\u00e9")}}), "  \u00e9");
  EXPECT_EQ(Format("{v:d}", {{"v", true}}), "1");
}

TEST(LogFormatTest, EventKeysAreFields) {
  EXPECT_EQ(Format("{log_level} {log_namespace} {log_time:.0f}"),
            "info ns 1453338123");
}

TEST(LogFormatTest, BadFormatsNeverThrowAndShowTheRawEvent) {
  EXPECT_EQ(Format("Got {missing}", {{"x", int64_t{1}}}),
            "Unable to format event {'log_format': 'Got {missing}', "
            "'log_level': 'info', 'log_namespace': 'ns', 'log_time': "
            "1453338123.0, 'x': 1}: missing field 'missing'");
  EXPECT_THAT(Format("unclosed {x", {{"x", int64_t{1}}}),
              HasSubstr(": single '{' encountered in format string"));
  EXPECT_THAT(Format("stray }"), HasSubstr("single '}'"));
  EXPECT_THAT(Format("{}"), HasSubstr("positional"));
  EXPECT_THAT(Format("{0}"), HasSubstr("positional"));
  EXPECT_THAT(Format("{a.b}", {{"a", int64_t{1}}}), HasSubstr("attribute"));
  EXPECT_THAT(Format("{a[0]}", {{"a", int64_t{1}}}), HasSubstr("attribute"));
  EXPECT_THAT(Format("{a!x}", {{"a", int64_t{1}}}), HasSubstr("conversion"));
  EXPECT_THAT(Format("{a:q}", {{"a", int64_t{1}}}), HasSubstr("spec"));
  EXPECT_THAT(Format("{a:d}", {{"a", std::string_view("s")}}),
              HasSubstr("spec"));
  EXPECT_THAT(Format("{a:.2d}", {{"a", int64_t{1}}}), HasSubstr("spec"));
  EXPECT_THAT(Format("{a:{b}}", {{"a", int64_t{1}}}), HasSubstr("spec"));
}

TEST(LogFormatTest, LiteralFormatsAreCheckedAtCompileTime) {
  // Each of these is a compile error (see log_format_compile_test.sh); the
  // good ones compile and agree with the runtime formatter.
  constexpr LogFormat<NamedArg<"peer", int>> good("to {peer:>5} {{ok}}");
  EXPECT_EQ(good.get(), "to {peer:>5} {{ok}}");
  constexpr LogFormat<> keys("{log_namespace} at {log_time}");
  EXPECT_EQ(keys.get(), "{log_namespace} at {log_time}");
}

TEST(LoggingTest, LevelsParseAndPrint) {
  EXPECT_EQ(parse_log_level("warn"), LogLevel::kWarn);
  EXPECT_EQ(log_level_name(LogLevel::kTrace), "trace");
  try {
    parse_log_level("verbose");
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(),
                 "Invalid log level 'verbose'; valid are: none, critical, "
                 "error, warn, info, debug, trace");
  }
  EXPECT_THROW(log_level_name(static_cast<LogLevel>(9)), std::invalid_argument);
  EXPECT_THROW(set_global_log_level(static_cast<LogLevel>(-1)),
               std::invalid_argument);
  EXPECT_THROW(start_logging(std::cerr, "loud"), std::invalid_argument);
  EXPECT_THROW(start_logging(std::cerr, static_cast<LogLevel>(7)),
               std::invalid_argument);
}

TEST(LoggingTest, EventsCarryTheirKeysAndFields) {
  Capture capture;
  set_global_log_level(LogLevel::kInfo);
  Logger log = make_logger("test.events");
  std::vector<std::string> seen;
  absl::Time before = absl::Now();
  LogObserverId id = add_log_observer([&](const LogEvent& event) {
    EXPECT_GE(event.log_time, before);
    EXPECT_EQ(event.log_level, LogLevel::kWarn);
    EXPECT_EQ(event.log_namespace, "test.events");
    EXPECT_EQ(event.log_format, "Got '{result}' from {peer}");
    ASSERT_EQ(event.fields.size(), 3u);
    EXPECT_EQ(event.fields[0].name, "result");
    EXPECT_EQ(std::get<int64_t>(event.fields[0].value), 42);
    EXPECT_EQ(std::get<std::string_view>(event.fields[1].value), "10.0.0.1");
    EXPECT_EQ(std::get<double>(event.fields[2].value), 0.5);
    seen.push_back(format_event(event));
  });
  std::string peer = "10.0.0.1";
  log.warn("Got '{result}' from {peer}", "result"_f = 42, "peer"_f = peer,
           field<"extra">(0.5));
  remove_log_observer(id);
  EXPECT_THAT(seen, ElementsAre("Got '42' from 10.0.0.1"));
}

TEST(LoggingTest, GlobalLevelRelevelsExistingLoggersAtOnce) {
  Capture capture;
  set_global_log_level(LogLevel::kInfo);
  Logger follower = make_logger("follower");
  Logger sticky = make_logger("sticky", LogLevel::kError);
  follower.debug("hidden");
  sticky.warn("hidden");
  set_global_log_level("debug");
  EXPECT_EQ(get_global_log_level(), LogLevel::kDebug);
  EXPECT_EQ(follower.log_level(), LogLevel::kDebug);
  EXPECT_EQ(sticky.log_level(), LogLevel::kError);
  EXPECT_TRUE(sticky.has_explicit_level());
  follower.debug("shown {n}", "n"_f = 1);
  sticky.warn("hidden");
  sticky.error("shown {n}", "n"_f = 2);
  sticky.follow_global_log_level();
  sticky.debug("shown {n}", "n"_f = 3);
  follower.set_log_level(LogLevel::kCritical, /*keep=*/false);
  follower.error("hidden");
  set_global_log_level(LogLevel::kTrace);
  follower.trace("shown {n}", "n"_f = 4);
  set_global_log_level(LogLevel::kNone);
  follower.critical("hidden");
  EXPECT_THAT(capture.lines(),
              ElementsAre("debug follower shown 1", "error sticky shown 2",
                          "debug sticky shown 3", "trace follower shown 4"));
}

TEST(LoggingTest, MacrosSkipArgumentsAtDisabledLevels) {
  Capture capture;
  set_global_log_level(LogLevel::kInfo);
  Logger log = make_logger("macros");
  int evaluated = 0;
  auto costly = [&] { return ++evaluated; };
  TXAIO_LOG_DEBUG(log, "value {v}", "v"_f = costly());
  TXAIO_LOG_TRACE(log, "value {v}", "v"_f = costly());
  EXPECT_EQ(evaluated, 0);
  TXAIO_LOG_INFO(log, "value {v}", "v"_f = costly());
  TXAIO_LOG_CRITICAL(log, "plain");
  EXPECT_EQ(evaluated, 1);
  EXPECT_THAT(capture.lines(),
              ElementsAre("info macros value 1", "critical macros plain"));
}

TEST(LoggingTest, RuntimeFormatsAndEmitReportInsteadOfThrowing) {
  Capture capture;
  set_global_log_level(LogLevel::kInfo);
  Logger log = make_logger("runtime");
  std::string dynamic = "hello {who}";
  log.info(runtime_format(dynamic), "who"_f = "you");
  log.info(runtime_format("hello {whom}"), "who"_f = "you");
  LogField fields[] = {{"a", int64_t{1}}};
  log.emit(LogLevel::kWarn, "a={a:>3}", fields);
  log.emit(LogLevel::kDebug, "hidden", fields);
  EXPECT_THROW(log.emit(static_cast<LogLevel>(42), "x", {}),
               std::invalid_argument);
  std::vector<std::string> lines = capture.lines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "info runtime hello you");
  EXPECT_THAT(lines[1], StartsWith("info runtime Unable to format event {"));
  EXPECT_THAT(lines[1], HasSubstr("'who': 'you'}: missing field 'whom'"));
  EXPECT_EQ(lines[2], "warn runtime a=  1");
}

TEST(LoggingTest, CategoriesReplaceTheFormat) {
  Capture capture;
  set_global_log_level(LogLevel::kInfo);
  add_log_categories({{"AR100", "Peer {peer} said {what}"}});
  Logger log = make_logger("categories");
  log.info("ignored", "log_category"_f = "AR100", "peer"_f = "p",
           "what"_f = "hi");
  log.info("kept {what}", "log_category"_f = "unknown", "what"_f = 1);
  log.info("AR100 missing field", "log_category"_f = "AR100");
  std::vector<std::string> lines = capture.lines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "info categories Peer p said hi");
  EXPECT_EQ(lines[1], "info categories kept 1");
  EXPECT_THAT(lines[2], HasSubstr("Unable to format event"));
}

TEST(LoggingTest, TextWriterWritesIsoTimeThenMessage) {
  std::ostringstream out;
  LogObserverId id =
      add_log_observer(make_text_log_writer(out, absl::FixedTimeZone(-3600)));
  Logger log = make_logger("text", LogLevel::kInfo);
  log.info("Hopping {n} times.", "n"_f = 42);
  remove_log_observer(id);
  EXPECT_THAT(out.str(),
              MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:"
                           "[0-9]{2}-0100 Hopping 42 times\\.\n"));
}

TEST(LoggingTest, StartLoggingWritesAtTheGivenLevelAndCanBeReplaced) {
  LogLevel previous = get_global_log_level();
  auto first = std::make_shared<std::ostringstream>();
  auto second = std::make_shared<std::ostringstream>();
  Logger log = make_logger("start");
  start_logging(first, "warn");
  EXPECT_EQ(get_global_log_level(), LogLevel::kWarn);
  log.info("hidden");
  log.warn("one");
  start_logging(second, LogLevel::kDebug);
  log.debug("two");
  stop_logging();
  log.critical("nowhere");
  set_global_log_level(previous);
  EXPECT_THAT(first->str(), MatchesRegex("[^ ]+ one\n"));
  EXPECT_THAT(second->str(), MatchesRegex("[^ ]+ two\n"));
}

TEST(LoggingTest, StartLoggingRefusesAStreamItCouldOutlive) {
  std::ostringstream local;
  try {
    start_logging(local, "info");
    FAIL() << "a local stream was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("ScopedLogging"));
  }
  EXPECT_THROW(start_logging(std::shared_ptr<std::ostream>()),
               std::invalid_argument);
}

TEST(LoggingTest, StartLoggingOwnsASharedStream) {
  LogLevel previous = get_global_log_level();
  auto owned = std::make_shared<std::ostringstream>();
  std::weak_ptr<std::ostringstream> watch = owned;
  start_logging(std::move(owned), "info");
  make_logger("owned").info("kept alive");
  ASSERT_FALSE(watch.expired()) << "the writer owns the stream";
  EXPECT_THAT(watch.lock()->str(), HasSubstr(" kept alive\n"));
  stop_logging();
  EXPECT_TRUE(watch.expired()) << "and lets it go with the writer";
  set_global_log_level(previous);
}

TEST(LoggingTest, ScopedLoggingStopsWritingAtTheEndOfItsScope) {
  LogLevel previous = get_global_log_level();
  Logger log = make_logger("scoped");
  auto out = std::make_unique<std::ostringstream>();
  {
    ScopedLogging logging(*out, "debug");
    log.debug("inside");
  }
  std::string text = out->str();
  out.reset();  // under ASan, a write from here on is a use after free
  log.critical("after the scope");
  EXPECT_THAT(text, MatchesRegex("[^ ]+ inside\n"));
  set_global_log_level(previous);
}

TEST(LoggingTest, ScopedLoggingEndsSafelyWhileAnotherThreadLogs) {
  LogLevel previous = get_global_log_level();
  Logger log = make_logger("threads");
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    while (!stop.load()) log.info("busy {n}", "n"_f = 1);
  });
  for (int i = 0; i < 50; ++i) {
    auto out = std::make_unique<std::ostringstream>();
    ScopedLogging logging(*out, "info");
    std::this_thread::yield();
  }  // each stream dies right after its scope: ASan/TSan check the writer
  stop = true;
  writer.join();
  set_global_log_level(previous);
}

TEST(LoggingTest, NamespaceAndLevelLayoutShowsTheLevel) {
  std::ostringstream out;
  LogObserverId id = add_log_observer(make_text_log_writer(
      out, TextLogLayout::kTimeNamespaceLevelMessage, absl::UTCTimeZone()));
  Logger log = make_logger("myapp.Conn", LogLevel::kInfo);
  log.warn("Lost {peer}", "peer"_f = "p1");
  remove_log_observer(id);
  EXPECT_THAT(out.str(),
              MatchesRegex("[0-9T:-]+\\+0000 \\[myapp\\.Conn#warn\\] "
                           "Lost p1\n"));
}

TEST(LoggingTest, FailureLoggingPrintsTheTraceback) {
  std::ostringstream out;
  LogObserverId id = add_log_observer(make_text_log_writer(out));
  std::ostringstream json;
  LogObserverId json_id = add_log_observer(make_json_log_writer(json));
  Logger log = make_logger("failures", LogLevel::kError);
  Failure failure(std::runtime_error("Fox spotted!"));
  log.failure("Hop failed for {who}", failure, "who"_f = "jack");
  log.failure(failure);
  remove_log_observer(id);
  remove_log_observer(json_id);
  std::vector<std::string> lines = absl::StrSplit(out.str(), '\n');
  ASSERT_GE(lines.size(), 4u);
  EXPECT_THAT(lines[0], HasSubstr(" Hop failed for jack"));
  EXPECT_THAT(out.str(), HasSubstr("std::runtime_error: Fox spotted!\n"));
  // The message comes first, the traceback after it.
  EXPECT_LT(out.str().find("Hop failed"), out.str().find("Fox spotted!"));
  EXPECT_THAT(json.str(), HasSubstr("\"log_failure\":\""));
  EXPECT_THAT(json.str(), HasSubstr("std::runtime_error: Fox spotted!"));
}

TEST(LoggingTest, JsonWriterWritesOneTypedObjectPerLine) {
  std::ostringstream out;
  LogObserverId id = add_log_observer(make_json_log_writer(out));
  Logger log = make_logger("json \"ns\"", LogLevel::kInfo);
  log.info("n={n} ok={ok} s={s}", "n"_f = -7, "ok"_f = true,
           "s"_f = "quote\" tab\t", "x"_f = 2.5);
  remove_log_observer(id);
  EXPECT_THAT(
      out.str(),
      MatchesRegex("\\{\"log_time\":[0-9.]+,\"log_level\":\"info\","
                   "\"log_namespace\":\"json \\\\\"ns\\\\\"\","
                   "\"log_format\":\"n=\\{n\\} ok=\\{ok\\} s=\\{s\\}\","
                   "\"log_text\":\"n=-7 ok=True s=quote\\\\\" tab\\\\t\","
                   "\"n\":-7,\"ok\":true,\"s\":\"quote\\\\\" tab\\\\t\","
                   "\"x\":2.5\\}\n"));
}

TEST(LoggingTest, ThrowingObserverDoesNotReachTheCaller) {
  Capture capture;
  set_global_log_level(LogLevel::kInfo);
  LogObserverId id = add_log_observer(
      [](const LogEvent&) { throw std::runtime_error("observer broke"); });
  std::vector<std::string> reported;
  UnhandledFailureHandler previous = set_unhandled_failure_handler(
      [&](const Failure& f) { reported.push_back(failure_message(f)); });
  Logger log = make_logger("throwing");
  EXPECT_NO_THROW(log.info("still fine"));
  set_unhandled_failure_handler(std::move(previous));
  remove_log_observer(id);
  EXPECT_THAT(reported, ElementsAre("std::runtime_error: observer broke"));
  EXPECT_THAT(capture.lines(), ElementsAre("info throwing still fine"));
  EXPECT_FALSE(remove_log_observer(id));
}

// Run under TSan: loggers, levels and observers used from several threads.
TEST(LoggingTest, ConcurrentLoggingReachesEveryObserverIntact) {
  Capture capture;
  set_global_log_level(LogLevel::kInfo);
  std::ostringstream text;
  LogObserverId id = add_log_observer(make_text_log_writer(text));
  constexpr int kThreads = 4;
  constexpr int kPerThread = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t] {
      Logger log = make_logger("thread");
      for (int i = 0; i < kPerThread; ++i) {
        log.info("thread {t} line {i}", "t"_f = t, "i"_f = i);
        if (i % 50 == 0) set_global_log_level(LogLevel::kInfo);
        log.debug("never");
      }
    });
  }
  // Observers come and go while the threads log.
  for (int i = 0; i < 20; ++i) {
    remove_log_observer(add_log_observer([](const LogEvent&) {}));
  }
  for (std::thread& thread : threads) thread.join();
  remove_log_observer(id);
  EXPECT_EQ(capture.lines().size(), static_cast<size_t>(kThreads * kPerThread));
  std::vector<std::string> lines = absl::StrSplit(text.str(), '\n');
  ASSERT_EQ(lines.size(), static_cast<size_t>(kThreads * kPerThread + 1));
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    EXPECT_THAT(lines[i], MatchesRegex("[^ ]+ thread [0-9] line [0-9]+"));
  }
}

}  // namespace
}  // namespace txaio
