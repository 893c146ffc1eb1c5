"""Random sequences of txaio operations (hypothesis), each run on our
package and on upstream txaio 21.2.1 over Twisted's task.Clock, which must
observe the same things: the differential fuzzer of the Python package
(issue 10). See ops_interpreter.py for the operations.

ops_fuzz.py [--examples N] [--seed S]: N sequences (default 300), derandomized
from S (default 0) so that CI runs the same ones every time; a failure prints
the shrunk sequence and both logs.

ops_fuzz.py --random N [--seed S]: the long run. N sequences from the same
alphabet drawn by random.Random(S), sent to the worker in batches that it
runs while this process runs ours (hypothesis spends most of its time per
example choosing and shrinking); a difference is printed unshrunk, and
replays with --replay '<its JSON>'.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import time

import hypothesis
from hypothesis import strategies as st

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ops_interpreter  # noqa: E402

import txaio  # noqa: E402  (ours: first on sys.path under Bazel)

NAMES = ['new', 'new_done', 'new_failed', 'resolve', 'reject', 'cancel',
         'is_called', 'callbacks', 'gather', 'call_later', 'batched',
         'advance', 'cancel_later', 'cancel_batched']

MAX_OPS = 40
MAX_ARG = 7

OPS = st.lists(
    st.tuples(st.sampled_from(NAMES), st.integers(0, MAX_ARG),
              st.integers(0, MAX_ARG)),
    max_size=MAX_OPS)


def random_ops(rng):
    """One sequence from OPS's alphabet, drawn by `rng`."""
    return [[rng.choice(NAMES), rng.randint(0, MAX_ARG),
             rng.randint(0, MAX_ARG)]
            for _ in range(rng.randint(0, MAX_OPS))]


class Upstream(object):
    """Upstream txaio in a worker process, one sequence per request."""

    def __init__(self):
        script = os.path.abspath(ops_interpreter.__file__)
        self.proc = subprocess.Popen(
            ['/usr/bin/python3', '-I', script, '--serve'],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.path = json.loads(self.proc.stdout.readline())

    def send(self, sequences):
        self.proc.stdin.write(json.dumps(sequences) + '\n')
        self.proc.stdin.flush()

    def receive(self):
        return json.loads(self.proc.stdout.readline())

    def run(self, ops):
        self.send([ops])
        return self.receive()[0]


def ours(ops):
    # Through JSON too, so both sides compare the same types.
    return json.loads(json.dumps(ops_interpreter.run(txaio, ops)))


def difference(ops, mine, theirs):
    return 'ops %s\nours     %s\nupstream %s' % (json.dumps(ops), mine,
                                                  theirs)


def run_random(upstream, count, seed, batch=200):
    """`count` random sequences; the worker runs each batch while this
    process runs the same batch on ours."""
    rng = random.Random(seed)
    start = time.monotonic()
    done = 0
    while done < count:
        sequences = [random_ops(rng) for _ in range(min(batch, count - done))]
        upstream.send(sequences)
        mine = [ours(ops) for ops in sequences]
        for ops, m, t in zip(sequences, mine, upstream.receive()):
            if m != t:
                sys.exit('after %d sequences:\n%s' % (
                    done, difference(ops, m, t)))
        done += len(sequences)
        if done % 100000 < batch:
            print('%d sequences, %.0f/s' % (
                done, done / (time.monotonic() - start)), flush=True)
    print('%d sequences, same as upstream (seed %d, %.0f s)' % (
        done, seed, time.monotonic() - start))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--examples', type=int, default=300)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--random', type=int, metavar='N')
    parser.add_argument('--replay', metavar='JSON')
    args = parser.parse_args()

    ops_interpreter.quiet_twisted_log()
    ours_path = os.path.dirname(txaio.__file__)
    upstream = Upstream()
    if os.path.dirname(upstream.path) == ours_path:
        sys.exit('the worker imported our txaio, not upstream')
    print('ours: %s\nupstream: %s' % (ours_path, upstream.path))
    if args.replay:
        ops = json.loads(args.replay)
        mine, theirs = ours(ops), upstream.run(ops)
        print(difference(ops, mine, theirs))
        sys.exit(0 if mine == theirs else 1)
    if args.random is not None:
        run_random(upstream, args.random, args.seed)
        return
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
        mine = ours(ops)
        assert mine == theirs, difference(ops, mine, theirs)

    same_as_upstream()
    print('%d sequences, same as upstream' % ran[0])


if __name__ == '__main__':
    main()
