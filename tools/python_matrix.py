#!/usr/bin/python3
"""The Python package against the Twisted and autobahn releases users have.

  /usr/bin/python3 tools/python_matrix.py --wheel WHEEL [--autobahn]
      [--envs debian,twisted-24,twisted-newest]

Environments (tools/python_matrix/*.txt pin every PyPI package of a venv):
  debian          Debian's /usr/bin/python3: Twisted 22.4, autobahn 22.7.1,
                  pytest 7.2; upstream txaio 26.6.1 from PyPI beside it
  twisted-24      a venv: Twisted 24.11.0, newest autobahn, txaio 26.6.1
  twisted-newest  a venv: newest Twisted, newest autobahn, txaio 26.6.1
and, for the autobahn comparison only (the other autobahn release on the
same Twisted releases):
  twisted-22-autobahn-26      Twisted 22.4.0 from PyPI, newest autobahn
  twisted-24-autobahn-22      Twisted 24.11.0, autobahn 22.7.1 (Debian's)
  twisted-newest-autobahn-22  newest Twisted, autobahn 22.7.1

On each, with our wheel installed into a directory put first on PYTHONPATH:
  pytest-<env>-<framework>[-public-api]
                            our suite (testing/python), once per framework,
                            and again with the private internals' public
                            fallbacks forced (TXAIO_CPP_PUBLIC_API)
  upstream-suite-<env>      upstream txaio's own suite on ours: no failure,
                            and every test's outcome the one it has with
                            upstream txaio 26.6.1
  autobahn-<env>            (with --autobahn) the environment's autobahn
                            suite on ours and on upstream txaio 26.6.1,
                            compared test by test
Prints one `PASS name` or `FAIL name` line per check (tools/test.sh counts
them) and exits non-zero if any failed.

Venvs and installed wheels are cached under ~/.cache/txaio-cpp/ keyed by
the pins (and the wheel's hash), so a second run installs nothing; PyPI is
needed only for the first.
"""

import argparse
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PINS = os.path.join(REPO, 'tools', 'python_matrix')
CACHE = os.path.join(os.path.expanduser('~'), '.cache', 'txaio-cpp')
SYSTEM_PYTHON = '/usr/bin/python3'
DEBIAN_AUTOBAHN = '/usr/lib/python3/dist-packages/autobahn'

# Environment -> whether our suite and upstream's run there (the others
# only add autobahn releases to Twisted releases already covered).
ENVS = {
    'debian': True,
    'twisted-24': True,
    'twisted-newest': True,
    'twisted-22-autobahn-26': False,
    'twisted-24-autobahn-22': False,
    'twisted-newest-autobahn-22': False,
}


def digest(*paths):
    h = hashlib.sha256()
    for path in paths:
        with open(path, 'rb') as f:
            h.update(f.read())
    return h.hexdigest()[:16]


def pip_install(python, target, requirements):
    """Installs `requirements` (pip arguments) into `target` (a venv when
    None) atomically: a half-made directory is never reused."""
    cmd = [python, '-m', 'pip', 'install', '-q', '--disable-pip-version-check']
    if target:
        cmd += ['--target', target]
    subprocess.run(cmd + requirements, check=True)


def cached_dir(name, make):
    """CACHE/name, made by make(tmp_dir) into a temporary sibling and
    renamed, so that an interrupted run leaves nothing half-made."""
    path = os.path.join(CACHE, name)
    if not os.path.isdir(path):
        os.makedirs(CACHE, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=name + '.', dir=CACHE)
        try:
            make(tmp)
            os.rename(tmp, path)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return path


def environment(name):
    """(python, autobahn package dir, dir upstream txaio is imported from)."""
    if name == 'debian':
        pins = os.path.join(PINS, 'debian.txt')
        upstream = cached_dir('upstream-txaio-' + digest(pins),
                              lambda tmp: pip_install(
                                  SYSTEM_PYTHON, tmp,
                                  ['--no-deps', '-r', pins]))
        return SYSTEM_PYTHON, DEBIAN_AUTOBAHN, upstream
    pins = os.path.join(PINS, name + '.txt')

    def make_venv(tmp):
        subprocess.run([SYSTEM_PYTHON, '-m', 'venv', tmp], check=True)
        # --no-deps: the pins list every package, so the venv is exactly
        # them whatever PyPI has published since.
        pip_install(os.path.join(tmp, 'bin', 'python'), None,
                    ['--no-deps', '-r', pins])
    venv = cached_dir('venv-{}-{}'.format(name, digest(pins)), make_venv)
    python = os.path.join(venv, 'bin', 'python')
    site = subprocess.run(
        [python, '-c', 'import sysconfig; print(sysconfig.get_paths()'
         '["purelib"])'], check=True, capture_output=True,
        text=True).stdout.strip()
    return python, os.path.join(site, 'autobahn'), site


