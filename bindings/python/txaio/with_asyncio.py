"""Importing this module selects asyncio: ``import txaio.with_asyncio``."""
import txaio

txaio.use_asyncio()
