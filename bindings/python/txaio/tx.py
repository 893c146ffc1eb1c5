"""txaio on Twisted: futures are Deferreds, failures twisted Failures, timers
IDelayedCalls on the reactor (txaio.config.loop, else the global reactor).

Batched timers are txaio-cpp's core BatchedTimer (O(1) cancel, one re-armed
reactor call) running on the reactor.
"""

import io
import os
import sys
from functools import partial
from time import time_ns, perf_counter_ns  # noqa: F401

from twisted.internet.defer import Deferred, ensureDeferred, fail, succeed
from twisted.logger import (
    ILogObserver, LogLevel, Logger as _Logger, formatEvent, formatTime,
    globalLogBeginner, globalLogPublisher)
from twisted.python.failure import Failure
from zope.interface import provider

from txaio import _Config
from txaio import _logging
from txaio import _private
from txaio import _txaio_core as _core
from txaio._iotype import guess_stream_needs_encoding
from txaio._logging import (  # noqa: F401
    add_log_categories, get_global_log_level, make_logger,
    set_global_log_level)
from txaio.interfaces import IFailedFuture, ILogger, log_levels

using_twisted = True
using_asyncio = False

config = _Config()
_stderr, _stdout = sys.stderr, sys.stdout
_observer = None  # the observer start_logging() installed
# Whether start_logging() let the native emitters write its observer's lines.
direct_log_writes = False

IFailedFuture.register(Failure)
ILogger.register(_Logger)


def with_config(loop=None):
    """The API bound to txaio.config: Twisted has one reactor, so a `loop`
    other than the configured one is a RuntimeError."""
    if loop is not None:
        if config.loop is not None and config.loop is not loop:
            raise RuntimeError(
                "Twisted has only a single, global reactor. You passed in "
                "a reactor different from the one already configured "
                "in txaio.config.loop"
            )
    return _TxApi(config)


_TX_LEVELS = {
    'critical': LogLevel.critical, 'error': LogLevel.error,
    'warn': LogLevel.warn, 'info': LogLevel.info, 'debug': LogLevel.debug,
}
# A Twisted level -> the index in log_levels at which txaio's observer
# starts writing it.
_TX_LEVEL_INDEX = {tx: log_levels.index(name)
                   for name, tx in _TX_LEVELS.items()}
# Per txaio level: its TwistedEmitter's arguments after the logger (trace
# is debug, marked).
_EMITTER_ARGS = tuple(
    (name, _TX_LEVELS.get(name, LogLevel.debug),
     _TX_LEVEL_INDEX[_TX_LEVELS.get(name, LogLevel.debug)], name == 'trace')
    for name in log_levels if name != 'none')


def _tx_emit(tx_logger, level, *args, **kwargs):
    if "log_category" in kwargs and kwargs["log_category"] in \
            _logging._categories:
        args = ()
        kwargs["format"] = _logging._categories[kwargs["log_category"]]
    tx_logger.emit(level, *args, **kwargs)


def _tx_trace(tx_logger, *args, **kwargs):
    # Twisted has no trace level: trace is debug, marked.
    _tx_emit(tx_logger, LogLevel.debug, *args, txaio_trace=True, **kwargs)


def _make_sink(logger):
    factory = logger._tx_logger_factory or _Logger
    tx_logger = factory(observer=logger._observer, namespace=logger.namespace)
    if type(tx_logger) is _Logger:
        # Native: builds Logger.emit's event and, when only our observer
        # would see it, writes the observer's line itself.
        categories = _logging._categories
        emitters = {
            name: _core.TwistedEmitter(tx_logger, level, index, categories,
                                       trace)
            for name, level, index, trace in _EMITTER_ARGS}
    else:
        # A Logger subclass may override emit(): call it.
        emitters = {name: partial(_tx_emit, tx_logger, level)
                    for name, level in _TX_LEVELS.items()}
        emitters['trace'] = partial(_tx_trace, tx_logger)
    emitters['failure'] = tx_logger.failure
    return tx_logger, emitters


def _log_line(when, text):
    # The core's text log line, its local time with UTC offset as Twisted's
    # formatTime(when) writes it: the one layout the native emitters write
    # too. An event without a time reads formatTime's "-".
    if isinstance(when, (int, float)):
        return _core.format_log_line(when, text, True, os.linesep)
    return '{0} {1}{2}'.format(formatTime(when), text, os.linesep)