def run(name, cmd, env_extra, results, timeout=None, verdict=True):
    env = dict(os.environ)
    env.pop('PYTHONPATH', None)
    env.update(env_extra)
    print('=== {}: {}'.format(name, ' '.join(cmd)), flush=True)
    # Its own process group, so that a timeout also stops the pytest runs
    # it started.
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        text, _ = proc.communicate(timeout=timeout)
        ok = proc.returncode == 0
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        text, _ = proc.communicate()
        ok = False
        text += '\ntimed out after {} s'.format(timeout)
    tail = text.strip().splitlines()[-15:]
    print('\n'.join('    ' + line for line in tail))
    if verdict:
        print('{} {}'.format('PASS' if ok else 'FAIL', name), flush=True)
    results.append(ok)
    return ok


def compare_upstream_suite(name, python, ours, upstream, results):
    with tempfile.TemporaryDirectory() as tmp:
        runner = os.path.join(REPO, 'testing', 'python', 'upstream_suite.py')
        outcomes = {}
        for who, path, extra in (('ours', ours, ['--expect-ours']),
                                 ('upstream', upstream, [])):
            out = os.path.join(tmp, who + '.json')
            run('{} ({})'.format(name, who),
                [python, runner, '--outcomes', out] + extra,
                {'PYTHONPATH': path}, [], verdict=False)
            with open(out) as f:
                outcomes[who] = json.load(f)
        differ = sorted(t for t in set(outcomes['ours']) |
                        set(outcomes['upstream'])
                        if outcomes['ours'].get(t) !=
                        outcomes['upstream'].get(t))
        failed = [t for t, o in outcomes['ours'].items()
                  if o in ('failed', 'error')]
        for t in differ:
            print('    differs: {} ours={} upstream={}'.format(
                t, outcomes['ours'].get(t), outcomes['upstream'].get(t)))
        ok = bool(outcomes['ours']) and not differ and not failed
        print('{} {}'.format('PASS' if ok else 'FAIL', name), flush=True)
        results.append(ok)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--wheel', required=True)
    p.add_argument('--envs', default=','.join(ENVS),
                   help='environments to run (default: all; the suites run '
                   'on those marked so in ENVS)')
    p.add_argument('--autobahn', action='store_true',
                   help='also compare autobahn suites (minutes per env)')
    p.add_argument('--autobahn-timeout', type=float, default=900)
    args = p.parse_args()

    wheel = os.path.abspath(args.wheel)
    ours_name = 'ours-' + digest(wheel)
    ours = cached_dir(ours_name, lambda tmp: pip_install(
        SYSTEM_PYTHON, tmp, ['--no-deps', '--no-index', wheel]))
    # Earlier builds' installs, once unused for a day: the cache is shared
    # by every clone on the machine, and another run may be using its own.
    os.utime(ours)
    for old in os.listdir(CACHE):
        path = os.path.join(CACHE, old)
        if (old.startswith('ours-') and old != ours_name and
                time.time() - os.path.getmtime(path) > 86400):
            shutil.rmtree(path, ignore_errors=True)
    results = []
    for name in args.envs.split(','):
        if not args.autobahn and not ENVS[name]:
            continue
        python, autobahn, upstream = environment(name)
        if not args.autobahn:
            for framework in ('asyncio', 'twisted'):
                for public in ([], ['--public-api']):
                    run('pytest-{}-{}{}'.format(name, framework,
                                                '-public-api' if public
                                                else ''),
                        [python, os.path.join(REPO, 'testing', 'python',
                                              'run_pytest.py'),
                         '--framework=' + framework] + public,
                        {'PYTHONPATH': ours}, results)
            compare_upstream_suite('upstream-suite-' + name, python, ours,
                                   upstream, results)
        else:
            run('autobahn-' + name,
                [SYSTEM_PYTHON, os.path.join(REPO, 'testing', 'python',
                                             'autobahn', 'compare_autobahn.py'),
                 '--ours', ours, '--python', python, '--autobahn', autobahn,
                 '--upstream', upstream], {}, results,
                timeout=args.autobahn_timeout)
    print('python matrix: {} passed, {} failed'.format(
        results.count(True), results.count(False)))
    return 0 if all(results) else 1


if __name__ == '__main__':
    sys.exit(main())
