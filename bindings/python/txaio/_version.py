"""The txaio API level this package implements (txaio's own numbering)."""

__version__ = '22.2.1'