@provider(ILogObserver)
class _LogObserver(object):
    """Writes events at or above txaio's global level to a file, one line
    each."""

    # txaio level name -> Twisted LogLevel; upstream's public-looking class
    # attribute, which its tests and callers building events use.
    to_tx = dict(_TX_LEVELS, trace=LogLevel.debug)

    def __init__(self, out):
        self._file = out
        self._encode = guess_stream_needs_encoding(out)

    def _acceptable_level(self, level):
        # The global level as it is now (txaio's observer keeps the one it
        # first saw: its issue #179).
        index = _TX_LEVEL_INDEX.get(level)
        return (index is not None and
                index <= log_levels.index(_logging._log_level))

    def __call__(self, event):
        # Logger.failure() events carry no format, only the failure.
        if event['log_format'] is None:
            text = failure_format_traceback(event['log_failure'])
        elif ('log_level' in event and
              self._acceptable_level(event['log_level'])):
            text = formatEvent(event)
        else:
            return
        msg = _log_line(event["log_time"], text)
        if self._encode:
            msg = msg.encode('utf8')
        self._file.write(msg)


def start_logging(out=_stdout, level='info'):
    """Starts Twisted logging to the file object `out` (stdout by default)
    at `level`; later calls do nothing."""
    global _observer
    if not _logging.begin_logging(level, 'twisted'):
        return
    if out:
        _observer = _LogObserver(out)
    globalLogBeginner.beginLoggingTo([_observer] if _observer else [])
    # Events that only this observer would see are written by the loggers'
    # native emitters (see TwistedEmitter), which read the publisher's
    # private _observers list: only when it is one.
    global direct_log_writes
    direct_log_writes = bool(
        _observer and not _private.FORCED_PUBLIC and
        isinstance(getattr(globalLogPublisher, '_observers', None), list))
    if direct_log_writes:
        _core.set_twisted_observer(_observer, globalLogPublisher, out,
                                   _observer._encode, os.linesep, _logging)


_unspecified = object()

# Where a Deferred keeps its callback pairs: `callbacks` up to Twisted
# 25.4, `_callbacks` since 25.5 (`callbacks` is then a deprecated read-only
# property over it). The fast paths write and read this field directly.
_CALLBACKS_FIELD = ('_callbacks' if '_callbacks' in vars(Deferred())
                    else 'callbacks')
_NEW_LAYOUT = _CALLBACKS_FIELD == '_callbacks'


def _setup(private):
    from twisted.internet import defer
    _core.tx_setup(Deferred, Failure, succeed, fail, ensureDeferred,
                   _private.coroutine_types(),
                   getattr(defer, '_failthru', None),
                   getattr(defer, '_NONE_KWARGS', None), private,
                   _CALLBACKS_FIELD)


def _deferred_fields_match(api):
    """Whether TxApi, writing Deferreds' fields itself (tx.cc), leaves every
    Deferred as Twisted's own methods do, on each path it takes; and
    whether the other private names used are there. Run once at import."""
    from twisted.internet import defer

    def cb(result):
        return result + 1
    try:
        if (not hasattr(defer, '_failthru') or
                not hasattr(defer, '_NONE_KWARGS')):
            return False
        ours, theirs = api.create_future(), Deferred()
        if vars(ours) != vars(theirs):
            return False
        if vars(api.create_future_success(1)) != vars(succeed(1)):
            return False
        api.add_callbacks(ours, cb, None)
        theirs.addCallbacks(cb)
        if vars(ours) != vars(theirs):
            return False
        api.resolve(ours, 1)
        theirs.callback(1)
        d = Deferred()
        probe = (d.called, d.paused, d._chainedTo, d._debugInfo,
                 getattr(d, _CALLBACKS_FIELD))
        return (vars(ours) == vars(theirs) and ours.result == 2 and
                probe == (False, 0, None, None, []))
    except Exception:
        return False


