#!/usr/bin/python3
"""Two builds of our txaio package, A and B, on the rows a native change
touches, by CPU time (time.process_time), so that other processes on a
loaded machine slow neither side much (bench_txaio.py measures wall time,
which on 2 cores at a load average of 13 moved by +-30% on identical code).
Each (row, framework) runs A and B in fresh child processes in turn,
--rounds times, best of 7 runs each; prints microseconds and B / A.

  /usr/bin/python3 testing/benchmarks/python/ab_cpu_time.py \\
      --a /tmp/before --b /tmp/after [--python PY] [--rounds 3]
"""

import argparse
import os
import subprocess
import sys
import time

ROWS = {'gather_1000_done': 200, 'round_trip': 20000, 'batched': 20000,
        'make_batched_timer': 20000}


def child(fw, row, n):
    import txaio
    if fw == 'asyncio':
        import asyncio
        txaio.use_asyncio()
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        txaio.config.loop = loop

        def settle():
            loop.run_until_complete(asyncio.sleep(0))
    else:
        from twisted.internet import task
        txaio.use_twisted()
        txaio.config.loop = task.Clock()

        def settle():
            pass
    done = [txaio.create_future_success(i) for i in range(1000)]
    timer = txaio.make_batched_timer(1.0)

    def cb(x):
        return x

    def eb(f):
        return None

    def run():
        if row == 'gather_1000_done':
            for _ in range(n):
                g = txaio.gather(done)
                if fw == 'asyncio':
                    loop.run_until_complete(g)
        elif row == 'round_trip':  # create_future + add_callbacks + resolve
            for _ in range(n):
                f = txaio.create_future()
                txaio.add_callbacks(f, cb, eb)
                txaio.resolve(f, 1)
            settle()
        elif row == 'batched':  # batched call_later + cancel
            for _ in range(n):
                timer.call_later(5, cb, 1).cancel()
        elif row == 'make_batched_timer':
            for _ in range(n):
                txaio.make_batched_timer(1.0)
    best = None
    for _ in range(7):
        t0 = time.process_time()
        run()
        dt = time.process_time() - t0
        best = dt if best is None or dt < best else best
    print(best / n * 1e6)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--a', required=True)
    p.add_argument('--b', required=True)
    p.add_argument('--python', default=sys.executable)
    p.add_argument('--rounds', type=int, default=3)
    p.add_argument('--child', nargs=3)
    args = p.parse_args()
    if args.child:
        fw, row, n = args.child
        return child(fw, row, int(n))
    print('| row | framework | A (us CPU) | B (us CPU) | B / A |')
    print('|---|---|---:|---:|---:|')
    for row, n in ROWS.items():
        for fw in ('asyncio', 'twisted'):
            best = {}
            for _ in range(args.rounds):
                for who in ('a', 'b'):
                    env = dict(os.environ, PYTHONPATH=getattr(args, who))
                    out = subprocess.run(
                        [args.python, os.path.abspath(__file__), '--a', '-',
                         '--b', '-', '--child', fw, row, str(n)],
                        env=env, check=True, capture_output=True, text=True)
                    v = float(out.stdout)
                    best[who] = min(best.get(who, v), v)
            print('| {} | {} | {:.3f} | {:.3f} | {:.3f} |'.format(
                row, fw, best['a'], best['b'], best['b'] / best['a']))


if __name__ == '__main__':
    main()
