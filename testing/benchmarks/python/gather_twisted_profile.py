#!/usr/bin/python3
"""txaio.gather over 1000 fired Deferreds on Twisted: microseconds per
gather (one run of 200), and with --profile the cProfile of 50 of them.
Runs whichever `txaio` is first on sys.path (PYTHONPATH), with whichever
Twisted the interpreter has (docs/benchmarks.md, Twisted 26.10):

  PYTHONPATH=/tmp/ours $V/bin/python \\
      testing/benchmarks/python/gather_twisted_profile.py [--profile]
"""

import argparse
import cProfile
import pstats
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--profile', action='store_true')
    args = p.parse_args()
    import twisted
    import txaio
    from twisted.internet import task
    txaio.use_twisted()
    txaio.config.loop = task.Clock()
    from txaio import tx
    print('txaio', txaio.__file__, 'Twisted', twisted.__version__,
          'private_internals', getattr(tx, 'private_internals', None))
    done = [txaio.create_future_success(i) for i in range(1000)]

    def run(k):
        for _ in range(k):
            txaio.gather(done)
    t0 = time.perf_counter()
    run(200)
    print('us per gather: {:.0f}'.format(
        (time.perf_counter() - t0) / 200 * 1e6))
    if args.profile:
        prof = cProfile.Profile()
        prof.runcall(run, 50)
        pstats.Stats(prof).sort_stats('tottime').print_stats(12)


if __name__ == '__main__':
    main()
