#!/usr/bin/perl
# The Perl binding (SWIG over txaio.h): futures with Perl values and code
# refs, failures, cancellation, gather, timers, batched timers, loop control
# and the errors every bad call dies with.
use strict;
use warnings;
use Test::More;
use Txaio;

sub dies_like(&$$) {
  my ($code, $pattern, $name) = @_;
  my $ok = eval { $code->(); 1 };
  ok(!$ok, "$name dies");
  like($@, $pattern, "$name: message");
}

is(Txaio::version(), "0.1.0", "version");
ok(Txaio::time_ns() > 1_600_000_000 * 1e9, "time_ns");
ok(Txaio::perf_counter_ns() <= Txaio::perf_counter_ns(), "perf_counter_ns");

my $loop = Txaio::loop_new_manual();
is(Txaio::loop_framework($loop), "manual", "framework");
is(Txaio::loop_now($loop), 0, "manual clock starts at 0");

# --- futures: Perl values, callbacks not inline and not chained
{
  my $f = Txaio::future_new($loop);
  my @seen;
  Txaio::future_add_callbacks($f, sub { push @seen, "a:$_[0]{answer}" },
                              sub { push @seen, "error" });
  Txaio::future_add_callbacks($f, sub { push @seen, "b:$_[0]{answer}" });
  Txaio::future_resolve($f, { answer => 42 });
  is_deeply(\@seen, [], "callbacks never run inline");
  Txaio::loop_run_until_idle($loop);
  is_deeply(\@seen, ["a:42", "b:42"], "every callback sees the same value");
  is(Txaio::future_result($f)->{answer}, 42, "future_result");
  is(Txaio::future_is_called($f), 1, "is_called");
  is(Txaio::future_state_get($f), $Txaio::TXAIO_FUTURE_SUCCEEDED, "state");
  dies_like { Txaio::future_resolve($f, 1) }
      qr/^TXAIO_ERR_ALREADY_CALLED: txaio_future_resolve/, "resolve twice";
  my $copy = Txaio::future_copy($f);
  is(Txaio::future_result($copy)->{answer}, 42, "copy shares the future");
}

# --- failures, errbacks, a dying callback
{
  my $failure = Txaio::failure_new(42, "boom");
  is(Txaio::failure_message($failure), "txaio_error: boom", "failure_message");
  is(Txaio::failure_type_name($failure), "txaio_error", "type name");
  is(Txaio::failure_what($failure), "boom", "what");
  is(Txaio::failure_code($failure), 42, "code");
  is(Txaio::failure_is_cancelled($failure), 0, "not cancelled");
  ok(Txaio::failure_traceback_size($failure) > 0, "traceback captured");
  my ($address, $symbol) = Txaio::failure_traceback_frame($failure, 0);
  ok($address > 0 && length $symbol, "traceback frame");
  like(Txaio::failure_format_traceback($failure), qr/txaio_error: boom/,
       "format_traceback");
  dies_like { Txaio::failure_traceback_frame($failure, 100000) }
      qr/^TXAIO_ERR_INVALID_ARGUMENT: .*out of range/, "frame out of range";

  my $f = Txaio::future_new($loop);
  my $code;
  Txaio::future_add_callbacks($f, undef,
                              sub { $code = Txaio::failure_code($_[0]) });
  Txaio::future_reject($f, $failure);
  Txaio::loop_run_until_idle($loop);
  is($code, 42, "errback gets the failure");
  dies_like { Txaio::future_result($f) } qr/^TXAIO_ERR_FAILED/, "result";
  is(Txaio::failure_code(Txaio::future_failure($f)), 42, "future_failure");

  my $g = Txaio::future_new_success($loop, "v");
  my $message;
  Txaio::future_add_callbacks($g, sub { die "bad value $_[0]\n" },
                              sub { $message = Txaio::failure_what($_[0]) });
  Txaio::loop_run_until_idle($loop);
  is($message, "bad value v", "a dying callback goes to its errback");

  my $e = Txaio::future_new_error($loop, $failure);
  is(Txaio::failure_code(Txaio::future_failure($e)), 42, "new_error");
}

# --- unhandled failures
{
  my @unhandled;
  Txaio::set_unhandled_failure_handler(
      sub { push @unhandled, Txaio::failure_what($_[0]) });
  my $f = Txaio::future_new_success($loop, 1);
  Txaio::future_add_callbacks($f, sub { die "nobody catches this\n" });
  Txaio::loop_run_until_idle($loop);
  is_deeply(\@unhandled, ["nobody catches this"], "unhandled handler");
  Txaio::set_unhandled_failure_handler(undef);
}

