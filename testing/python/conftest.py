"""Shared set-up for the txaio Python suite.

The framework comes from TXAIO_FRAMEWORK ('asyncio' or 'twisted'); our
package must be the `txaio` imported (never Debian's python3-txaio), which
test_import_is_ours checks.
"""

import contextlib
import os
import sys

import pytest

FRAMEWORK = os.environ.get('TXAIO_FRAMEWORK', 'asyncio')

import txaio  # noqa: E402

if FRAMEWORK == 'twisted':
    txaio.use_twisted()
else:
    txaio.use_asyncio()


class AsyncioDriver(object):
    """Runs futures and timers on a fresh asyncio loop."""

    name = 'asyncio'

    def __init__(self):
        import asyncio
        self.asyncio = asyncio
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        txaio.config.loop = self.loop

    def settle(self):
        """Runs the callbacks that are ready."""
        for _ in range(3):
            self.loop.run_until_complete(self.asyncio.sleep(0))

    def result(self, future):
        return self.loop.run_until_complete(future)

    def advance(self, seconds):
        """Lets `seconds` of (real) loop time pass."""
        self.loop.run_until_complete(self.asyncio.sleep(seconds))

    @contextlib.contextmanager
    def frozen_clock(self):
        """Stops loop.time() (which txaio-cpp reads through the loop) for
        the block, so work scheduled in it sees one instant, as it would on
        a task.Clock."""
        now = self.loop.time()
        self.loop.time = lambda: now
        try:
            yield
        finally:
            del self.loop.time

    def close(self):
        txaio.config.loop = None
        self.loop.close()
        self.asyncio.set_event_loop(None)


class TwistedDriver(object):
    """Runs timers on a twisted.internet.task.Clock; Deferreds fire
    synchronously."""

    name = 'twisted'

    def __init__(self):
        from twisted.internet import task
        self.clock = task.Clock()
        txaio.config.loop = self.clock

    def settle(self):
        pass

    def result(self, d):
        out = []
        d.addBoth(out.append)
        assert out, 'the Deferred has not fired'
        from twisted.python.failure import Failure
        if isinstance(out[0], Failure):
            out[0].raiseException()
        return out[0]

    def advance(self, seconds):
        self.clock.advance(seconds)

    @contextlib.contextmanager
    def frozen_clock(self):
        """A task.Clock only moves in advance()."""
        yield

    def close(self):
        txaio.config.loop = None


@pytest.fixture
def fw():
    driver = TwistedDriver() if FRAMEWORK == 'twisted' else AsyncioDriver()
    yield driver
    driver.close()


def pytest_report_header(config):
    return 'txaio from {} on {}'.format(txaio.__file__, FRAMEWORK)


sys.dont_write_bytecode = True
