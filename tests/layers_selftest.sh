#!/bin/sh
# layers_selftest.sh TOP - the layer check catches a violation.  A copy of
# src/ and include/ gets one include that breaks the layers (the IMAP
# module reaching the store), and tests/layers.py must fail on it, naming
# the file, while it passes on the untouched copy.
set -eu
top=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -R "$top/src" "$top/include" "$tmp/"
python3 "$top/tests/layers.py" "$tmp" >/dev/null
printf '#include "casemail/store.h"\n' >>"$tmp/src/net/imap.c"
rc=0
python3 "$top/tests/layers.py" "$tmp" >"$tmp/out" || rc=$?
cat "$tmp/out"
if [ "$rc" -ne 1 ] || ! grep -q '^src/net/imap.c:.*casemail/store.h' "$tmp/out"; then
	echo "FAIL: the violation in src/net/imap.c was not reported (exit $rc)"
	exit 1
fi
echo "ok: the violation was caught"
