"""Runs upstream txaio's own test suite against the `txaio` first on
sys.path: `upstream_suite.py [--expect-ours] [--public-api] [--outcomes
FILE]`.

The suite (txaio 26.6.1's tests, unmodified) is read from
../shared/upstream/txaio-tests beside the repository checkout, or from
$TXAIO_UPSTREAM_TESTS; it is never copied into the repository. Passes when
no test fails or errors. With --expect-ours, the txaio imported must be this
repository's package (not Debian's or PyPI's). --outcomes writes
{test id: outcome} as JSON, which tools/python_matrix.sh compares between
our package and upstream's.
"""

import argparse
import json
import os
import sys

import pytest


def upstream_tests_dir():
    if os.environ.get('TXAIO_UPSTREAM_TESTS'):
        return os.environ['TXAIO_UPSTREAM_TESTS']
    # Under Bazel this file is a runfiles symlink into the checkout: its
    # real path leads to the checkout, and ../shared sits beside it.
    checkout = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.realpath(__file__))))
    return os.path.join(os.path.dirname(checkout), 'shared', 'upstream',
                        'txaio-tests')


class Outcomes(object):
    """Records each test's outcome (a failing setup or teardown counts as
    an error)."""

    def __init__(self):
        self.by_test = {}

    def pytest_runtest_logreport(self, report):
        if report.when == 'call' or report.outcome != 'passed':
            outcome = report.outcome
            if report.when != 'call' and report.outcome == 'failed':
                outcome = 'error'
            self.by_test.setdefault(report.nodeid, outcome)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--expect-ours', action='store_true')
    parser.add_argument('--outcomes')
    parser.add_argument('--public-api', action='store_true',
                        help='force the public-API fallbacks '
                        '(TXAIO_CPP_PUBLIC_API)')
    args = parser.parse_args()
    if args.public_api:
        os.environ['TXAIO_CPP_PUBLIC_API'] = '1'

    import txaio
    print('txaio from', txaio.__file__)
    if args.expect_ours and not hasattr(txaio, '_txaio_core'):
        print('FAIL: imported a txaio that is not txaio-cpp')
        return 1
    tests = upstream_tests_dir()
    if not os.path.isdir(tests):
        print('FAIL: no upstream suite at', tests)
        return 1
    # The suite's directory is read-only: no bytecode, no pytest cache.
    sys.dont_write_bytecode = True
    os.chdir(os.path.dirname(tests))
    outcomes = Outcomes()
    status = pytest.main(['-q', '-rs', '-p', 'no:cacheprovider',
                          os.path.basename(tests)], plugins=[outcomes])
    if args.outcomes:
        with open(args.outcomes, 'w') as f:
            json.dump(outcomes.by_test, f, indent=1, sort_keys=True)
    counts = {}
    for outcome in outcomes.by_test.values():
        counts[outcome] = counts.get(outcome, 0) + 1
    print('upstream suite:', ', '.join(
        '{} {}'.format(n, o) for o, n in sorted(counts.items())))
    if not counts.get('passed'):
        return 1
    return int(status)


if __name__ == '__main__':
    sys.exit(main())
