"""The log line format is one: the core's text writer, the native emitters
(bindings/python/native/log.cc, the fast path) and the pure-Python writers
(txaio.aio's handler, txaio.tx's observer) write the same line for the same
event, and the core's JSON writer the same message in log_text.

Run in a child interpreter per framework (start_logging happens once per
process), in a time zone with a UTC offset. Under asyncio the line's time
has no UTC offset (datetime.fromtimestamp(t).strftime('...%z') of a naive
datetime, as upstream txaio writes it): the core's line is compared with
its offset taken out; under Twisted (formatTime) the lines are identical.
"""

import json
import os
import subprocess
import sys

import pytest

from conftest import FRAMEWORK

# (format, fields): what both str.format and the core's PEP 3101 subset
# format (no attribute access, no event keys, whose values differ by
# framework).
EVENTS = [
    ('plain text', {}),
    ('connection {peer} sent {count} bytes', {'peer': 'tcp:1.2.3.4', 'count': 3}),
    ('{n:>6}|{n:<4}|{n:^7}|{n:+d}|{n:#x}|{n:,}', {'n': 12345}),
    ('{f} {f:.3f} {f:e} {f:g} {f:.1%} {g}', {'f': 3.14159, 'g': 1e16}),
    ('{b} {b:d} {b!r} {s!r} {s:*^12} {s:.3}', {'b': True, 's': "it's"}),
    ('unicode {u} {u!r} {u:>6}', {'u': 'h\u00e9llo \u2603'}),
    ('braces {{literal}} and {x!s:>4}', {'x': 2.5}),
    ('negative {i} {i:08d} {i:=+8}', {'i': -42}),
]

CHILD = r'''
import io, json, logging, sys, time
import txaio
FRAMEWORK = sys.argv[1]
getattr(txaio, 'use_' + FRAMEWORK)()
from txaio import _txaio_core as core
EVENTS = json.loads(sys.argv[2])
out = io.StringIO()
txaio.start_logging(out=out, level='info')
log = txaio.make_logger()

def force_python_writer():
    """Makes the events go through the pure-Python writer: another filter
    or observer means the native emitters cannot write directly."""
    if FRAMEWORK == 'asyncio':
        handler = logging.getLogger().handlers[-1]
        handler.addFilter(lambda record: True)
    else:
        from twisted.logger import globalLogPublisher
        globalLogPublisher.addObserver(lambda event: None)

def emit(format, fields):
    """Logs one event; returns its line and the core's lines for its time
    (retrying until the call falls within one second)."""
    while True:
        out.seek(0)
        out.truncate()
        before = time.time()
        log.info(format, **fields)
        after = time.time()
        if int(before) == int(after):
            break
    text, json_line = core.core_log_lines(before, log.namespace, format,
                                          fields)
    return out.getvalue(), text, json_line

results = {'native': [], 'python': []}
for path in ('native', 'python'):
    if path == 'python':
        force_python_writer()
    for format, fields in EVENTS:
        results[path].append(emit(format, fields))
sys.__stdout__.write(json.dumps(results))
'''


def _offset_free(line):
    # "2016-01-21T01:02:03+0530 msg" -> "2016-01-21T01:02:03 msg"
    stamp, _, rest = line.partition(' ')
    return stamp[:19] + ' ' + rest


@pytest.mark.parametrize('zone', ['Asia/Kolkata', 'America/St_Johns'])
def test_one_line_format_for_all_writers_subprocess(zone):
    if not os.path.exists(os.path.join('/usr/share/zoneinfo', zone)):
        pytest.skip('no zoneinfo for ' + zone)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path), TZ=zone)
    run = subprocess.run(
        [sys.executable, '-c', CHILD, FRAMEWORK, json.dumps(EVENTS)],
        env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    results = json.loads(run.stdout.strip().splitlines()[-1])
    for path in ('native', 'python'):
        assert len(results[path]) == len(EVENTS)
        for (format, fields), (line, core_line, core_json) in zip(
                EVENTS, results[path]):
            assert core_line.endswith('\n')
            expected = core_line[:-1] + os.linesep
            if FRAMEWORK == 'asyncio':
                expected = _offset_free(expected)
            else:
                assert core_line[19] in '+-', core_line  # has its offset
            assert line == expected, (path, format)
            message = format.format(**fields)
            assert line.split(' ', 1)[1] == message + os.linesep
            assert json.loads(core_json)['log_text'] == message
