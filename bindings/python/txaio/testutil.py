"""Test helpers: replace_loop swaps txaio's loop for a test clock."""

from contextlib import contextmanager

import txaio


@contextmanager
def replace_loop(new_loop):
    """Makes ``new_loop`` txaio's loop inside the ``with`` block.

    Pass an asyncio loop under asyncio, a reactor (for example
    twisted.internet.task.Clock()) under Twisted. The previous loop comes
    back when the block exits, also when it raises.
    """
    orig = txaio.config.loop
    txaio.config.loop = new_loop
    try:
        yield new_loop
    finally:
        txaio.config.loop = orig
