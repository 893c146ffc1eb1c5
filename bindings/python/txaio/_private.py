"""Which private internals the native extension may rely on.

Where a benchmark showed the public API costing measurable time, the
extension reads or writes private parts of asyncio (the C Future's
_cancel_message and _make_cancelled_error, tasks._GatheringFuture and its
_cancel_requested, coroutines._COROUTINE_TYPES), of Twisted (Deferred's
fields, defer._failthru and _NONE_KWARGS, LogPublisher._observers), of
logging (a Logger's manager, handlers and filters) and one private CPython
function (_PyObject_GetMethod, fixed by the cp311 build). txaio.aio and
txaio.tx check the shape of each once at import (asyncio_shape_ok,
txaio.tx._deferred_fields_match) and use the public API wherever one does
not match, or everywhere when the environment variable TXAIO_CPP_PUBLIC_API
is set to a non-empty value (CI runs the suites both ways;
docs/python.md lists each place).
"""

import collections.abc
import os

FORCED_PUBLIC = bool(os.environ.get('TXAIO_CPP_PUBLIC_API'))


def coroutine_types():
    """What asyncio.iscoroutine accepts (its private tuple, else the public
    ABC it includes)."""
    import asyncio.coroutines
    return getattr(asyncio.coroutines, '_COROUTINE_TYPES',
                   (collections.abc.Coroutine,))


class _ProbeLoop(object):
    # Enough of a loop for Futures that never schedule a callback.
    def get_debug(self):
        return False


def asyncio_shape_ok():
    """Whether asyncio's private parts the native gather and create_future
    use are there and behave as in CPython 3.11."""
    if FORCED_PUBLIC:
        return False
    try:
        import asyncio
        loop = _ProbeLoop()
        f = asyncio.Future(loop=loop)
        f.cancel('probe')
        gathering = asyncio.tasks._GatheringFuture([], loop=loop)
        return (f._cancel_message == 'probe' and
                isinstance(f._make_cancelled_error(),
                           asyncio.CancelledError) and
                gathering._cancel_requested is False and
                hasattr(asyncio.coroutines, '_COROUTINE_TYPES') and
                asyncio.BaseEventLoop.create_future.__code__.co_argcount == 1)
    except Exception:
        return False


def logging_shape_ok():
    """Whether the stdlib Logger attributes StdlibEmitter reads to decide
    that a record would only reach start_logging()'s handler are there."""
    if FORCED_PUBLIC:
        return False
    import logging
    root = logging.getLogger()
    return (isinstance(root.manager.disable, int) and
            isinstance(root.handlers, list) and
            isinstance(root.filters, list) and
            isinstance(root.propagate, bool) and
            isinstance(root.disabled, bool))
