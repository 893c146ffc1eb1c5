"""Compiler options for every target that includes a Qt 6 header (see BUILD)."""

QT_COPTS = ["-fPIC"]
