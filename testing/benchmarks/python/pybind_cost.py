#!/usr/bin/python3
"""pybind11 against the raw CPython API on the txaio extension's hot
patterns (see pybind_cost.cc): nanoseconds per operation, best of
--repeat runs, raw and pybind11 alternated so that load hits both.

  bazel build -c opt //testing/benchmarks/python:_pybind_cost.so
  /usr/bin/python3 testing/benchmarks/python/pybind_cost.py \
      bazel-bin/testing/benchmarks/python
"""

import argparse
import sys
import timeit


def main():
    p = argparse.ArgumentParser()
    p.add_argument('dir', help='directory holding _pybind_cost.so')
    p.add_argument('--number', type=int, default=200000)
    p.add_argument('--repeat', type=int, default=9)
    args = p.parse_args()
    sys.path.insert(0, args.dir)
    import _pybind_cost as c

    class RawApi(c.RawBase):
        pass

    class PbApi(c.PbBase):
        pass

    raw_h, pb_h = c.raw_new_handle(), c.pb_new_handle()
    raw_cb, pb_cb = c.raw_new_callback(len, len), c.pb_new_callback(len, len)
    raw_api, pb_api = RawApi(), PbApi()
    cases = [
        ('f(x)', 'f(1)', c.raw_call1, c.pb_call1),
        ('f(a, b, *args, **kwargs)', 'f(1, 2, 3, k=4)', c.raw_call_varargs,
         c.pb_call_varargs),
        ('new handle (untracked, C++ member)', 'f()', c.raw_new_handle,
         c.pb_new_handle),
        ('handle.cancel()', 'f()', raw_h.cancel, pb_h.cancel),
        ('new GC-tracked callback (2 refs)', 'f(len, len)',
         c.raw_new_callback, c.pb_new_callback),
        ('callback(x)', 'f(1)', raw_cb, pb_cb),
        ('Base.method(x) on a Python subclass', 'f(1)', raw_api.method,
         pb_api.method),
        ('Base(config) subclass instance', 'f(None)', RawApi, PbApi),
    ]
    best = {}
    for _ in range(args.repeat):
        for name, stmt, raw, pb in cases:
            for who, f in (('raw', raw), ('pybind11', pb)):
                t = timeit.timeit(stmt, globals={'f': f},
                                  number=args.number) / args.number * 1e9
                key = (name, who)
                best[key] = min(best.get(key, t), t)
    print('| pattern | raw CPython API (ns) | pybind11 (ns) | pybind11 adds |')
    print('|---|---:|---:|---:|')
    for name, _, _, _ in cases:
        raw, pb = best[(name, 'raw')], best[(name, 'pybind11')]
        print('| {} | {:.1f} | {:.1f} | +{:.1f} ns ({:.2f}x) |'.format(
            name, raw, pb, pb - raw, pb / raw))


if __name__ == '__main__':
    main()
