#!/bin/sh
# test_systemd.sh - the configured casemaild.service: sandbox score and syntax.
#
# usage: test_systemd.sh UNIT [CASEMAILD [DROPIN]]
#
# DROPIN is the OAuth2 drop-in (systemd/casemaild-oauth2.conf by default);
# it is verified together with the unit, as systemd would apply it.
# UNIT is the configured unit (build/casemaild.service).  CASEMAILD is the
# built daemon, default casemaild next to UNIT; it stands in for ExecStart=
# when the installed path does not exist yet, because "systemd-analyze
# verify" refuses a unit whose command is missing.
# Exit 77 (skipped) without systemd-analyze.
set -u

unit=${1:?usage: test_systemd.sh UNIT [CASEMAILD]}
daemon=${2:-}
dropin=${3:-$(dirname "$0")/../../systemd/casemaild-oauth2.conf}
# Highest acceptable exposure, times ten (systemd-analyze --threshold is on
# the 0..100 scale; it prints the level divided by ten): 2.0.
threshold=20
fail=0

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "skip: systemd-analyze not installed"
	exit 77
fi
if [ ! -r "$unit" ]; then
	echo "FAIL: $unit: no such unit (configure the build first)"
	exit 1
fi

[ -n "$daemon" ] || daemon=$(dirname "$unit")/casemaild

tmp=$(mktemp -d "${TMPDIR:-/tmp}/casemail-systemd.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# --offline reads the file alone: no running systemd, no casemail user.
out=$(systemd-analyze security --offline=yes --threshold=$threshold \
      "$unit" 2>&1)
rc=$?
printf '%s\n' "$out" | grep -F '✗'
printf '%s\n' "$out" | grep 'Overall exposure level' ||
	printf '%s\n' "$out"
if [ $rc -eq 0 ]; then
	echo "ok: exposure within $threshold/10"
else
	echo "FAIL: exposure above $threshold/10 (systemd-analyze exit $rc)"
	fail=1
fi

# The limits and restart policy that keep one mail from stopping the desk
# (casemaild(8), SYSTEMD).
for line in MemoryMax= TasksMax= Restart=on-failure StartLimitIntervalSec=0 \
	    RestartPreventExitStatus=78; do
	if grep -q "^$line" "$unit"; then
		echo "ok: $line"
	else
		echo "FAIL: $unit: no $line"
		fail=1
	fi
done

# verify checks directives and that ExecStart= is executable.  Man pages in
# Documentation= are not installed here: --man=no.
exec_path=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$unit")
name=$(basename "$unit")
if [ -x "$exec_path" ]; then
	cp "$unit" "$tmp/$name"
elif [ -x "$daemon" ]; then
	daemon=$(cd "$(dirname "$daemon")" && pwd)/$(basename "$daemon")
	sed "s|^ExecStart=[^ ]*|ExecStart=$daemon|" "$unit" > "$tmp/$name"
	echo "verify: ExecStart=$exec_path not installed; using $daemon"
else
	echo "verify: skipped: neither $exec_path nor $daemon exists"
	exit $fail
fi
if systemd-analyze verify --man=no "$tmp/$name"; then
	echo "ok: systemd-analyze verify"
else
	echo "FAIL: systemd-analyze verify $unit"
	fail=1
fi

# The OAuth2 drop-in: it must empty the password credentials (their files
# do not exist on such a desk, and a missing one fails the start), load the
# client secret under the name casemail.conf.example uses, and pass verify
# without a warning (verify reads NAME.d/ beside the unit; it only warns
# about a bad line in a drop-in, so any output about it is a failure).
if [ ! -r "$dropin" ]; then
	echo "FAIL: $dropin: no such drop-in"
	exit 1
fi
mkdir "$tmp/$name.d" && cp "$dropin" "$tmp/$name.d/oauth2.conf" || exit 1
creds=$(sed -n 's/^LoadCredential=//p' "$dropin")
if [ "$(printf '%s\n' "$creds" | head -n 1)" = "" ] &&
   printf '%s\n' "$creds" | grep -qx 'oauth2-client-secret:/etc/casemail/[^ ]*' &&
   ! printf '%s\n' "$creds" | grep -q password; then
	echo "ok: drop-in: credentials reset, oauth2-client-secret loaded"
else
	echo "FAIL: $dropin: expected LoadCredential= then only oauth2-client-secret"
	fail=1
fi
out=$(systemd-analyze verify --man=no "$tmp/$name" 2>&1)
rc=$?
if [ $rc -eq 0 ] && ! printf '%s\n' "$out" | grep -F "$name.d/"; then
	echo "ok: systemd-analyze verify with the OAuth2 drop-in"
else
	printf '%s\n' "$out"
	echo "FAIL: systemd-analyze verify $unit with $dropin"
	fail=1
fi
exit $fail
