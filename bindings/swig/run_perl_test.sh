#!/bin/bash
# run_perl_test.sh Txaio.pm Txaio.so TEST.pl: lays the module out as Perl
# expects (Txaio.pm, auto/Txaio/Txaio.so) and runs the test with Debian's perl.
set -euo pipefail
lib="${TEST_TMPDIR:-$(mktemp -d)}/perl-lib"
mkdir -p "$lib/auto/Txaio"
cp "$1" "$lib/Txaio.pm"
cp "$2" "$lib/auto/Txaio/Txaio.so"
exec /usr/bin/perl -I"$lib" "$3"
