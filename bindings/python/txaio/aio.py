"""txaio on asyncio: futures are asyncio Futures, timers TimerHandles.

The hot paths call into txaio-cpp's native module: the add_callbacks record
is one native object (no closure), gather runs in native code over the
children, and batched timers are txaio-cpp's core BatchedTimer (O(1) cancel,
one re-armed loop timer) running on the asyncio loop.
"""

import asyncio
import io
import logging
import os
import sys
import traceback
from asyncio import Future, iscoroutine, get_event_loop
from functools import partial
from time import time_ns, perf_counter_ns  # noqa: F401

from txaio import _Config
from txaio import _logging
from txaio import _private
from txaio import _txaio_core as _core
from txaio._iotype import guess_stream_needs_encoding
from txaio._logging import (  # noqa: F401
    add_log_categories, get_global_log_level, make_logger,
    set_global_log_level)
from txaio.interfaces import IFailedFuture, ILogger  # noqa: F401

using_twisted = False
using_asyncio = True

config = _Config()

_stderr, _stdout = sys.stderr, sys.stdout


def with_config(loop=None):
    """An API object like the txaio module whose calls use `loop`; it does
    not change the global configuration."""
    cfg = _Config()
    if loop is not None:
        cfg.loop = loop
    return _AsyncioApi(cfg)


class FailedFuture(IFailedFuture):
    """The IFailedFuture errbacks receive under asyncio: the exception with
    its type and traceback, as sys.exc_info() gives them."""

    __slots__ = ('_type', '_value', '_traceback')

    def __init__(self, type_, value, traceback):
        self._type = type_
        self._value = value
        self._traceback = traceback

    @property
    def value(self):
        return self._value

    def __str__(self):
        return str(self.value)


# Whether the native gather and create_future may use asyncio's private
# parts (see txaio._private); else they call asyncio's public API.
private_internals = _private.asyncio_shape_ok()
_core.aio_setup(FailedFuture, asyncio.CancelledError, asyncio.Future,
                asyncio.gather,
                getattr(asyncio.tasks, '_GatheringFuture', None),
                _private.coroutine_types(),
                asyncio.BaseEventLoop.create_future, asyncio,
                private_internals)


class _TxaioFileHandler(logging.Handler):
    """The logging handler start_logging() installs: one line per record,
    '<local time> <message>', to a file object."""

    def __init__(self, fileobj, **kw):
        super().__init__(**kw)
        self._file = fileobj
        self._encode = guess_stream_needs_encoding(fileobj)

    def emit(self, record):
        if isinstance(record.args, dict):
            fmt = record.args.get(
                'log_format', record.args.get('log_message', ''))
            message = fmt.format(**record.args)
            when = record.args.get('log_time', 0)
        else:
            message = record.getMessage()
            if record.levelno >= 40 and record.exc_info:
                message += '\n' + ''.join(
                    traceback.format_exception(*record.exc_info))
            when = record.created
        # The core's text log line, its local time without UTC offset (as
        # datetime.fromtimestamp(when).strftime("%Y-%m-%dT%H:%M:%S%z")
        # writes it): the one layout the native emitters write too.
        msg = _core.format_log_line(when, message, False, os.linesep)
        if self._encode:
            msg = msg.encode('utf8')
        self._file.write(msg)


def _make_sink(logger):
    return _logging._make_stdlib_sink(logger)


def start_logging(out=_stdout, level='info'):
    """Starts logging to the file object `out` (stdout by default) at
    `level`; later calls do nothing."""
    if not _logging.begin_logging(level, 'asyncio'):
        return
    handler = _TxaioFileHandler(out)
    logging.getLogger().addHandler(handler)
    logging.raiseExceptions = True
    logging.getLogger().setLevel(_logging._STDLIB_LEVELS.get(level, 60))
    # Records that reach only this handler are written without building a
    # LogRecord (see StdlibEmitter); anything else goes through logging.
    if _private.logging_shape_ok():
        _core.set_direct_handler(handler, out, handler._encode, os.linesep)