# --- cancel, with and without a canceller
{
  my $cancelled_with;
  my $f = Txaio::future_new($loop, sub { $cancelled_with = "canceller ran" });
  my $what;
  Txaio::future_add_callbacks($f, undef, sub {
    $what = Txaio::failure_is_cancelled($_[0]) . ":" .
            Txaio::failure_what($_[0]);
  });
  is(Txaio::future_cancel($f, "stop it"), 1, "cancel a pending future");
  is(Txaio::future_cancel($f, undef), 0, "cancel twice: no-op");
  Txaio::loop_run_until_idle($loop);
  is($cancelled_with, "canceller ran", "canceller");
  is($what, "1:stop it", "errback sees the cancellation");
  dies_like { Txaio::future_result($f) } qr/^TXAIO_ERR_CANCELLED/,
      "result of a cancelled future";
  Txaio::future_resolve($f, 1);  # after cancel: a documented no-op
  pass("resolve after cancel is a no-op");

  my $h = Txaio::future_new($loop, sub { Txaio::future_resolve($_[0], "late") });
  Txaio::future_cancel($h, undef);
  is(Txaio::future_result($h), "late", "a canceller may resolve");
}

# --- as_future
{
  my $ok = Txaio::as_future($loop, sub { return [1, 2, 3] });
  is_deeply(Txaio::future_result($ok), [1, 2, 3], "as_future value");
  my $bad = Txaio::as_future($loop, sub { die "as_future failed\n" });
  is(Txaio::failure_what(Txaio::future_failure($bad)), "as_future failed",
     "as_future die");
}

# --- gather
{
  my @in = map { Txaio::future_new($loop) } 1 .. 3;
  my $all = Txaio::gather($loop, \@in, 1);
  my $first = Txaio::gather($loop, \@in, 0);
  Txaio::future_resolve($in[2], "c");
  Txaio::future_reject($in[1], Txaio::failure_new(2, "second"));
  Txaio::future_resolve($in[0], "a");
  Txaio::loop_run_until_idle($loop);
  my $results = Txaio::future_result($all);
  is(scalar @$results, 3, "gather: one result per input");
  is($results->[0], "a", "gather: in input order");
  is($results->[2], "c", "gather: in input order (last)");
  is(Txaio::failure_code($results->[1]), 2, "gather: failures as objects");
  is(Txaio::failure_code(Txaio::future_failure($first)), 2,
     "gather without consume_exceptions fails");
  my $none = Txaio::gather($loop, [], 1);
  Txaio::loop_run_until_idle($loop);
  is_deeply(Txaio::future_result($none), [], "gather of nothing");
  dies_like { Txaio::gather($loop, [undef], 1) }
      qr/^TXAIO_ERR_INVALID_HANDLE: .*futures\[0\] is NULL/, "gather bad input";
}

# --- timers on the manual clock
{
  my @fired;
  my $late = Txaio::call_later($loop, 2.0, sub { push @fired, "2s" });
  my $early = Txaio::call_later($loop, 1.0, sub { push @fired, "1s" });
  Txaio::call_soon($loop, sub { push @fired, "soon" });
  is(Txaio::loop_pending_timers($loop), 2, "pending timers");
  is(Txaio::delayed_call_when($early), 1.0, "when");
  Txaio::loop_advance($loop, 1.0);
  is_deeply(\@fired, ["soon", "1s"], "timers fire in order on advance");
  is(Txaio::delayed_call_active($late), 1, "still active");
  is(Txaio::delayed_call_cancel($late), 1, "cancel");
  is(Txaio::delayed_call_cancel($late), 0, "cancel twice: no-op");
  Txaio::loop_advance($loop, 5);
  is_deeply(\@fired, ["soon", "1s"], "a cancelled call never runs");

  my $nap = Txaio::sleep($loop, 3);
  Txaio::loop_advance($loop, 2.9);
  is(Txaio::future_is_called($nap), 0, "sleep: not before its time");
  Txaio::loop_advance($loop, 0.1);
  is(Txaio::future_is_called($nap), 1, "sleep: done");

  for my $bad (-1, "nan", "inf") {
    dies_like { Txaio::call_later($loop, $bad, sub {}) }
        qr/^TXAIO_ERR_INVALID_ARGUMENT: txaio_call_later: .*delay/,
        "call_later($bad)";
  }
  dies_like { Txaio::loop_advance($loop, -1) }
      qr/^TXAIO_ERR_INVALID_ARGUMENT/, "advance(-1)";
  dies_like { Txaio::loop_run($loop) } qr/^TXAIO_ERR_UNSUPPORTED: .*never end/,
      "run on a manual loop with nothing scheduled";
}

