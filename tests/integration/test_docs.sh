#!/bin/sh
# test_docs.sh - the man pages in docs/ against the programs and the code.
#
# usage: test_docs.sh SOURCE_DIR CASECTL CASEMAILD
#
# 1. Every key of src/base/config.c's key table (config_keys[]) has an entry in
#    its group's section of casemail.conf.5 (".SS [group]", then a tag line
#    ".BR key ..." or ".B key").
# 2. Every command that "CASECTL --help" lists has an entry (a .TP tag
#    starting with its name) under COMMANDS in casectl.1, and every long
#    option that "CASECTL COMMAND --help" shows appears in casectl.1.
# 3. Every mode that "CASEMAILD --help" lists (its usage lines and its
#    option list) has a subsection (.SS) under MODES in casemaild.8, and
#    every long option it shows appears in casemaild.8.
# 3b. Every error code of include/casemail/web_api.h (WEB_API_E*) and
#    every endpoint of src/web/web_api.c's route table is described in
#    casemail-api.7.
# 4. The pages render without warnings: "man --warnings -l" and
#    "groff -man -ww -z" print nothing.  Without man(1) this part is
#    skipped, and so is the test (exit 77) if 1-3 passed.
# Prints one FAIL line per problem; exits 1 if there was any.
set -u

usage="usage: test_docs.sh SOURCE_DIR CASECTL CASEMAILD"
src=${1:?$usage}
casectl=${2:?$usage}
casemaild=${3:?$usage}
docs=$src/docs
pages="casectl.1 casemail.conf.5 casemaild.8 casemail-templates.5 casemail-oauth2.7
casemail-web.8 casemail-api.7"
fail=0

