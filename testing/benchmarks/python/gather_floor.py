"""gather over 1000 pending futures against its floor, in one process:

  PYTHONPATH=DIR_WITH_A_txaio /usr/bin/python3 \
      testing/benchmarks/python/gather_floor.py [--rounds 200]

The floor is bare asyncio doing what any gather must: 1000 futures made,
one done-callback each, resolved, and the loop run until every callback
ran. txaio's gather does the same through txaio.create_future, gather and
resolve. The two alternate, and the best time of each is kept, so a busy
machine slows both alike (bench_txaio.py has the same rows, measured in
separate child processes).
"""

import argparse
import asyncio
import time

import txaio


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--rounds', type=int, default=200)
    args = p.parse_args()
    txaio.use_asyncio()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    txaio.config.loop = loop

    def gather():
        fs = [txaio.create_future() for _ in range(1000)]
        g = txaio.gather(fs)
        for i, f in enumerate(fs):
            txaio.resolve(f, i)
        loop.run_until_complete(g)

    def floor():
        fs = [loop.create_future() for _ in range(1000)]
        last = loop.create_future()
        left = [1000]

        def done(f):
            left[0] -= 1
            if not left[0]:
                last.set_result(None)
        for f in fs:
            f.add_done_callback(done)
        for i, f in enumerate(fs):
            f.set_result(i)
        loop.run_until_complete(last)

    best = {gather: float('inf'), floor: float('inf')}
    for _ in range(args.rounds):
        for fn in best:
            t = time.perf_counter()
            fn()
            best[fn] = min(best[fn], time.perf_counter() - t)
    print('txaio {} from {}'.format(txaio.__version__, txaio.__file__))
    print('gather over 1000 pending: {:.0f} us; floor {:.0f} us; '
          'ratio {:.2f}'.format(best[gather] * 1e6, best[floor] * 1e6,
                                best[gather] / best[floor]))


if __name__ == '__main__':
    main()