class _TxApi(_core.TxApi):
    """The txaio API over a reactor configuration (see with_config).

    The per-call hot methods come from the native base: create_future
    (without arguments), create_future_success, as_future, resolve,
    is_called and add_callbacks."""

    def failure_message(self, fail):
        try:
            return '{0}: {1}'.format(
                fail.value.__class__.__name__, fail.getErrorMessage())
        except Exception:
            return 'Failed to produce failure message for "{0}"'.format(fail)

    def failure_traceback(self, fail):
        return fail.tb

    def failure_format_traceback(self, fail):
        try:
            f = io.StringIO()
            fail.printTraceback(file=f)
            return f.getvalue()
        except Exception:
            return "Failed to format failure traceback for '{0}'".format(fail)

    def _create_future(self, result=_unspecified, error=_unspecified,
                       canceller=None):
        # create_future with arguments (without, it is TxApi's).
        if result is not _unspecified and error is not _unspecified:
            raise ValueError("Cannot have both result and error.")
        f = Deferred(canceller=canceller)
        if result is not _unspecified:
            f.callback(result)
        elif error is not _unspecified:
            self.reject(f, error)
        return f

    def create_future_error(self, error=None):
        return fail(create_failure(error))

    def is_future(self, obj):
        return isinstance(obj, Deferred)

    def call_later(self, delay, fun, *args, **kwargs):
        return self._get_loop().callLater(delay, fun, *args, **kwargs)

    def make_batched_timer(self, bucket_seconds, chunk_size=100, *,
                           never_early=False):
        """An IBatchedTimer whose calls are quantized into buckets of
        `bucket_seconds` and run `chunk_size` at a time.

        Deadlines are quantized as upstream txaio does (whole seconds,
        floored to a bucket: a call may run up to a bucket early); with
        never_early, rounded up to the next bucket boundary instead, so no
        call runs before its delay (txaio-cpp's core rule)."""
        return _core.BatchedTimer(bucket_seconds, chunk_size, self._config,
                                  _default_reactor, True, never_early)

    def reject(self, future, error=None):
        if error is None:
            error = create_failure()
        elif isinstance(error, Exception):
            error = Failure(error)
        elif not isinstance(error, Failure):
            raise RuntimeError("reject requires a Failure or Exception")
        future.errback(error)

    def cancel(self, future, msg=None):
        # Deferred.cancel takes no message; `msg` is accepted for asyncio
        # parity.
        future.cancel()

    def create_failure(self, exception=None):
        """A Failure for `exception`, or (without one) for the exception
        being handled: then call it only inside an except block."""
        if exception:
            return Failure(exception)
        return Failure()

    def gather(self, futures, consume_exceptions=True):
        """A Deferred for the list of results (Failures included) of
        `futures`."""
        return _gather(futures, consume_exceptions)

    def sleep(self, delay):
        """A Deferred fired with None after `delay` seconds."""
        d = Deferred()
        self._get_loop().callLater(delay, d.callback, None)
        return d

    def _get_loop(self):
        # Imported on first use, so an application can install another
        # reactor before that.
        if self._config.loop is None:
            from twisted.internet import reactor
            self._config.loop = reactor
        return self._config.loop


class _Gathering(object):
    """One gather(): a slot per child and the Deferred that fires with them.

    A child that has already fired (no callbacks left, not paused, not
    waiting on another Deferred) is read directly, and its failure consumed
    the way Twisted's own chaining steals a result; any other child gets one
    callback pair. The outcome matches txaio's DeferredList-based gather:
    every child's value or Failure, in order, or with consume_exceptions
    False the first Failure in input order once all have fired.
    """

    __slots__ = ('children', 'results', 'pending', 'consume', 'outer')

    def __init__(self, children, consume):
        self.children = children
        self.results = [None] * len(children)
        self.pending = len(children)
        self.consume = consume
        self.outer = Deferred(canceller=self.cancel_children)

    def cancel_children(self, outer):
        for child in self.children:
            child.cancel()

    def ok(self, result, index):
        self.results[index] = result
        self.pending -= 1
        if self.pending == 0:
            self.finish()
        return result

    def failed(self, failure, index):
        self.results[index] = failure
        self.pending -= 1
        if self.pending == 0:
            self.finish()
        return None if self.consume else failure

    def finish(self):
        if not self.consume:
            for value in self.results:
                if isinstance(value, Failure):
                    self.outer.errback(value)
                    return
        self.outer.callback(self.results)


def _gather(futures, consume):
    children = list(futures)
    g = _Gathering(children, consume)
    results = g.results
    pending = []
    fast, new_layout = private_internals, _NEW_LAYOUT  # locals: per child
    for index, d in enumerate(children):
        if (fast and d.called and
                not (d._callbacks if new_layout else d.callbacks) and
                not d.paused and d._chainedTo is None):
            result = d.result
            if isinstance(result, Failure):
                if consume:
                    d.result = None
                    if d._debugInfo is not None:
                        d._debugInfo.failResult = None
            results[index] = result
            g.pending -= 1
        else:
            pending.append(index)
    for index in pending:
        children[index].addCallbacks(g.ok, g.failed, callbackArgs=(index,),
                                     errbackArgs=(index,))
    if g.pending == 0 and not g.outer.called:
        g.finish()
    return g.outer


def _default_reactor():
    from twisted.internet import reactor
    config.loop = reactor
    return reactor


# Whether the native TxApi and _gather may use Deferreds' private fields
# (see txaio._private); else Twisted's public methods do everything.
private_internals = False
if not _private.FORCED_PUBLIC:
    _setup(True)
    private_internals = _deferred_fields_match(_TxApi(_Config()))
_setup(private_internals)

_default_api = _TxApi(config)

failure_message = _default_api.failure_message
failure_traceback = _default_api.failure_traceback
failure_format_traceback = _default_api.failure_format_traceback
create_future = _default_api.create_future
create_future_success = _default_api.create_future_success
create_future_error = _default_api.create_future_error
as_future = _default_api.as_future
is_future = _default_api.is_future
call_later = _default_api.call_later
make_batched_timer = _default_api.make_batched_timer
is_called = _default_api.is_called
resolve = _default_api.resolve
reject = _default_api.reject
cancel = _default_api.cancel
create_failure = _default_api.create_failure
add_callbacks = _default_api.add_callbacks
gather = _default_api.gather
sleep = _default_api.sleep
