"""Importing this module selects Twisted: ``import txaio.with_twisted``."""
import txaio

txaio.use_twisted()
