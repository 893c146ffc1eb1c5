#!/usr/bin/python3
"""Benchmarks txaio-cpp's `txaio` package against upstream txaio, one run.

The driver starts one child process per (implementation, framework), so
each imports the package under its own name `txaio` (ours first on sys.path,
or Debian's python3-txaio alone), checks which one it got, and reports
microseconds per operation as JSON; it runs upstream and ours in turn for
--rounds rounds and keeps each row's best. It prints both figures and the
speed-up (upstream time / our time; > 1 means ours is faster).

  /usr/bin/python3 testing/benchmarks/python/bench_txaio.py \
      --ours bazel-bin/bindings/python [--quick] [--json out.json] \
      [--frameworks asyncio,twisted] [--only NAME[,NAME...]] [--rounds N]
"""

import argparse
import json
import os
import subprocess
import sys

UPSTREAM_DIR = '/usr/lib/python3/dist-packages'


def _best(fn, number, repeat):
    """Seconds per operation: best of `repeat` runs of fn(number)."""
    import time
    best = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(number)
        dt = (time.perf_counter() - t0) / number
        best = dt if best is None or dt < best else best
    return best


def _child(framework, quick, only):
    import gc
    import random
    import txaio
    results = {'file': txaio.__file__, 'version': txaio.__version__}
    repeat = 3 if quick else 7
    scale = 0.2 if quick else 1.0

    def n(x):
        return max(1, int(x * scale))

    if framework == 'asyncio':
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
        clock = task.Clock()
        txaio.config.loop = clock

        def settle():
            pass

    def bench(name, fn, number, per=1):
        if only and name not in only:
            return
        results[name] = _best(fn, number, repeat) / per * 1e6

    # gather over 1000 futures that are already resolved.
    done = [txaio.create_future_success(i) for i in range(1000)]

    def gather_done(k):
        for _ in range(k):
            g = txaio.gather(done)
            if framework == 'asyncio':
                loop.run_until_complete(g)
    bench('gather_1000_done', gather_done, n(50))

    # gather over 1000 pending futures, resolved after gather().
    def gather_pending(k):
        for _ in range(k):
            fs = [txaio.create_future() for _ in range(1000)]
            g = txaio.gather(fs)
            for i, f in enumerate(fs):
                txaio.resolve(f, i)
            if framework == 'asyncio':
                loop.run_until_complete(g)
    bench('gather_1000_pending', gather_pending, n(20))

    if framework == 'asyncio':
        # The floor for gather_1000_pending, measured in the same process:
        # bare asyncio, 1000 futures made, one done-callback each, resolved,
        # and the loop run until every callback ran (what any gather does
        # at least). The same code for both packages.
        def gather_floor(k):
            for _ in range(k):
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
        bench('gather_1000_pending_floor', gather_floor, n(20))

    # batched timer: cancel one call with 10k pending (random order).
    def noop():
        pass
    timer = txaio.make_batched_timer(1.0, chunk_size=1000)
    rng = random.Random(42)

    def batched_cancel(k):
        calls = [timer.call_later(5.0 + (i % 50) * 0.01, noop)
                 for i in range(10000)]
        rng.shuffle(calls)
        import time
        t0 = time.perf_counter()
        for c in calls:
            c.cancel()
        return time.perf_counter() - t0

    def timed_cancel():
        best = None
        for _ in range(repeat):
            dt = batched_cancel(1) / 10000
            best = dt if best is None or dt < best else best
        return best * 1e6
    if not only or 'batched_cancel_10k_pending' in only:
        results['batched_cancel_10k_pending'] = timed_cancel()

    def batched_call_later(k):
        calls = [timer.call_later(5.0, noop) for _ in range(k)]
        for c in calls:
            c.cancel()
    bench('batched_call_later+cancel', batched_call_later, n(10000))

    # logging: one enabled and one disabled call.
    devnull = open(os.devnull, 'w')
    txaio.start_logging(out=devnull, level='info')
    log = txaio.make_logger()

    def log_enabled(k):
        info = log.info
        for i in range(k):
            info("connection {peer} sent {count} bytes", peer='tcp:1.2.3.4',
                 count=i)
    bench('log_enabled', log_enabled, n(20000))

    def log_disabled(k):
        for i in range(k):
            log.debug("connection {peer} sent {count} bytes",
                      peer='tcp:1.2.3.4', count=i)
    bench('log_disabled', log_disabled, n(200000))

    # the future round trip: create_future + add_callbacks + resolve +
    # the callback running.
    def cb(v):
        return v

    def round_trip(k):
        for _ in range(k // 1000):
            for i in range(1000):
                f = txaio.create_future()
                txaio.add_callbacks(f, cb, None)
                txaio.resolve(f, i)
            settle()
    bench('future_round_trip', round_trip, n(100000))

    def plain(x):
        return x

    def as_future_plain(k):
        for i in range(k):
            txaio.as_future(plain, i)
    bench('as_future', as_future_plain, n(100000))

    def one(fn, *args, **kw):
        def run(k):
            for _ in range(k):
                fn(*args, **kw)
        return run

    bench('create_future', one(txaio.create_future), n(100000))
    bench('create_future_success', one(txaio.create_future_success, 1),
          n(100000))
    err = RuntimeError('x')

    def create_future_error(k):
        for _ in range(k):
            f = txaio.create_future_error(err)
            txaio.add_callbacks(f, None, plain)
        settle()
    bench('create_future_error+errback', create_future_error, n(50000))

    def create_failure(k):
        for _ in range(k):
            try:
                raise RuntimeError('x')  # fresh: a re-raise grows the tb
            except RuntimeError:
                txaio.create_failure()
    bench('create_failure', create_failure, n(50000))

    def reject(k):
        for _ in range(k):
            f = txaio.create_future()
            txaio.add_callbacks(f, None, plain)
            txaio.reject(f, err)
        settle()
    bench('reject+errback', reject, n(50000))

    def cancel(k):
        for _ in range(k):
            f = txaio.create_future()
            txaio.add_callbacks(f, None, plain)
            txaio.cancel(f)
        settle()
    bench('cancel+errback', cancel, n(50000))

    pending = txaio.create_future()
    bench('is_future', one(txaio.is_future, pending), n(200000))
    bench('is_called', one(txaio.is_called, pending), n(200000))

    def call_later(k):
        for _ in range(k):
            txaio.call_later(10, plain, 1).cancel()
    bench('call_later+cancel', call_later, n(50000))

    failure = txaio.create_failure(RuntimeError('x'))
    bench('failure_message', one(txaio.failure_message, failure), n(100000))
    bench('failure_traceback', one(txaio.failure_traceback, failure),
          n(100000))
    bench('failure_format_traceback',
          one(txaio.failure_format_traceback, failure), n(20000))

    def make_logger(k):
        for _ in range(k):
            txaio.make_logger()
    bench('make_logger', make_logger, n(5000))
    bench('make_batched_timer', one(txaio.make_batched_timer, 1.0), n(20000))
    bench('with_config', one(txaio.with_config), n(100000))
    bench('get_global_log_level', one(txaio.get_global_log_level), n(100000))
    bench('time_ns', one(txaio.time_ns), n(200000))
    bench('perf_counter_ns', one(txaio.perf_counter_ns), n(200000))

    def sleep(k):
        for _ in range(k):
            txaio.sleep(0).cancel() if framework == 'twisted' else None
            if framework == 'asyncio':
                loop.run_until_complete(txaio.sleep(0))
    bench('sleep(0)', sleep, n(5000))
    gc.collect()
    return results


def _run_child(impl, framework, ours_dir, quick, only,
               upstream_dir=UPSTREAM_DIR):
    env = dict(os.environ)
    env.pop('PYTHONPATH', None)
    if impl == 'ours':
        env['PYTHONPATH'] = os.path.abspath(ours_dir)
    elif upstream_dir != UPSTREAM_DIR:
        env['PYTHONPATH'] = os.path.abspath(upstream_dir)
    cmd = [sys.executable, os.path.abspath(__file__), '--child', framework]
    if quick:
        cmd.append('--quick')
    if only:
        cmd += ['--only', only]
    out = subprocess.run(cmd, env=env, check=True, capture_output=True,
                         text=True).stdout
    res = json.loads(out.strip().splitlines()[-1])
    want = os.path.abspath(ours_dir if impl == 'ours' else upstream_dir)
    if not res['file'].startswith(want):
        raise SystemExit('{} run imported {}'.format(impl, res['file']))
    return res


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--ours', help='directory holding our txaio package')
    p.add_argument('--child')
    p.add_argument('--quick', action='store_true')
    p.add_argument('--json')
    p.add_argument('--frameworks', default='asyncio,twisted')
    p.add_argument('--rounds', type=int, default=3,
                   help='alternating upstream/ours runs; best of them kept')
    p.add_argument('--upstream', default=UPSTREAM_DIR,
                   help='directory upstream txaio is imported from (default '
                   "Debian's 21.2.1; run the driver with a venv's python to "
                   "use its Twisted and txaio)")
    p.add_argument('--only', default='',
                   help='comma-separated benchmark names to run (all if empty)')
    args = p.parse_args()
    if args.child:
        # Twisted's start_logging redirects sys.stdout into the log.
        sys.__stdout__.write(json.dumps(_child(
            args.child, args.quick, set(filter(None, args.only.split(','))))) + '\n')
        sys.__stdout__.flush()
        return
    if not args.ours:
        raise SystemExit('--ours DIR is required')
    report = {}
    for framework in args.frameworks.split(','):
        # Upstream and ours alternate, round after round, and each row keeps
        # its best time over the rounds: a burst of load on the machine
        # then hits both sides instead of one.
        up, ours = {}, {}
        for _ in range(args.rounds):
            for impl, best in (('upstream', up), ('ours', ours)):
                res = _run_child(impl, framework, args.ours, args.quick,
                                 args.only, args.upstream)
                for name, value in res.items():
                    if name in ('file', 'version') or name not in best:
                        best[name] = value
                    else:
                        best[name] = min(best[name], value)
        report[framework] = {'upstream': up, 'ours': ours}
        print('\n## {} (us per operation; speed-up = upstream / ours)\n'
              .format(framework))
        print('| benchmark | upstream txaio {} | txaio-cpp | speed-up |'
              .format(up['version']))
        print('|---|---:|---:|---:|')
        for name in up:
            if name in ('file', 'version'):
                continue
            print('| {} | {:.3f} | {:.3f} | {:.2f}x |'.format(
                name, up[name], ours[name], up[name] / ours[name]))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(report, f, indent=1)


if __name__ == '__main__':
    main()
