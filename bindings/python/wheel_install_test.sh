#!/usr/bin/env bash
# Installs the wheel offline into a fresh directory with Debian's pip, then
# checks that `import txaio` finds that copy and that it works on asyncio.
set -euo pipefail
wheel="$(realpath "$1")"
target="$TEST_TMPDIR/site"
/usr/bin/python3 -m pip install --quiet --no-index --no-deps --target "$target" "$wheel"
cd "$TEST_TMPDIR"
# The supported Twisted range is in the metadata (docs/python.md).
/usr/bin/python3 - "$wheel" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    name = next(n for n in z.namelist() if n.endswith('.dist-info/METADATA'))
    metadata = z.read(name).decode()
assert 'Requires-Dist: Twisted>=22.4,<27; extra == "twisted"' in metadata, metadata
PY
PYTHONPATH="$target" /usr/bin/python3 - "$target" <<'PY'
import asyncio
import sys

import txaio

assert txaio.__file__.startswith(sys.argv[1]), txaio.__file__
txaio.use_asyncio()
loop = asyncio.new_event_loop()
txaio.config.loop = loop
seen = []
f = txaio.create_future()
txaio.add_callbacks(f, seen.append, None)
txaio.resolve(f, 42)
timer = txaio.make_batched_timer(0.01, 10)
timer.call_later(0.001, seen.append, "batched")
loop.run_until_complete(asyncio.sleep(0.05))
assert seen == [42, "batched"], seen
print("wheel OK:", txaio.__file__)
PY
