"""The interfaces txaio documents: ILogger, IFailedFuture, IBatchedTimer.

Same classes and names as upstream txaio's ``txaio.interfaces`` so that code
doing ``isinstance(x, IFailedFuture)`` or ``IFailedFuture.register(...)``
keeps working.
"""

import abc

from txaio import _txaio_core

#: every log level txaio knows, most severe first ('none' disables logging):
#: the core's table (core/log_level.h), as upstream's list
log_levels = list(_txaio_core.log_levels)


class IBatchedTimer(abc.ABC):
    """What make_batched_timer() returns.

    call_later() speaks txaio.call_later's API and returns an object with a
    ``cancel()`` method; calls are quantized into buckets and run in chunks
    close to (never long after) their delay.
    """

    def call_later(self, delay, func, *args, **kw):
        """Schedules func(*args, **kw); returns an object with cancel()."""


class ILogger(abc.ABC):
    """The methods of the object make_logger() returns.

    Each takes a PEP 3101 format string and keyword arguments it refers to;
    ``log_time`` and ``log_level`` are added to the keywords.
    """

    def critical(self, message, **kwargs):
        "log a critical-level message"

    def error(self, message, **kwargs):
        "log an error-level message"

    def warn(self, message, **kwargs):
        "log a warning-level message"

    def info(self, message, **kwargs):
        "log an info-level message"

    def debug(self, message, **kwargs):
        "log a debug-level message"

    def trace(self, message, **kwargs):
        "log a trace-level message"


class IFailedFuture(abc.ABC):
    """What an errback receives: the failure of a future.

    Use txaio.failure_message() / failure_traceback() /
    failure_format_traceback() on it, or ``.value`` for the exception.
    """

    @property
    @abc.abstractmethod
    def value(self):
        """The exception instance (sys.exc_info()[1])."""
