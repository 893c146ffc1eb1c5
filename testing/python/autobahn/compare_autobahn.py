#!/usr/bin/python3
"""Runs autobahn's own tests with our txaio and with upstream txaio, under
Twisted and asyncio, and compares the outcome of every test.

  /usr/bin/python3 testing/python/autobahn/compare_autobahn.py \
      --ours DIR_HOLDING_OUR_txaio [--json out.json] \
      [--python PYTHON] [--autobahn AUTOBAHN_PACKAGE_DIR] \
      [--upstream DIR_HOLDING_UPSTREAM_txaio]

By default Debian's python3-autobahn and python3-txaio with /usr/bin/python3;
tools/python_matrix.py passes a venv's interpreter, its autobahn and its
txaio from PyPI. Exit status 0 when, for each framework, the same tests
pass, fail and skip with both packages. Each pytest run is a separate
interpreter, so `txaio` is ours (DIR first on PYTHONPATH) or upstream's;
the run checks which one was imported.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

DEBIAN_AUTOBAHN = '/usr/lib/python3/dist-packages/autobahn'
DEBIAN_UPSTREAM = '/usr/lib/python3/dist-packages'

# The autobahn selects its framework for tests with these variables.
FRAMEWORK_ENV = {'twisted': {'USE_TWISTED': '1'},
                 'asyncio': {'USE_ASYNCIO': '1'}}

OTHER = {'twisted': 'asyncio', 'asyncio': 'twisted'}

CHECK_IMPORT = '''
import txaio, sys
sys.stdout.write(txaio.__file__)
'''


def run(args, framework, txaio_dir, ours):
    """Outcomes of autobahn's tests with the txaio found in txaio_dir (ours
    when `ours`, put first on PYTHONPATH; else upstream's, which must be the
    interpreter's own or come from txaio_dir)."""
    env = dict(os.environ)
    env.pop('PYTHONPATH', None)
    env.update(FRAMEWORK_ENV[framework])
    if ours or txaio_dir != DEBIAN_UPSTREAM:
        env['PYTHONPATH'] = os.path.abspath(txaio_dir)
    where = subprocess.run([args.python, '-c', CHECK_IMPORT], env=env,
                           capture_output=True, text=True,
                           check=True).stdout
    if not where.startswith(os.path.abspath(txaio_dir)):
        raise SystemExit('expected txaio from {}, got {}'.format(
            txaio_dir, where))
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, 'junit.xml')
        cmd = [args.python, '-m', 'pytest', '-q', '-p', 'no:cacheprovider',
               '--junitxml', report, '--import-mode=importlib',
               '--continue-on-collection-errors',
               # The other framework's package selects that framework on
               # import, which txaio refuses once one is chosen.
               '--ignore', os.path.join(args.autobahn, OTHER[framework]),
               '--rootdir', tmp, args.autobahn]
        subprocess.run(cmd, env=env, cwd=tmp, capture_output=True, text=True)
        outcomes = {}
        for case in ET.parse(report).iter('testcase'):
            name = case.get('classname', '') + '::' + case.get('name', '')
            outcome = 'passed'
            for child in case:
                if child.tag in ('failure', 'error'):
                    outcome = 'failed'
                elif child.tag == 'skipped':
                    outcome = 'skipped'
            outcomes[name] = outcome
    return outcomes


def summary(outcomes):
    counts = {}
    for outcome in outcomes.values():
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--ours', required=True)
    p.add_argument('--json')
    p.add_argument('--frameworks', default='twisted,asyncio')
    p.add_argument('--python', default=sys.executable)
    p.add_argument('--autobahn', default=DEBIAN_AUTOBAHN,
                   help='the autobahn package directory whose tests run')
    p.add_argument('--upstream', default=DEBIAN_UPSTREAM,
                   help='the directory upstream txaio is imported from')
    args = p.parse_args()
    same = True
    report = {}
    for framework in args.frameworks.split(','):
        upstream = run(args, framework, args.upstream, ours=False)
        ours = run(args, framework, args.ours, ours=True)
        diff = sorted(name for name in set(upstream) | set(ours)
                      if upstream.get(name) != ours.get(name))
        report[framework] = {'upstream': summary(upstream),
                             'ours': summary(ours), 'differences': diff}
        print('{}: upstream {} ours {}'.format(
            framework, summary(upstream), summary(ours)))
        for name in diff:
            print('  differs: {} upstream={} ours={}'.format(
                name, upstream.get(name), ours.get(name)))
        if not summary(upstream).get('passed'):
            print('  no autobahn test passed: the comparison means nothing')
            same = False
        same = same and not diff
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(report, f, indent=1)
    sys.exit(0 if same else 1)


if __name__ == '__main__':
    main()
