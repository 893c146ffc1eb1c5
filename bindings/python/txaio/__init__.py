"""txaio: one async API over asyncio and Twisted, backed by txaio-cpp's core.

A drop-in replacement for the ``txaio`` package: the same names, submodules
and behaviour, returning the frameworks' native objects (asyncio Future and
TimerHandle, Twisted Deferred, IDelayedCall and Failure). Select a framework
first with use_asyncio() or use_twisted(); until then every call fails with
txaio's usage error, except time_ns(), perf_counter_ns() and make_logger().
"""

import importlib
from txaio._version import __version__
from txaio.interfaces import IFailedFuture, ILogger  # noqa: F401

version = __version__


class _Config(object):
    """Per-API configuration; ``loop`` is the asyncio loop or the reactor
    to use, None for the framework's default."""

    #: the event loop (asyncio) or reactor (Twisted); None for the default
    loop = None


__all__ = (
    'with_config',
    'using_twisted',
    'using_asyncio',
    'use_twisted',
    'use_asyncio',

    'config',

    'create_future',
    'create_future_success',
    'create_future_error',
    'create_failure',
    'as_future',
    'is_future',
    'reject',
    'resolve',
    'cancel',
    'add_callbacks',
    'gather',
    'is_called',

    'call_later',

    'failure_message',
    'failure_traceback',
    'failure_format_traceback',

    'make_batched_timer',

    'make_logger',
    'start_logging',
    'set_global_log_level',
    'get_global_log_level',
    'add_log_categories',

    'IFailedFuture',
    'ILogger',

    'sleep',
    'time_ns',
    'perf_counter_ns',
)


_explicit_framework = None


def use_twisted():
    """Selects Twisted; RuntimeError if asyncio was selected already."""
    _select_framework('twisted', 'txaio.tx')


def use_asyncio():
    """Selects asyncio; RuntimeError if Twisted was selected already."""
    _select_framework('asyncio', 'txaio.aio')


def _select_framework(name, module_name):
    global _explicit_framework
    if _explicit_framework is not None and _explicit_framework != name:
        raise RuntimeError(
            "Explicitly using '{}' already".format(_explicit_framework))
    _explicit_framework = name
    _use_framework(importlib.import_module(module_name))
    import txaio
    txaio.using_twisted = name == 'twisted'
    txaio.using_asyncio = name == 'asyncio'


def _use_framework(module):
    # Rebinds this module's API names to `module`'s, so that mock.patch on
    # txaio.<name> keeps working as with upstream txaio.
    import txaio
    for method_name in __all__:
        if method_name in ('use_twisted', 'use_asyncio'):
            continue
        setattr(txaio, method_name, getattr(module, method_name))
    from txaio import _logging
    _logging.select_framework(module)


from txaio import _txaio_core  # noqa: E402
from txaio.interfaces import IBatchedTimer  # noqa: E402
IBatchedTimer.register(_txaio_core.BatchedTimer)

from txaio import _unframework  # noqa: E402
_use_framework(_unframework)
