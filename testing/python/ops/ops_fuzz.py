"""Random sequences of txaio operations (hypothesis), each run on our
package and on upstream txaio 21.2.1 over Twisted's task.Clock, which must
observe the same things: the differential fuzzer of the Python package
(issue 10). See ops_interpreter.py for the operations.

ops_fuzz.py [--examples N] [--seed S]: N sequences (default 300), derandomized
from S (default 0) so that CI runs the same ones every time; a failure prints
the shrunk sequence and both logs.
"""

import argparse
import json
import os
import subprocess
import sys

import hypothesis
from hypothesis import strategies as st

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ops_interpreter  # noqa: E402

import txaio  # noqa: E402  (ours: first on sys.path under Bazel)

NAMES = ['new', 'new_done', 'new_failed', 'resolve', 'reject', 'cancel',
         'is_called', 'callbacks', 'gather', 'call_later', 'batched',
         'advance']

OPS = st.lists(
    st.tuples(st.sampled_from(NAMES), st.integers(0, 7), st.integers(0, 7)),
    max_size=40)


class Upstream(object):
    """Upstream txaio in a worker process, one sequence per request."""

    def __init__(self):
        script = os.path.abspath(ops_interpreter.__file__)
        self.proc = subprocess.Popen(
            ['/usr/bin/python3', '-I', script, '--serve'],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.path = json.loads(self.proc.stdout.readline())

    def run(self, ops):
        self.proc.stdin.write(json.dumps(ops) + '\n')
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--examples', type=int, default=300)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()

    ours_path = os.path.dirname(txaio.__file__)
    upstream = Upstream()
    if os.path.dirname(upstream.path) == ours_path:
        sys.exit('the worker imported our txaio, not upstream')
    print('ours: %s\nupstream: %s' % (ours_path, upstream.path))
    ran = [0]

    @hypothesis.settings(max_examples=args.examples, deadline=None,
                         derandomize=True, database=None,
                         suppress_health_check=list(hypothesis.HealthCheck))
    @hypothesis.seed(args.seed)
    @hypothesis.given(OPS)
    def same_as_upstream(ops):
        ops = [list(op) for op in ops]
        ran[0] += 1
        theirs = upstream.run(ops)
        # Through JSON too, so both sides compare the same types.
        ours = json.loads(json.dumps(ops_interpreter.run(txaio, ops)))
        assert ours == theirs, 'ops %s\nours     %s\nupstream %s' % (
            json.dumps(ops), ours, theirs)

    same_as_upstream()
    print('%d sequences, same as upstream' % ran[0])


if __name__ == '__main__':
    main()
