"""Compiler flags for C/C++ code built against Debian's Python 3.11."""

# Python.h lives outside the default include path; pybind11 (pybind11-dev)
# is under /usr/include already. Extensions leave the interpreter's symbols
# undefined, to be resolved when Python loads them.
PYTHON_COPTS = [
    "-isystem/usr/include/python3.11",
    "-fvisibility=hidden",
    # CPython API idioms: partially initialised PyTypeObject, METH_FASTCALL
    # functions cast to PyCFunction.
    "-Wno-missing-field-initializers",
    "-Wno-cast-function-type",
]
