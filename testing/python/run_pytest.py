"""Runs the txaio suite under one framework:
run_pytest.py --framework=NAME [--public-api] [pytest arguments].

Bazel runs it once per framework (see BUILD); the package under test comes
first on sys.path through the py_library's import path.
"""

import os
import sys

import pytest


def main():
    args = [a for a in sys.argv[1:]
            if not a.startswith('--framework=') and a != '--public-api']
    for a in sys.argv[1:]:
        if a.startswith('--framework='):
            os.environ['TXAIO_FRAMEWORK'] = a.split('=', 1)[1]
        elif a == '--public-api':
            # Before txaio is imported: no private internals (see
            # txaio/_private.py).
            os.environ['TXAIO_CPP_PUBLIC_API'] = '1'
    here = os.path.dirname(os.path.abspath(__file__))
    sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', here] + args))


if __name__ == '__main__':
    main()
