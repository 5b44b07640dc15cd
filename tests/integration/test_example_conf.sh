#!/bin/sh
# test_example_conf.sh - docs/casemail.conf.example against src/base/config.c.
#
# usage: test_example_conf.sh CASEMAILD [SOURCE_DIR]
#
# 1. Every key of config.c's key table is in the example, commented out
#    ("#key = value") in its group, showing the table's default.
# 2. "casemaild check" accepts the example as shipped (all commented out)
#    and a copy with every key uncommented (so no key is misspelt or stale
#    and every example value is valid).
# Both run in a temporary directory, where the relative paths land.
set -u

daemon=${1:?usage: test_example_conf.sh CASEMAILD [SOURCE_DIR]}
src=${2:-$(cd "$(dirname "$0")/../.." && pwd)}
example=$src/docs/casemail.conf.example
fail=0

case $daemon in /*) ;; *) daemon=$(pwd)/$daemon ;; esac

# "group|key|default" per table entry; default "-" when the table has NULL.
# Entries may span lines and defaults may be concatenated string literals.
table_keys() {
	sed -n '/config_keys\[\] = {/,/^};/p' "$src/src/base/config.c" |
	tr '\n\t' '  ' | tr -s ' ' |
	grep -o '{ *"[a-z_]*", *"[a-z_]*", *CONFIG_[A-Z]*, *\(NULL\|"[^"]*"\( *"[^"]*"\)*\)' |
	sed -e 's/" "//g' \
	    -e 's/^{ *"\([a-z_]*\)", *"\([a-z_]*\)", *CONFIG_[A-Z]*, *NULL$/\1|\2|-/' \
	    -e 's/^{ *"\([a-z_]*\)", *"\([a-z_]*\)", *CONFIG_[A-Z]*, *"\(.*\)"$/\1|\2|=\3/'
}

# The value shown for KEY in [GROUP], or nothing if the line is missing.
example_value() {
	awk -v g="$1" -v k="$2" '
		/^\[/ { grp = substr($0, 2, index($0, "]") - 2); next }
		grp == g && index($0, "#" k " =") == 1 {
			v = substr($0, length(k) + 4); sub(/^ +/, "", v);
			print "=" v; exit
		}' "$example"
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/casemail-example.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

table_keys > "$tmp/keys"
n=0
while IFS='|' read -r group key def; do
	n=$((n + 1))
	shown=$(example_value "$group" "$key")
	if [ -z "$shown" ]; then
		echo "FAIL: [$group] $key: no \"#$key = ...\" line in $example"
		fail=1
	elif [ "$def" != "-" ] && [ "$shown" != "$def" ]; then
		echo "FAIL: [$group] $key: example shows '${shown#=}'," \
		     "config.c default is '${def#=}'"
		fail=1
	fi
done < "$tmp/keys"
if [ "$n" -lt 40 ]; then
	echo "FAIL: read only $n keys from $src/src/base/config.c (parser out of date?)"
	exit 1
fi
echo "keys: $n in config.c's table checked against the example"

# As shipped: everything commented out, so all defaults.
mkdir "$tmp/shipped"
cp "$example" "$tmp/shipped/casemail.conf"
if (cd "$tmp/shipped" && "$daemon" -c casemail.conf check); then
	echo "ok: example as shipped passes casemaild check"
else
	echo "FAIL: casemaild check refused the example as shipped"
	fail=1
fi

# Every key uncommented, with what the files it names need to exist.
mkdir "$tmp/all" "$tmp/all/creds"
sed 's/^#\([a-z_]* =\)/\1/' "$example" > "$tmp/all/casemail.conf"
cp -R "$src/templates" "$tmp/all/templates"
for f in all/msgid.secret all/creds/imap-password all/creds/smtp-password; do
	echo "not-a-real-secret" > "$tmp/$f"
	chmod 600 "$tmp/$f"
done
# The signing key is checked: 32 bytes of key material (64 hex digits).
printf '%064d\n' 7 > "$tmp/all/msgid.secret"
set=$(grep -c '^[a-z_]* =' "$tmp/all/casemail.conf")
if (cd "$tmp/all" && CREDENTIALS_DIRECTORY="$tmp/all/creds" \
    "$daemon" -c casemail.conf check); then
	echo "ok: example with all $set keys uncommented passes casemaild check"
else
	echo "FAIL: casemaild check refused the example with all keys uncommented"
	fail=1
fi
exit $fail