tmp=$(mktemp -d "${TMPDIR:-/tmp}/casemail-docs.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

for p in $pages; do
	if [ ! -r "$docs/$p" ]; then
		echo "FAIL: $docs/$p: missing"
		fail=1
	fi
done
[ "$fail" -eq 0 ] || exit 1

# Plain words from roff: font escapes, \- and quotes go; macro names stay.
roff_plain() {
	sed -e 's/\\f[BIRP]//g' -e 's/\\f(..//g' -e 's/\\-/-/g' \
	    -e 's/\\&//g' -e 's/"//g'
}

# Whether PAGE mentions the long option OPT as roff writes it (\-\-name),
# not only as the start of a longer one (--crm in \-\-crm\-shipper).
has_option() {
	pat=$(printf '%s' "$1" | sed 's/-/\\\\-/g')
	grep -q -- "$pat\\([^a-z\\\\]\\|\\\\[^-]\\|\$\\)" "$2"
}

# ---- 1. config keys ------------------------------------------------------

# "group|key" per entry of config_keys[] (entries may span lines); the
# same parsing as test_example_conf.sh.
sed -n '/config_keys\[\] = {/,/^};/p' "$src/src/base/config.c" |
tr '\n\t' '  ' | tr -s ' ' |
grep -o '{ *"[a-z_]*", *"[a-z_]*", *CONFIG_[A-Z]*' |
sed 's/^{ *"\([a-z_]*\)", *"\([a-z_]*\)".*/\1|\2/' > "$tmp/keys"

# "group|key" for every tag line (.B/.BR key) in a ".SS [group]" section.
awk '
	/^\.SH/ { grp = ""; next }
	/^\.SS \[[a-z_]+\]/ { grp = substr($2, 2, length($2) - 2); next }
	/^\.SS/ { grp = ""; next }
	prev == ".TP" && grp != "" && ($1 == ".BR" || $1 == ".B") {
		print grp "|" $2
	}
	{ prev = $0 }
' "$docs/casemail.conf.5" > "$tmp/documented_keys"

n=0
while IFS='|' read -r group key; do
	n=$((n + 1))
	if ! grep -qx "$group|$key" "$tmp/documented_keys"; then
		echo "FAIL: casemail.conf.5: [$group] $key (src/base/config.c) has no" \
		     "entry in the [$group] section"
		fail=1
	fi
done < "$tmp/keys"
if [ "$n" -lt 40 ]; then
	echo "FAIL: read only $n keys from $src/src/base/config.c (parser out of date?)"
	fail=1
else
	echo "keys: $n in config.c's table checked against casemail.conf.5"
fi

# ---- 2. casectl commands and options -----------------------------------

if ! "$casectl" --help > "$tmp/casectl.help" 2>&1; then
	echo "FAIL: $casectl --help failed"
	fail=1
fi
awk '/^Commands:/ { on = 1; next } /^$/ { on = 0 } on && /^  [a-z]/ { print $1 }' \
	"$tmp/casectl.help" > "$tmp/commands"

# The first word of every .TP tag in the COMMANDS section.
awk '
	/^\.SH/ { on = ($2 == "COMMANDS"); next }
	on && prev == ".TP" { print }
	{ prev = $0 }
' "$docs/casectl.1" | roff_plain |
awk '{ w = ($1 ~ /^\./) ? $2 : $1; print w }' > "$tmp/documented_commands"

n=0
while read -r cmd; do
	n=$((n + 1))
	if ! grep -qx "$cmd" "$tmp/documented_commands"; then
		echo "FAIL: casectl.1: command '$cmd' (casectl --help) has no" \
		     "entry under COMMANDS"
		fail=1
	fi
	"$casectl" "$cmd" --help > "$tmp/cmd.help" 2>&1
	for opt in $(grep -o -- '--[a-z][a-z-]*' "$tmp/cmd.help" | sort -u); do
		if ! has_option "$opt" "$docs/casectl.1"; then
			echo "FAIL: casectl.1: option $opt of 'casectl $cmd'" \
			     "is not described"
			fail=1
		fi
	done
done < "$tmp/commands"
if [ "$n" -lt 15 ]; then
	echo "FAIL: read only $n commands from '$casectl --help'"
	fail=1
else
	echo "commands: $n from casectl --help checked against casectl.1"
fi

# ---- 3. casemaild modes and options ------------------------------------

if ! "$casemaild" --help > "$tmp/casemaild.help" 2>&1; then
	echo "FAIL: $casemaild --help failed"
	fail=1
fi
{
	# Usage lines: the lower-case words and --options after the options,
	# "send | digest" giving both.
	awk '/^usage: casemaild/ || /^ +casemaild / { on = 1 } /^$/ { on = 0 }
	     on { sub(/^usage:/, ""); print }' "$tmp/casemaild.help" |
	tr ' |' '\n\n' | sed -e 's/^\[\(--[a-z-]*\)\]$/\1/' |
	grep -E '^([a-z][a-z-]*|--[a-z][a-z-]*)$' | grep -vx casemaild
	# The option list: "  ingest [PATH]...", "  --once ...".
	grep -E '^  ([a-z][a-z-]*|--[a-z][a-z-]*)( |$)' "$tmp/casemaild.help" |
	awk '{ print $1 }' | grep -vE '^-(c|d|h|V),?$'
} | grep -vE '^--(config|debug|help|version)$' | sort -u > "$tmp/modes"

# The first word of every .SS heading in the MODES section.
awk '
	/^\.SH/ { on = ($2 == "MODES"); next }
	on && /^\.SS/ { sub(/^\.SS +/, ""); print }
' "$docs/casemaild.8" | roff_plain | awk '{ print $1 }' > "$tmp/documented_modes"

n=0
while read -r mode; do
	n=$((n + 1))
	if ! grep -qx -- "$mode" "$tmp/documented_modes"; then
		echo "FAIL: casemaild.8: mode '$mode' (casemaild --help) has no" \
		     "subsection under MODES"
		fail=1
	fi
done < "$tmp/modes"
if [ "$n" -lt 6 ]; then
	echo "FAIL: read only $n modes from '$casemaild --help'"
	fail=1
else
	echo "modes: $n from casemaild --help checked against casemaild.8:" \
	     "$(tr '\n' ' ' < "$tmp/modes" | sed 's/ $//')"
fi
for opt in $(grep -o -- '--[a-z][a-z-]*' "$tmp/casemaild.help" | sort -u); do
	if ! has_option "$opt" "$docs/casemaild.8"; then
		echo "FAIL: casemaild.8: option $opt (casemaild --help) is not" \
		     "described"
		fail=1
	fi
done

# ---- 3b. the JSON API ---------------------------------------------------

# The page as plain words without macro names or spaces: a tag such as
# .BI "POST /api/v1/cases/" NUMBER /notes reads POST/api/v1/cases/NUMBER/notes.
roff_plain < "$docs/casemail-api.7" | sed 's/^\.[A-Z]* *//' | tr -d ' ' \
	> "$tmp/api"
n=0
for code in $(sed -n 's/^#define WEB_API_E[A-Z]* "\([a-z_]*\)".*/\1/p' \
	"$src/include/casemail/web_api.h"); do
	n=$((n + 1))
	if ! grep -q "^$code(" "$tmp/api"; then
		echo "FAIL: casemail-api.7: error code $code has no entry"
		fail=1
	fi
done
# { on_case, "rest", "METHOD", fn }: METHOD /cases[/NUMBER][/rest].
sed -n '/api_routes\[\] = {/,/^};/p' "$src/src/web/web_api.c" |
grep -o '{ [01], "[a-z]*", "[A-Z]*"' |
sed 's/{ \([01]\), "\([a-z]*\)", "\([A-Z]*\)"/\1|\2|\3/' > "$tmp/routes"
while IFS='|' read -r on_case rest method; do
	n=$((n + 1))
	path=/api/v1/cases
	[ "$on_case" = 1 ] && path="$path/NUMBER"
	[ -n "$rest" ] && path="$path/$rest"
	if ! grep -qx "$method$path" "$tmp/api"; then
		echo "FAIL: casemail-api.7: endpoint $method $path has no entry"
		fail=1
	fi
done < "$tmp/routes"
if [ "$n" -lt 12 ]; then
	echo "FAIL: read only $n API codes and endpoints"
	fail=1
else
	echo "api: $n codes and endpoints checked against casemail-api.7"
fi

# ---- 4. rendering ------------------------------------------------------

if ! command -v man > /dev/null 2>&1; then
	if [ "$fail" -ne 0 ]; then
		exit 1
	fi
	echo "SKIP: man(1) is not installed: the pages' rendering is not checked"
	exit 77
fi
for p in $pages; do
	out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$docs/$p" 2>&1 >/dev/null)
	if [ -n "$out" ]; then
		echo "FAIL: $p: man --warnings:"
		printf '%s\n' "$out" | sed 's/^/    /'
		fail=1
	fi
	if command -v groff > /dev/null 2>&1; then
		out=$(groff -man -ww -z "$docs/$p" 2>&1)
		if [ -n "$out" ]; then
			echo "FAIL: $p: groff -man -ww -z:"
			printf '%s\n' "$out" | sed 's/^/    /'
			fail=1
		fi
	fi
done
if [ "$fail" -eq 0 ]; then
	echo "ok: $pages render without warnings"
fi
exit $fail
