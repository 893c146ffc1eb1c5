#!/usr/bin/python3
"""Runs the tests shipped in Debian's python3-autobahn with our txaio and
with upstream txaio (python3-txaio), under Twisted and asyncio, and compares
the outcome of every test.

  /usr/bin/python3 testing/python/autobahn/compare_autobahn.py \
      --ours DIR_HOLDING_OUR_txaio [--json out.json]

Exit status 0 when, for each framework, the same tests pass, fail and skip
with both packages. Each pytest run is a separate interpreter, so `txaio` is
ours (DIR first on PYTHONPATH) or upstream's; the run checks which one was
imported.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

AUTOBAHN = '/usr/lib/python3/dist-packages/autobahn'
UPSTREAM_DIR = '/usr/lib/python3/dist-packages'

# The autobahn selects its framework for tests with these variables.
FRAMEWORK_ENV = {'twisted': {'USE_TWISTED': '1'},
                 'asyncio': {'USE_ASYNCIO': '1'}}

OTHER = {'twisted': 'asyncio', 'asyncio': 'twisted'}

CHECK_IMPORT = '''
import txaio, sys
sys.stdout.write(txaio.__file__)
'''


def run(framework, ours_dir):
    env = dict(os.environ)
    env.pop('PYTHONPATH', None)
    env.update(FRAMEWORK_ENV[framework])
    if ours_dir:
        env['PYTHONPATH'] = os.path.abspath(ours_dir)
    where = subprocess.run([sys.executable, '-c', CHECK_IMPORT], env=env,
                           capture_output=True, text=True,
                           check=True).stdout
    want = os.path.abspath(ours_dir) if ours_dir else UPSTREAM_DIR
    if not where.startswith(want):
        raise SystemExit('expected txaio from {}, got {}'.format(want, where))
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, 'junit.xml')
        cmd = [sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider',
               '--junitxml', report, '--import-mode=importlib',
               '--continue-on-collection-errors',
               # The other framework's package selects that framework on
               # import, which txaio refuses once one is chosen.
               '--ignore', os.path.join(AUTOBAHN, OTHER[framework]),
               '--rootdir', tmp, AUTOBAHN]
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
    args = p.parse_args()
    same = True
    report = {}
    for framework in args.frameworks.split(','):
        upstream = run(framework, None)
        ours = run(framework, args.ours)
        diff = sorted(name for name in set(upstream) | set(ours)
                      if upstream.get(name) != ours.get(name))
        report[framework] = {'upstream': summary(upstream),
                             'ours': summary(ours), 'differences': diff}
        print('{}: upstream {} ours {}'.format(
            framework, summary(upstream), summary(ours)))
        for name in diff:
            print('  differs: {} upstream={} ours={}'.format(
                name, upstream.get(name), ours.get(name)))
        same = same and not diff
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(report, f, indent=1)
    sys.exit(0 if same else 1)


if __name__ == '__main__':
    main()