_unspecified = object()


class _AsyncioApi(_core.AioApi):
    """The txaio API bound to one configuration (see with_config).

    The per-call hot methods come from the native base: create_future
    (without arguments), create_future_success, as_future, resolve,
    is_called and add_callbacks; create_future with arguments lands in
    _create_future."""

    using_twisted = False
    using_asyncio = True

    @property
    def _loop(self):
        # The configured loop, else the current thread's (looked up on each
        # call: the API may be used from several threads' loops).
        return self._config.loop or get_event_loop()

    def failure_message(self, fail):
        try:
            return '{0}: {1}'.format(
                fail._value.__class__.__name__, str(fail._value))
        except Exception:
            return 'Failed to produce failure message for "{0}"'.format(fail)

    def failure_traceback(self, fail):
        return fail._traceback

    def failure_format_traceback(self, fail):
        try:
            f = io.StringIO()
            traceback.print_exception(
                fail._type, fail.value, fail._traceback, file=f)
            return f.getvalue()
        except Exception:
            return "Failed to format failure traceback for '{0}'".format(fail)

    def _create_future(self, result=_unspecified, error=_unspecified,
                       canceller=_unspecified):
        if result is not _unspecified and error is not _unspecified:
            raise ValueError("Cannot have both result and error.")
        f = (self._config.loop or get_event_loop()).create_future()
        if result is not _unspecified:
            f.set_result(result)
        elif error is not _unspecified:
            self.reject(f, error)
        # Twisted's way to cancel: a one-argument callable called with the
        # future when it is cancelled.
        if canceller is not _unspecified and canceller is not None:
            f.add_done_callback(_core.AioCanceller(canceller))
        return f

    def create_future_error(self, error=None):
        f = (self._config.loop or get_event_loop()).create_future()
        self.reject(f, error)
        return f

    def is_future(self, obj):
        return isinstance(obj, Future) or iscoroutine(obj)

    def call_later(self, delay, fun, *args, **kwargs):
        # Upstream wraps fun in functools.partial, which raises this;
        # asyncio itself checks only in debug mode.
        if not callable(fun):
            raise TypeError('the first argument must be callable')
        loop = self._config.loop or get_event_loop()
        if kwargs:
            # asyncio's call_later takes no keyword arguments.
            return loop.call_later(delay, partial(fun, *args, **kwargs))
        return loop.call_later(delay, fun, *args)

    def make_batched_timer(self, bucket_seconds, chunk_size=100, *,
                           never_early=False):
        """An IBatchedTimer whose calls are quantized into buckets of
        `bucket_seconds` and run `chunk_size` at a time.

        Deadlines are quantized as upstream txaio does (whole seconds,
        floored to a bucket: a call may run up to a bucket early); with
        never_early, rounded up to the next bucket boundary instead, so no
        call runs before its delay (txaio-cpp's core rule)."""
        return _core.BatchedTimer(bucket_seconds, chunk_size, self._config,
                                  get_event_loop, False, never_early)

    def reject(self, future, error=None):
        if error is None:
            error = create_failure()  # requires an active exception
        elif isinstance(error, Exception):
            future.set_exception(error)
            return
        elif not isinstance(error, IFailedFuture):
            raise RuntimeError("reject requires an IFailedFuture or Exception")
        future.set_exception(error.value)

    def cancel(self, future, msg=None):
        future.cancel(msg)

    def create_failure(self, exception=None):
        """An IFailedFuture for `exception`, or (without one) for the
        exception being handled: then call it only inside an except block."""
        if exception:
            return FailedFuture(type(exception), exception, None)
        return FailedFuture(*sys.exc_info())

    def gather(self, futures, consume_exceptions=True):
        """A future for the list of results of `futures` (exceptions
        included when consume_exceptions)."""
        return _core.aio_gather(futures, consume_exceptions)

    def sleep(self, delay):
        """A future resolved after `delay` seconds."""
        return asyncio.ensure_future(asyncio.sleep(delay))


_default_api = _AsyncioApi(config)

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
