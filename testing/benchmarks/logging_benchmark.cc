// Structured logging costs, beside a raw snprintf baseline in the same binary.
//
// - a call at a disabled level, through the TXAIO_LOG_DEBUG macro (one load
//   and one branch; arguments not evaluated) and through log.debug() (the
//   arguments are built first);
// - an enabled call with two fields to an in-memory sink that formats the
//   message into a reused buffer, and to the text writer on an
//   std::ostringstream (time prefix and line);
// - raw: snprintf of the same message into a buffer.
//
//   bazel run -c opt //testing/benchmarks:logging_benchmark
#include <cstdio>
#include <sstream>
#include <string>

#include "benchmark/benchmark.h"
#include "core/logging.h"

namespace {

using namespace txaio::literals;  // NOLINT

void BM_LogDisabled_Macro(benchmark::State& state) {
  txaio::Logger log = txaio::make_logger("bench", txaio::LogLevel::kInfo);
  int64_t i = 0;
  std::string peer = "tcp4:127.0.0.1:5000";
  for (auto _ : state) {
    TXAIO_LOG_DEBUG(log, "Got '{result}' from {peer}", "result"_f = ++i,
                    "peer"_f = peer);
    benchmark::ClobberMemory();
  }
  benchmark::DoNotOptimize(i);
}
BENCHMARK(BM_LogDisabled_Macro);

void BM_LogDisabled_Method(benchmark::State& state) {
  txaio::Logger log = txaio::make_logger("bench", txaio::LogLevel::kInfo);
  int64_t i = 0;
  std::string peer = "tcp4:127.0.0.1:5000";
  for (auto _ : state) {
    log.debug("Got '{result}' from {peer}", "result"_f = ++i, "peer"_f = peer);
    benchmark::ClobberMemory();
  }
  benchmark::DoNotOptimize(i);
}
BENCHMARK(BM_LogDisabled_Method);

void BM_LogEnabled_MemorySink(benchmark::State& state) {
  std::string buffer;
  txaio::LogObserverId id =
      txaio::add_log_observer([&buffer](const txaio::LogEvent& event) {
        if (buffer.size() > (1 << 20)) buffer.clear();
        txaio::append_formatted_event(event, buffer);
        buffer.push_back('\n');
      });
  txaio::Logger log = txaio::make_logger("bench", txaio::LogLevel::kInfo);
  int64_t i = 0;
  std::string peer = "tcp4:127.0.0.1:5000";
  for (auto _ : state) {
    TXAIO_LOG_INFO(log, "Got '{result}' from {peer}", "result"_f = ++i,
                   "peer"_f = peer);
  }
  txaio::remove_log_observer(id);
  benchmark::DoNotOptimize(buffer);
}
BENCHMARK(BM_LogEnabled_MemorySink);

// An enabled log call through a writer made by `make_writer(stream)`.
template <typename MakeWriter>
void LogToStringStream(benchmark::State& state, MakeWriter make_writer) {
  std::ostringstream out;
  txaio::LogObserverId id = txaio::add_log_observer(make_writer(out));
  txaio::Logger log = txaio::make_logger("bench", txaio::LogLevel::kInfo);
  int64_t i = 0;
  std::string peer = "tcp4:127.0.0.1:5000";
  for (auto _ : state) {
    TXAIO_LOG_INFO(log, "Got '{result}' from {peer}", "result"_f = ++i,
                   "peer"_f = peer);
    if ((i & 0xFFFF) == 0) out.str("");
  }
  txaio::remove_log_observer(id);
}

void BM_LogEnabled_TextWriterToStringStream(benchmark::State& state) {
  LogToStringStream(state, [](std::ostream& out) {
    return txaio::make_text_log_writer(out);
  });
}
BENCHMARK(BM_LogEnabled_TextWriterToStringStream);

void BM_LogEnabled_JsonWriterToStringStream(benchmark::State& state) {
  LogToStringStream(state, [](std::ostream& out) {
    return txaio::make_json_log_writer(out);
  });
}
BENCHMARK(BM_LogEnabled_JsonWriterToStringStream);

void BM_RawSnprintf(benchmark::State& state) {
  char buffer[256];
  int64_t i = 0;
  std::string peer = "tcp4:127.0.0.1:5000";
  for (auto _ : state) {
    std::snprintf(buffer, sizeof(buffer), "Got '%lld' from %s",
                  static_cast<long long>(++i), peer.c_str());
    benchmark::DoNotOptimize(buffer);
  }
}
BENCHMARK(BM_RawSnprintf);

}  // namespace