# --- batched timers
{
  my $timer = Txaio::batched_timer_new($loop, 0.1, 2);
  my (@ran, @errors);
  Txaio::batched_timer_set_error_handler($timer, sub {
    push @errors, map { Txaio::failure_what($_) } @{ $_[0] };
  });
  Txaio::batched_timer_call_later($timer, 0.25, sub { push @ran, $_ })
      for 1 .. 1;
  my $gone = Txaio::batched_timer_call_later($timer, 0.25,
                                             sub { push @ran, "cancelled" });
  Txaio::batched_timer_call_later($timer, 0.25, sub { die "first\n" });
  Txaio::batched_timer_call_later($timer, 0.25, sub { die "second\n" });
  is(Txaio::batched_timer_pending($timer), 4, "batched pending");
  is(Txaio::batched_timer_loop_timers($timer), 1, "one loop timer per bucket");
  is(Txaio::batched_call_cancel($gone), 1, "batched cancel");
  is(Txaio::batched_call_active($gone), 0, "cancelled call is inactive");
  Txaio::loop_advance($loop, 0.24);
  is(scalar @ran, 0, "batched: not before the deadline");
  Txaio::loop_advance($loop, 0.11);
  is(scalar @ran, 1, "batched: within one bucket");
  is_deeply(\@errors, ["first", "second"], "batched errors reported together");
  dies_like { Txaio::batched_timer_new($loop, 0, 10) }
      qr/^TXAIO_ERR_INVALID_ARGUMENT/, "bucket of 0 s";
  dies_like { Txaio::batched_timer_new($loop, 0.1, 0) }
      qr/^TXAIO_ERR_INVALID_ARGUMENT/, "chunk size 0";
}

# --- the Asio loop, for real
{
  my $asio = Txaio::loop_new_asio();
  is(Txaio::loop_framework($asio), "asio", "asio framework");
  my $nap = Txaio::sleep($asio, 0.005);
  my $fired = 0;
  Txaio::call_later($asio, 0.001, sub { $fired++ });
  Txaio::loop_run_until_complete($asio, $nap);
  is($fired, 1, "asio: timer fired before the sleep ended");
  Txaio::call_soon($asio, sub { Txaio::loop_stop($asio) });
  Txaio::loop_run($asio);
  pass("asio: run until stopped");
  ok(eval { Txaio::loop_advance($asio, 0.001); 1 },
     "advance on an asio loop waits");
  dies_like { Txaio::loop_run_until_complete($loop, $nap) }
      qr/^TXAIO_ERR_INVALID_ARGUMENT: .*another loop/, "future of another loop";
}

# --- logging
{
  my @events;
  my $id = Txaio::add_log_observer(sub { push @events, [@_[0 .. 2]] });
  Txaio::set_global_log_level($Txaio::TXAIO_LOG_INFO);
  my $log = Txaio::logger_new("perl.test");
  Txaio::logger_log($log, $Txaio::TXAIO_LOG_INFO, "Got '{result}' from {peer}",
                    { result => "pong", peer => 7 });
  Txaio::logger_log($log, $Txaio::TXAIO_LOG_DEBUG, "hidden");
  is_deeply(\@events,
            [[$Txaio::TXAIO_LOG_INFO, "perl.test", "Got 'pong' from 7"]],
            "logger: formatted, disabled level skipped");
  Txaio::logger_failure($log, "lost {peer}", Txaio::failure_new(1, "reset"),
                        { peer => "x" });
  is($events[-1][2], "lost x", "logger_failure");
  is(Txaio::log_level_parse("trace"), $Txaio::TXAIO_LOG_TRACE, "parse level");
  dies_like { Txaio::log_level_parse("loud") }
      qr/^TXAIO_ERR_INVALID_ARGUMENT: .*valid are/, "invalid level name";
  dies_like { Txaio::logger_log($log, 42, "x") }
      qr/^TXAIO_ERR_INVALID_ARGUMENT: .*invalid log level 42/, "invalid level";
  is(Txaio::remove_log_observer($id), 1, "remove observer");
}

# --- wrong handles are errors, not crashes
dies_like { Txaio::future_resolve(undef, 1) }
    qr/^TXAIO_ERR_INVALID_HANDLE: .*future is NULL/, "NULL future";
dies_like { Txaio::loop_now(undef) } qr/^TXAIO_ERR_INVALID_HANDLE/,
    "NULL loop";

done_testing();
