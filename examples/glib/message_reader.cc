// txaio on an application's own GLib main loop: the application reads
// messages (lines) from a pipe with g_unix_fd_add(); library code written
// once against txaio waits for each message with a timeout (call_later),
// unaware that GLib is the loop.
//
//   { echo one; sleep 0.1; echo two; } | message_reader --timeout=0.5
//
// Prints each message with how long it took, "end of input" at EOF (exit 0),
// or "timeout waiting for message N" when one does not come in time (exit 3).
#include <glib-unix.h>
#include <glib.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "backends/glib/glib_loop.h"
#include "core/txaio.h"

namespace {

struct TimeoutError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct EndOfInput : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Library code: a queue of messages whose next() fails after a timeout.
// It only knows txaio (create_future, call_later, resolve, reject).
class MessageQueue {
 public:
  txaio::Future<std::string> next(double timeout_s) {
    txaio::Future<std::string> f = txaio::create_future<std::string>();
    if (!messages_.empty()) {
      txaio::resolve(f, std::move(messages_.front()));
      messages_.pop_front();
    } else if (closed_) {
      txaio::reject(f, EndOfInput("end of input"));
    } else {
      waiter_ = f;
      timeout_ = txaio::call_later(timeout_s, [this, timeout_s] {
        txaio::Future<std::string> waiter = std::move(*waiter_);
        waiter_.reset();
        txaio::reject(waiter, TimeoutError("no message within " +
                                           std::to_string(timeout_s) + " s"));
      });
    }
    return f;
  }

  // A message arrived: hand it to the waiter (cancelling its timeout).
  void push(std::string message) {
    if (waiter_) {
      timeout_.cancel();
      txaio::Future<std::string> waiter = std::move(*waiter_);
      waiter_.reset();
      txaio::resolve(waiter, std::move(message));
    } else {
      messages_.push_back(std::move(message));
    }
  }

  void close() {
    closed_ = true;
    if (waiter_) {
      timeout_.cancel();
      txaio::Future<std::string> waiter = std::move(*waiter_);
      waiter_.reset();
      txaio::reject(waiter, EndOfInput("end of input"));
    }
  }

 private:
  std::deque<std::string> messages_;
  std::optional<txaio::Future<std::string>> waiter_;
  txaio::DelayedCall timeout_;
  bool closed_ = false;
};

// Application code: GLib I/O feeding the queue.
struct App {
  GMainLoop* main_loop;
  MessageQueue queue;
  std::string partial;
  double timeout_s;
  int received = 0;
  int status = 0;
  int64_t last_ns = txaio::perf_counter_ns();
};

gboolean OnReadable(gint fd, GIOCondition, gpointer data) {
  App& app = *static_cast<App*>(data);
  char buffer[4096];
  ssize_t n = read(fd, buffer, sizeof buffer);
  if (n > 0) {
    app.partial.append(buffer, static_cast<size_t>(n));
    size_t end;
    while ((end = app.partial.find('\n')) != std::string::npos) {
      app.queue.push(app.partial.substr(0, end));
      app.partial.erase(0, end + 1);
    }
    return G_SOURCE_CONTINUE;
  }
  if (!app.partial.empty()) app.queue.push(std::move(app.partial));
  app.queue.close();
  return G_SOURCE_REMOVE;
}

void WaitForNext(App& app) {
  txaio::Future<std::string> next = app.queue.next(app.timeout_s);
  txaio::add_callbacks(
      next,
      [&app](const std::string& message) {
        const int64_t now = txaio::perf_counter_ns();
        std::printf("message %d: %s (after %.3f s)\n", ++app.received,
                    message.c_str(), (now - app.last_ns) / 1e9);
        std::fflush(stdout);
        app.last_ns = now;
        WaitForNext(app);
      },
      [&app](const txaio::Failure& failure) {
        try {
          std::rethrow_exception(failure.value());
        } catch (const EndOfInput&) {
          std::printf("end of input after %d messages\n", app.received);
        } catch (const TimeoutError& e) {
          std::printf("timeout waiting for message %d: %s\n", app.received + 1,
                      e.what());
          app.status = 3;
        } catch (...) {
          std::printf("error: %s\n", txaio::failure_message(failure).c_str());
          app.status = 1;
        }
        g_main_loop_quit(app.main_loop);
      });
}

}  // namespace

int main(int argc, char** argv) {
  double timeout_s = 1.0;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--timeout=", 10) == 0) {
      char* end = nullptr;
      timeout_s = std::strtod(argv[i] + 10, &end);
      if (end == argv[i] + 10 || *end != '\0' || !(timeout_s >= 0)) {
        std::fprintf(stderr, "message_reader: bad --timeout: %s\n",
                     argv[i] + 10);
        return 2;
      }
    } else {
      std::fprintf(stderr,
                   "usage: message_reader [--timeout=SECONDS] < input\n");
      return 2;
    }
  }
  // The application's GLib loop; txaio wraps its context.
  GMainContext* context = g_main_context_default();
  auto loop = std::make_shared<txaio::GlibLoop>(*context);
  txaio::use_loop(loop);

  App app{g_main_loop_new(context, FALSE), {}, {}, timeout_s};
  guint reader =
      g_unix_fd_add(STDIN_FILENO, static_cast<GIOCondition>(G_IO_IN | G_IO_HUP),
                    OnReadable, &app);
  WaitForNext(app);
  g_main_loop_run(app.main_loop);  // GLib's own run: txaio's work runs in it
  if (GSource* source = g_main_context_find_source_by_id(context, reader)) {
    g_source_destroy(source);
  }
  g_main_loop_unref(app.main_loop);
  txaio::use_loop(nullptr);
  return app.status;
}
