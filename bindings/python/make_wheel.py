"""Builds the txaio wheel from the package files and the native module.

  make_wheel.py --out DIST/txaio-VERSION-cp311-cp311-linux_x86_64.whl FILE...

Each FILE is placed under txaio/ by its base name; METADATA, WHEEL and a
RECORD with sha256 digests make it installable offline with
`pip install --target DIR` or system-wide.
"""

import argparse
import base64
import hashlib
import os
import zipfile

NAME = 'txaio'
SUMMARY = ('txaio backed by txaio-cpp: a drop-in replacement for txaio on '
           'asyncio and Twisted')


def _digest(data):
    d = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=')
    return 'sha256=' + d.decode()


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--out', required=True)
    p.add_argument('--version', required=True)
    p.add_argument('--tag', required=True)
    p.add_argument('files', nargs='+')
    args = p.parse_args()
    dist_info = '{}-{}.dist-info'.format(NAME, args.version)
    entries = []
    for path in sorted(args.files, key=os.path.basename):
        with open(path, 'rb') as f:
            entries.append(('txaio/' + os.path.basename(path), f.read()))
    metadata = '\n'.join([
        'Metadata-Version: 2.1',
        'Name: ' + NAME,
        'Version: ' + args.version,
        'Summary: ' + SUMMARY,
        'License: MIT',
        'Requires-Python: >=3.11',
        # The range tools/python_matrix.py tests (docs/python.md).
        'Provides-Extra: twisted',
        'Requires-Dist: Twisted>=22.4,<27; extra == "twisted"',
        '', '']).encode()
    wheel = '\n'.join([
        'Wheel-Version: 1.0',
        'Generator: txaio-cpp make_wheel.py',
        'Root-Is-Purelib: false',
        'Tag: ' + args.tag,
        '', '']).encode()
    entries += [(dist_info + '/METADATA', metadata),
                (dist_info + '/WHEEL', wheel),
                (dist_info + '/top_level.txt', b'txaio\n')]
    record = ''.join('{},{},{}\n'.format(name, _digest(data), len(data))
                     for name, data in entries)
    record += dist_info + '/RECORD,,\n'
    entries.append((dist_info + '/RECORD', record.encode()))
    with zipfile.ZipFile(args.out, 'w', zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)


if __name__ == '__main__':
    main()
