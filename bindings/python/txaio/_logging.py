"""txaio's loggers, shared by both frameworks and usable before either is
selected.

A logger's level methods (critical ... trace) are attributes bound once per
level change: an enabled level is a ready-made callable that formats and
emits, a disabled one is a shared no-op, so a disabled call costs one
attribute lookup and an empty call. Loggers made before a framework is
selected emit through the standard library's logging and are re-bound to the
framework's sink when one is selected.
"""

import inspect
import weakref
from functools import partial

from txaio import _txaio_core as _core
from txaio.interfaces import ILogger, log_levels

# Every logger made so far, to re-level and re-bind them later.
_loggers = weakref.WeakSet()
_log_level = 'info'  # the global level; start_logging/set_global_log_level
# The frameworks whose start_logging() has run: as upstream, each framework
# starts its logging once (one may start after the other did).
_started_logging = set()
_categories = {}  # log_category -> format string (add_log_categories)
_framework = None  # the selected module (txaio.aio / txaio.tx), or None

_STDLIB_LEVELS = {
    'critical': 50, 'error': 40, 'warn': 30, 'info': 20, 'debug': 10,
    'trace': 10,
}


# What disabled levels are bound to: a native function accepting anything.
_no_op = _core.no_op


def _check_level(level, error=RuntimeError):
    # RuntimeError is what upstream's start_logging raises, ValueError what
    # its set_global_log_level does (from list.index): the types stay
    # upstream's, the message is the core's (core/log_level.h), naming the
    # level and the valid ones as every txaio-cpp layer does.
    if level not in log_levels:
        try:
            _core.parse_log_level(level)
        except ValueError as e:
            raise error(str(e)) from None
        raise error("Invalid log level {0!r}".format(level))  # not reached


def add_log_categories(categories):
    """Adds log_category -> format string mappings."""
    _categories.update(categories)


def select_framework(module):
    """Re-binds every existing logger to `module`'s sink (txaio.aio, .tx or
    the un-framework)."""
    global _framework
    _framework = module if hasattr(module, '_make_sink') else None
    for logger in list(_loggers):
        logger._bind_sink()


def _caller_namespace(frame):
    # The namespace make_logger's caller logs under: the class of `self`
    # when called from a method, else the module (plus the function name).
    if "self" in frame.f_locals:
        cls = frame.f_locals["self"].__class__
        return '{0}.{1}'.format(cls.__module__, cls.__name__)
    namespace = frame.f_globals["__name__"]
    if frame.f_code.co_name != "<module>":
        namespace = namespace + "." + frame.f_code.co_name
    return namespace


class Logger(ILogger):
    """The object make_logger() returns (see txaio.interfaces.ILogger)."""

    def __init__(self, namespace, level=None, logger=None, observer=None):
        self.namespace = namespace
        self._tx_logger_factory = logger
        self._observer = observer
        self._log_level_set_explicitly = level is not None
        self._log_level = level or _log_level
        _check_level(self._log_level)
        self._bind_sink()
        _loggers.add(self)

    def _bind_sink(self):
        if _framework is None:
            self._logger, self._emitters = _make_stdlib_sink(self)
        else:
            self._logger, self._emitters = _framework._make_sink(self)
        self._set_log_level(self._log_level)

    def emit(self, level, *args, **kwargs):
        """Logs at `level` (a name from log_levels) if it is enabled."""
        _check_level(level, ValueError)
        if log_levels.index(self._log_level) < log_levels.index(level):
            return
        return getattr(self, level)(*args, **kwargs)

    def set_log_level(self, level, keep=True):
        """Sets this logger's level; with keep, set_global_log_level no
        longer changes it."""
        _check_level(level)
        self._set_log_level(level)
        self._log_level_set_explicitly = keep

    def _set_log_level(self, level):
        target = log_levels.index(level)
        for idx, name in enumerate(log_levels):
            if name == 'none':
                continue
            setattr(self, name,
                    self._emitters[name] if idx <= target else _no_op)
        self.failure = (self._emitters['failure']
                        if target >= log_levels.index('error') else _no_op)
        self._log_level = level


def make_logger(level=None, logger=None, observer=None):
    """Makes a logger named after the calling class or module.

    `level` pins this logger's level; `logger` (a twisted.logger.Logger
    class) and `observer` are used under Twisted.
    """
    namespace = _caller_namespace(inspect.currentframe().f_back)
    return Logger(namespace, level=level, logger=logger, observer=observer)


def set_global_log_level(level):
    """Sets the level of every logger whose level was not pinned."""
    global _log_level
    _check_level(level, ValueError)
    for logger in list(_loggers):
        if not logger._log_level_set_explicitly:
            logger._set_log_level(level)
    _log_level = level


def get_global_log_level():
    return _log_level


def begin_logging(level, framework):
    """start_logging's shared part: returns False if `framework` ('asyncio'
    or 'twisted') had started logging already, else records `level` and
    applies it to every logger."""
    _check_level(level)
    if framework in _started_logging:
        return False
    _started_logging.add(framework)
    set_global_log_level(level)
    return True


# The standard library sink (asyncio, and before a selection).

def _stdlib_failure(stdlib_logger, format=None, failure=None, **kwargs):
    # Twisted's Logger.failure() signature, for code written against it.
    import traceback
    text = (format or '').format(**kwargs)
    if failure is not None:
        text += '\n' + ''.join(traceback.format_exception(
            type(failure.value), failure.value,
            getattr(failure, '_traceback', None) or failure.value.__traceback__))
    stdlib_logger.critical(text)


# namespace -> (stdlib logger, emitters): loggers of one namespace share
# them (logging.getLogger returns one logger per name anyway).
_stdlib_sinks = {}


def _make_stdlib_sink(logger):
    sink = _stdlib_sinks.get(logger.namespace)
    if sink is None:
        sink = _stdlib_sinks[logger.namespace] = _new_stdlib_sink(
            logger.namespace)
    return sink


def _new_stdlib_sink(namespace):
    import logging
    stdlib_logger = logging.getLogger(name=namespace)
    emitters = {
        name: _core.StdlibEmitter(stdlib_logger, name, _STDLIB_LEVELS[name],
                                  _categories)
        for name in _STDLIB_LEVELS
    }
    emitters['failure'] = partial(_stdlib_failure, stdlib_logger)
    return stdlib_logger, emitters
