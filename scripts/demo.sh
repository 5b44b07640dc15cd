#!/bin/sh
# demo.sh - the main job: a day at a logistics case desk, end to end.
#
#   scripts/demo.sh [--no-deps] [--build-dir DIR] [--web]
#
# Installs the packages (scripts/deps.sh; skipped with --no-deps or
# SKIP_DEPS=1), builds casemail in build/ (or uses the tree given with
# --build-dir, building it only if the programs are missing), then starts
# a private Dovecot (the case mailbox) and an SMTP receiver (everyone
# else's mail), both on 127.0.0.1 only, with their configuration in a
# temporary directory, and runs casemaild against them in the background:
#
#   1. a shipper mails a carrier about a damaged pallet, Cc the desk:
#      a case opens and the shipper gets an acknowledgement;
#   2. the carrier answers the desk with a photo: the message lands on the
#      same case and the shipper and the case owner are notified;
#   3. an agent mails "/escalation" with the caller's details: the
#      escalation goes to the outside support team only (the carrier's
#      owner is withheld), the case is pending; the team's reply is stored
#      as internal and told to the desk alone;
#   4. the agent sends the "update" and "resolve" canned responses with
#      casectl: the case is solved;
#   5. a caller phones: the agent opens a case with the caller's details
#      (owning it on the shipper side), hands it to the outside support
#      team with casectl escalate and tells the caller so with "update";
#   6. the cases and their history are printed;
#   7. every mail received is printed;
#   8. casemail-web serves the desk in the browser: Anna signs in and sees
#      the cases.  With --web it then prints the URL and her password and
#      keeps the desk up (and the store) until Ctrl-C; DEMO_WEB_PORT sets
#      the port (default 8080).
#
# The agent, Anna, is registered with casectl agent add, and every
# casectl command that changes something names her with --as.
#
# Each step waits (with a time limit) for what it should cause and checks
# it; any miss makes the script exit non-zero.  Everything it started is
# stopped and the temporary directory removed, also on failure.
# DEMO_KEEP=1 keeps the temporary directory (logs, store, mail received).
# The ctest test "demo" runs it as: sh scripts/demo.sh --no-deps --build-dir B
set -eu

usage() {
	echo "usage: scripts/demo.sh [--no-deps] [--build-dir DIR] [--web]" >&2
	exit 2
}

build=
web=0
no_deps=${SKIP_DEPS:-0}
while [ $# -gt 0 ]; do
	case "$1" in
	--no-deps) no_deps=1 ;;
	--web) web=1 ;;
	--build-dir)
		[ $# -ge 2 ] || usage
		build=$2
		shift
		;;
	--build-dir=*) build=${1#--build-dir=} ;;
	-h | --help)
		sed -n '2,/^set -eu/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
		exit 0
		;;
	*) usage ;;
	esac
	shift
done

top=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "$build" ]; then
	mkdir -p "$build"
	build=$(cd "$build" && pwd)
	use_tree=1
else
	build=$top/build
	use_tree=0
fi
cd "$top"

PY=/usr/bin/python3
WAIT_SECS=20            # the longest any one step may take
CASE_ADDR=cases@desk.example
SAM="Sam Shipper <sam@acme.test>"
CARLA="Carla Carrier <carla@fasttrucks.test>"
ANNA="Anna Agent <anna@desk.example>"
# The authserv-id of the desk's own MTA (Authentication-Results).
MTA_ID=mx.desk.example
ESCALATION=escalations@support-partner.test
SHIPMENT=1Z999AA10123456784

# ---- the temporary directory, and stopping everything on the way out ----

demo=$(mktemp -d /tmp/casemail-demo.XXXXXX)
# Dovecot's processes (user dovecot) must be able to reach their files.
chmod 755 "$demo"
daemon_pid=
web_pid=
sink_up=0
imap_up=0

# A process's state ("" when gone): a child that exited stays a zombie
# until it is waited for, so kill -0 alone cannot tell.
proc_state() {
	ps -o stat= -p "$1" 2>/dev/null || true
}

running() {
	case "$(proc_state "$1")" in
	"" | Z*) return 1 ;;
	esac
	return 0
}

cleanup() {
	rc=$?
	set +e
	if [ -n "$web_pid" ] && running "$web_pid"; then
		kill -TERM "$web_pid" 2>/dev/null
		wait "$web_pid" 2>/dev/null
	fi
	if [ -n "$daemon_pid" ] && running "$daemon_pid"; then
		kill -TERM "$daemon_pid" 2>/dev/null
		i=0
		while running "$daemon_pid" && [ $i -lt 100 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "$daemon_pid" 2>/dev/null
		wait "$daemon_pid" 2>/dev/null
	fi
	[ "$sink_up" = 0 ] || "$PY" tests/integration/smtpsink.py "$demo/sink" --stop
	[ "$imap_up" = 0 ] || tests/integration/dovecot.sh stop "$demo/imap"
	if [ "${DEMO_KEEP:-0}" = 1 ]; then
		echo "demo: kept $demo" >&2
	else
		rm -rf "$demo"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 141' PIPE
trap 'exit 143' TERM

# ---- output and checks ----

step() {
	printf '\n== %s\n' "$*"
}

say() {
	printf '   %s\n' "$*"
}

ok() {
	printf '   ok: %s\n' "$*"
}

fail() {
	printf '\ndemo: FAILED: %s\n' "$*" >&2
	if [ -s "$demo/casemaild.log" ]; then
		echo "demo: the last lines casemaild logged:" >&2
		tail -n 25 "$demo/casemaild.log" >&2
	fi
	exit 1
}

# wait_for WHAT COMMAND...: run COMMAND until it succeeds, for at most
# WAIT_SECS seconds.
wait_for() {
	what=$1
	shift
	deadline=$(($(date +%s) + WAIT_SECS))
	until "$@"; do
		if [ -n "$daemon_pid" ] && ! running "$daemon_pid"; then
			fail "casemaild died while waiting for $what"
		fi
		[ "$(date +%s)" -lt "$deadline" ] ||
			fail "no $what after $WAIT_SECS s"
		sleep 0.1
	done
	ok "$what"
}

# ---- packages and build ----

if [ "$no_deps" != 1 ]; then
	step "Installing the packages casemail needs (scripts/deps.sh)"
	scripts/deps.sh
fi

if [ "$use_tree" = 0 ] || [ ! -x "$build/casemaild" ] ||
	[ ! -x "$build/casectl" ] || [ ! -x "$build/casemail-web" ]; then
	step "Building casemail in $build"
	if ! { cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
		cmake --build "$build" -j"$(nproc 2>/dev/null || echo 2)"; } \
		>"$demo/build.log" 2>&1; then
		tail -n 30 "$demo/build.log" >&2
		fail "the build failed"
	fi
	say "built $build/casemaild and $build/casectl"
fi
CASEMAILD=$build/casemaild
CASECTL=$build/casectl
CASEMAIL_WEB=$build/casemail-web
t_start=$(date +%s)

# ---- the Python half: mail composition, the photo, reading the receiver ----

cat >"$demo/mailtool.py" <<'PYTHON'
"""Helpers for demo.sh: compose and deliver mail, draw a photo, look at
what the SMTP receiver got, and pick values out of casectl --json."""
import argparse
import email
import email.message
import email.policy
import email.utils
import glob
import imaplib
import json
import os
import struct
import sys
import zlib


def cmd_photo(a):
    """A small real PNG: a wooden pallet with a crushed corner."""
    w, h = 120, 80
    raw = bytearray()
    for y in range(h):
        raw.append(0)  # filter: none
        for x in range(w):
            c = (206, 210, 214)                    # warehouse floor
            if 15 <= x < 105 and 12 <= y < 66:
                c = (196, 146, 86)                 # cartons
                if (y - 12) % 18 == 0 or (x - 15) % 30 == 0:
                    c = (120, 84, 46)              # carton edges
                if x + y < 60 + (x % 7):
                    c = (70, 52, 36)               # the crushed corner
            elif 10 <= x < 110 and 66 <= y < 74:
                c = (150, 110, 60)                 # the pallet
            raw += bytes(c)

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))
    png = (b"\x89PNG\r\n\x1a\n" +
           chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
           chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + chunk(b"IEND", b""))
    with open(a.file, "wb") as f:
        f.write(png)


def cmd_send(a):
    """Compose a mail and APPEND it to the case mailbox; print its ID."""
    m = email.message.EmailMessage()
    m["From"] = a.sender
    m["To"] = a.to
    if a.cc:
        m["Cc"] = a.cc
    m["Subject"] = a.subject
    m["Date"] = email.utils.formatdate(localtime=True)
    domain = email.utils.parseaddr(a.sender)[1].rpartition("@")[2]
    m["Message-ID"] = email.utils.make_msgid(domain=domain)
    if a.in_reply_to:
        m["In-Reply-To"] = a.in_reply_to
        m["References"] = a.in_reply_to
    m["User-Agent"] = a.agent
    with open(a.body, encoding="utf-8") as f:
        m.set_content(f.read())
    for path in a.attach:
        with open(path, "rb") as f:
            m.add_attachment(f.read(), maintype="image", subtype="png",
                             filename=os.path.basename(path))
    raw = m.as_bytes(policy=m.policy.clone(linesep="\r\n"))
    if a.authres:
        # What the desk's MTA (its DMARC milter) adds on delivery.
        raw = f"Authentication-Results: {a.authres}\r\n".encode() + raw
    imap = imaplib.IMAP4("127.0.0.1", a.port, timeout=10)
    imap.login(a.user, a.password)
    typ, _ = imap.append("INBOX", None, None, raw)
    imap.logout()
    if typ != "OK":
        sys.exit("APPEND failed")
    print(m["Message-ID"])


def received(sink):
    """(envelope, message) for every mail the receiver stored."""
    out = []
    for j in sorted(glob.glob(os.path.join(sink, "mail", "*.json"))):
        with open(j) as f:
            env = json.load(f)
        with open(j[:-5] + ".eml", "rb") as f:
            msg = email.message_from_bytes(f.read(), policy=email.policy.default)
        out.append((env, msg))
    return out


def text_of(msg):
    body = msg.get_body(preferencelist=("plain",))
    return body.get_content() if body is not None else ""


def cmd_got(a):
    """Exit 0 when RCPT received exactly COUNT mails with TEXT in their
    Subject or text."""
    n = sum(1 for env, msg in received(a.sink)
            if a.rcpt in env["rcpt_tos"] and
            a.text in "%s\n%s" % (msg["Subject"], text_of(msg)))
    sys.exit(0 if n == a.count else 1)


def cmd_attachment(a):
    """Exit 0 when a mail to RCPT carries FILE (same bytes)."""
    with open(a.file, "rb") as f:
        want = f.read()
    for env, msg in received(a.sink):
        if a.rcpt in env["rcpt_tos"]:
            for part in msg.iter_attachments():
                if (part.get_filename() == os.path.basename(a.file) and
                        part.get_content() == want):
                    sys.exit(0)
    sys.exit(1)


def cmd_msgid(a):
    """The Message-ID of the first mail to RCPT with TEXT in its text."""
    for env, msg in received(a.sink):
        if a.rcpt in env["rcpt_tos"] and a.text in text_of(msg):
            print(msg["Message-ID"])
            return
    sys.exit(1)


def cmd_total(a):
    """How many mails were received (by RCPT)."""
    print(sum(1 for env, msg in received(a.sink)
              if a.rcpt is None or a.rcpt in env["rcpt_tos"]))


def cmd_mails(a):
    """Every mail received, grouped by recipient."""
    by = {}
    for env, msg in received(a.sink):
        for r in env["rcpt_tos"]:
            by.setdefault(r, []).append(msg)
    for rcpt in sorted(by):
        n = len(by[rcpt])
        print("\n   --- %s: %d mail%s" % (rcpt, n, "" if n == 1 else "s"))
        for msg in by[rcpt]:
            print("   From:    %s" % msg["From"])
            print("   To:      %s" % msg["To"])
            if msg["Cc"]:
                print("   Cc:      %s" % msg["Cc"])
            print("   Subject: %s" % msg["Subject"])
            lines = [l.rstrip() for l in text_of(msg).splitlines()
                     if l.strip()]
            for l in lines[:a.lines]:
                print("     | %s" % l)
            if len(lines) > a.lines:
                print("     | ...")
            for part in msg.iter_attachments():
                print("     + attachment %s (%s, %d bytes)" % (
                    part.get_filename(), part.get_content_type(),
                    len(part.get_content())))
            print()


def cmd_q(a):
    """Evaluate EXPR on the JSON read from stdin (as j); print the result."""
    j = json.load(sys.stdin)
    print(eval(a.expr, {"j": j, "len": len, "sorted": sorted}))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("photo")
    s.add_argument("file")
    s = sub.add_parser("send")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--user", default="test")
    s.add_argument("--password", default="secret")
    s.add_argument("--from", dest="sender", required=True)
    s.add_argument("--to", required=True)
    s.add_argument("--cc")
    s.add_argument("--subject", required=True)
    s.add_argument("--body", required=True)
    s.add_argument("--in-reply-to")
    s.add_argument("--attach", action="append", default=[])
    s.add_argument("--agent", default="Thunderbird/115.4")
    s.add_argument("--authres")
    for name in ("got", "attachment", "total", "mails", "msgid"):
        s = sub.add_parser(name)
        s.add_argument("sink")
        if name == "msgid":
            s.add_argument("rcpt")
            s.add_argument("text")
        if name == "got":
            s.add_argument("rcpt")
            s.add_argument("text")
            s.add_argument("count", type=int)
        if name == "attachment":
            s.add_argument("rcpt")
            s.add_argument("file")
        if name == "total":
            s.add_argument("rcpt", nargs="?")
        if name == "mails":
            s.add_argument("--lines", type=int, default=4)
    s = sub.add_parser("q")
    s.add_argument("expr")
    a = p.parse_args()
    globals()["cmd_" + a.cmd](a)


main()
PYTHON

tool() {
	"$PY" "$demo/mailtool.py" "$@"
}

# casectl, with --as "$AGENT" on every command that changes something
# (the agent Anna, registered below); "ctl" also shows the command.
AGENT=anna@desk.example
unset CASEMAIL_USER CASEMAIL_CONFIG
ctl_q() {
	"$CASECTL" -c "$demo/casemail.conf" "$@"
}
ctl() {
	shown=
	for arg; do
		case "$arg" in
		*[!A-Za-z0-9_./:@=+-]*) arg="'$arg'" ;;
		esac
		shown="$shown $arg"
	done
	echo "   \$ casectl$shown"
	if ! "$CASECTL" -c "$demo/casemail.conf" "$@" >"$demo/ctl.out" 2>&1; then
		sed 's/^/     /' "$demo/ctl.out"
		fail "casectl $1 failed"
	fi
	sed 's/^/     /' "$demo/ctl.out"
}

# jq-like: casectl --json ARGS... | EXPR
ctl_json() {
	expr=$1
	shift
	ctl_q --json "$@" | tool q "$expr"
}

# Conditions the steps wait for.
cases_are() {
	[ "$(ctl_json 'len(j)' list --view all 2>/dev/null)" = "$1" ]
}
messages_are() {
	[ "$(ctl_json 'len(j["messages"])' show "$case" 2>/dev/null)" = "$1" ]
}
internal_from_team() {
	[ "$(ctl_json '[m["internal"] for m in j["messages"] if m["from"]["address"] == "'"$ESCALATION"'"]' \
		show "$case" 2>/dev/null)" = "[True]" ]
}
status_is() {
	[ "$(ctl_json 'j["status"]' show "$case" 2>/dev/null)" = "$1" ]
}
# Pending is Active plus a "waiting" event in the history.
waiting_on_support() {
	[ "$(ctl_json '[e["new"] for e in j if e["what"] == "waiting"][-1:]' \
		history "$case" 2>/dev/null)" = "['outside support']" ]
}
got() {
	tool got "$demo/sink" "$@"
}
outbox_empty() {
	[ "$(ctl_json 'len(j)' outbox 2>/dev/null)" = 0 ]
}

# ---- the servers and the daemon ----

step "Starting a private Dovecot and SMTP receiver on 127.0.0.1"
imap_up=1
tests/integration/dovecot.sh start "$demo/imap" >/dev/null
# dovecot.sh wrote its ports there: IMAP_PORT (plain), IMAPS_PORT (TLS)
IMAP_PORT=$(sed -n 's/^IMAP_PORT=//p' "$demo/imap/env")
IMAPS_PORT=$(sed -n 's/^IMAPS_PORT=//p' "$demo/imap/env")
mkdir "$demo/sink"
sink_up=1
"$PY" tests/integration/smtpsink.py "$demo/sink" --daemon
SMTP_PORT=$(cat "$demo/sink/port")
say "IMAP  127.0.0.1:$IMAPS_PORT (TLS; mailbox of $CASE_ADDR: user test)"
say "SMTP  127.0.0.1:$SMTP_PORT (takes every outgoing mail)"

# The browser step's port: a free one unless --web shows it to a person.
if [ "$web" = 1 ]; then
	WEB_PORT=${DEMO_WEB_PORT:-8080}
else
	WEB_PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fi
printf 'secret\n' >"$demo/imap.pw"
chmod 600 "$demo/imap.pw"
cat >"$demo/casemail.conf" <<CONF
[case]
address = $CASE_ADDR
organization_domains = desk.example
desk_name = Logistics Case Desk
escalation_address = $ESCALATION
templates = $top/templates
# The daily digest is not part of this story (and this case would not be
# in it: it has no follow-up time and is not stale).
digest_hour = 23
[store]
database = cases.db
attachments = attachments
[imap]
host = 127.0.0.1
port = $IMAPS_PORT
tls = imaps
ca_file = imap/cert.pem
user = test
password_file = imap.pw
idle = yes
[smtp]
url = smtp://127.0.0.1:$SMTP_PORT
retry_min = 1
# The desk's MTA checks DKIM/DMARC on delivery and says so in its
# Authentication-Results: its word proves who an agent's mail is from.
[trust]
authserv_ids = $MTA_ID
# casemail-web (step 8): plain HTTP on loopback, so no Secure cookies.
[web]
listen = 127.0.0.1:$WEB_PORT
secure_cookies = no
CONF

step "Starting casemaild (foreground mode, in the background)"
"$CASEMAILD" -c "$demo/casemail.conf" check 2>"$demo/check.out" ||
	fail "casemaild check: $(cat "$demo/check.out")"
sed 's/^/   /' "$demo/check.out"
say "Registering the desk's agent (her name goes on the desk's mail):"
ctl agent add "$AGENT" --name "Anna Agent"
"$CASEMAILD" -c "$demo/casemail.conf" </dev/null >/dev/null \
	2>"$demo/casemaild.log" &
daemon_pid=$!
say "casemaild pid $daemon_pid, log in $demo/casemaild.log"
wait_for "casemaild ready (logged in, IDLE on INBOX)" \
	grep -q 'casemaild: ready' "$demo/casemaild.log"

# ---- 1 ----

step "1. Sam (shipper) mails Carla (carrier) about a crushed pallet, Cc the desk"
cat >"$demo/sam.txt" <<EOF
Hi Carla,

Our Rotterdam DC received shipment $SHIPMENT this morning
(PO 4471, 2 pallets). Pallet 2 of 2 arrived crushed: the top layer of
cartons is caved in and the stretch wrap is torn. We signed the POD
"received damaged".

Could you check with your driver and send us the photos taken at
delivery? We need them for the claim.

Regards,
Sam Shipper
Acme Retail, inbound logistics
EOF
subject="Damaged delivery: shipment $SHIPMENT, pallet crushed"
sam_id=$(tool send --port "$IMAP_PORT" --from "$SAM" --to "$CARLA" \
	--cc "Logistics Case Desk <$CASE_ADDR>" --subject "$subject" \
	--body "$demo/sam.txt" --agent "Microsoft Outlook 16.0")
say "From:    $SAM"
say "To:      $CARLA"
say "Cc:      $CASE_ADDR"
say "Subject: $subject"
say "(the desk's copy lands in the case mailbox; casemaild sees it by IDLE)"
wait_for "a new case opened" cases_are 1
case=$(ctl_json 'j[0]["number"]' list --view all)
say "it is $case"
wait_for "acknowledgement to sam@acme.test" got sam@acme.test "Received:" 1
people=$(ctl_json '" ".join(p["address"] for p in j["participants"])' \
	show "$case" 2>/dev/null || true)
echo "$people" | grep -q carla@fasttrucks.test ||
	fail "carla@fasttrucks.test is not on $case (people: $people)"
ok "Carla (To) and Sam (From) are participants of $case"

say "Anna at the desk takes the case and fills in its details:"
ctl assign "$case" --owner "$AGENT" --side shipper --as "$AGENT"
ctl set "$case" --type damaged --priority high --shipment "$SHIPMENT" \
	--as "$AGENT"

# ---- 2 ----

step "2. Carla answers only the desk, with the driver's photo"
tool photo "$demo/pallet-2-of-2.png"
cat >"$demo/carla.txt" <<EOF
Hello,

Our driver photographed the pallet at unloading, see the attached
picture. The damage was there before the delivery run: the pallet was
loaded like this at the Venlo cross-dock. We are opening a claim with
the cross-dock today.

Carla Carrier
FastTrucks dispatch

On $(date -R), Sam Shipper wrote:
> Hi Carla,
>
> Our Rotterdam DC received shipment $SHIPMENT this morning
> (PO 4471, 2 pallets). Pallet 2 of 2 arrived crushed.
EOF
tool send --port "$IMAP_PORT" --from "$CARLA" \
	--to "Logistics Case Desk <$CASE_ADDR>" --subject "Re: $subject" \
	--in-reply-to "$sam_id" --body "$demo/carla.txt" \
	--attach "$demo/pallet-2-of-2.png" --agent "Mozilla Thunderbird" \
	>/dev/null
say "From:    $CARLA"
say "To:      $CASE_ADDR   (not to Sam, and Anna is not on it either)"
say "Subject: Re: $subject"
say "         no case number: it threads by In-Reply-To: <Sam's mail>"
say "Attached: pallet-2-of-2.png ($(wc -c <"$demo/pallet-2-of-2.png") bytes)"
wait_for "her reply threaded onto $case" messages_are 2
wait_for "notification to Sam (he was not a recipient)" \
	got sam@acme.test "Carla Carrier wrote:" 1
wait_for "notification to Anna (the owner)" \
	got anna@desk.example "Carla Carrier wrote:" 1
tool attachment "$demo/sink" sam@acme.test "$demo/pallet-2-of-2.png" ||
	fail "the photo did not reach Sam"
ok "the photo reached Sam, byte for byte"

# ---- 3 ----

step "3. Anna escalates by mail: /escalation with the caller's details"
say "Carla's company owns the carrier side of the case: she is outside"
say "the desk's organization_domains, so the escalation must not reach her."
ctl assign "$case" --owner carla@fasttrucks.test --side carrier --as "$AGENT"
cat >"$demo/anna.txt" <<EOF
/escalation
name: Sam Shipper
company: Acme Retail
phone: +31 10 555 0142
email: sam@acme.test
issue: Pallet 2 of 2 of shipment $SHIPMENT arrived crushed
note: FastTrucks says the damage happened at the Venlo cross-dock.

Anna
EOF
anna_ar="$MTA_ID; dkim=pass header.d=desk.example; dmarc=pass (p=reject) header.from=desk.example"
say "Authentication-Results: $anna_ar"
say "         (added by the desk's MTA on delivery: it proves Anna sent it;"
say "          without it the mail would be held and the command refused)"
say "From:    $ANNA"
say "To:      $CASE_ADDR"
say "Subject: [$case] escalation"
sed 's/^/     | /' "$demo/anna.txt"
tool send --port "$IMAP_PORT" --from "$ANNA" --to "$CASE_ADDR" \
	--subject "[$case] escalation" --body "$demo/anna.txt" \
	--authres "$anna_ar" >/dev/null
wait_for "escalation mailed to $ESCALATION" got "$ESCALATION" "Phone:     +31 10 555 0142" 1
wait_for "$case pending: waiting on outside support" waiting_on_support
got carla@fasttrucks.test "+31 10 555 0142" 0 ||
	fail "the escalation reached the carrier's owner"
ok "the carrier's owner (Cc: owners) was withheld: outside the organisation"

step "3b. The outside support team answers the escalation"
esc_id=$(tool msgid "$demo/sink" "$ESCALATION" "Phone:     +31 10 555 0142")
cat >"$demo/team.txt" <<EOF
Hello desk,

We called Sam Shipper; claim SUP-20931 is open for the pallet and the
cross-dock confirmed the damage. Nothing more is needed from you.

Partner support
EOF
tool send --port "$IMAP_PORT" --from "Partner Support <$ESCALATION>" \
	--to "$CASE_ADDR" --subject "Re: [$case] Escalation" \
	--in-reply-to "$esc_id" --body "$demo/team.txt" >/dev/null
say "From:    $ESCALATION   (In-Reply-To: the escalation)"
wait_for "the team's reply on $case, stored as internal" internal_from_team
wait_for "Anna told of it (the desk's own owner)" \
	got anna@desk.example "claim SUP-20931" 1
for rcpt in sam@acme.test carla@fasttrucks.test; do
	got "$rcpt" "SUP-20931" 0 || fail "$rcpt got the outside team's reply"
done
ok "neither Sam nor Carla heard of it, and the team is no participant"

# ---- 4 ----

step "4. Anna updates Sam and resolves the case with casectl"
ctl reply "$case" --template update --as "$AGENT" \
	--set note="The claims team of our partner will call you about the pallet."
wait_for "update mailed to Sam" got sam@acme.test "Update:" 1
ctl reply "$case" --template resolve --as "$AGENT" \
	--set note="FastTrucks accepted the claim; a credit note follows this week."
wait_for "$case solved" status_is solved
wait_for "resolution mailed to Sam" got sam@acme.test "has been resolved" 1
wait_for "resolution mailed to Carla" got carla@fasttrucks.test "has been resolved" 1
wait_for "outbox empty" outbox_empty

# ---- 5 ----

step "5. A caller phones the desk: Anna opens a case, escalates it, answers it"
say "--side shipper: Anna owns the case on the shipper side (without it a"
say "new agent's side is not known, and nobody would own the case)."
ctl create --subject "Phone: delivery to Hamburg missed its slot" \
	--caller-name "Rita Meyer" --caller-company "Meyer Freight" \
	--caller-phone "+49 40 555 0101" --caller-email rita@meyer.example \
	--side shipper --as "$AGENT"
phone_case=$(sed -n 's/^ *//; 1p' "$demo/ctl.out")
[ "$(ctl_json '[o["address"] for o in j["owners"]]' show "$phone_case")" = \
	"['$AGENT']" ] || fail "$AGENT does not own $phone_case"
ok "Rita is the requester, Anna the owner (creator_owns, --side shipper)"
say "The slot must be rebooked by the partner's support team: Anna hands"
say "the case over (the caller's details come from the case itself):"
ctl escalate "$phone_case" --as "$AGENT" \
	--set issue="Delivery to Hamburg missed its slot; a new slot is needed"
wait_for "escalation of $phone_case mailed to $ESCALATION" \
	got "$ESCALATION" "Phone:     +49 40 555 0101" 1
say "Now the \"update\" template's hand-over text is true; Anna sends it:"
ctl reply "$phone_case" --template update --as "$AGENT" \
	--set note="The support team of our partner will call you to book a new slot."
wait_for "update mailed to Rita (nobody had to give --to)" \
	got rita@meyer.example "Update:" 1
got rita@meyer.example "Escalation:" 0 ||
	fail "the escalation reached the caller"
ok "Rita got the update, not the escalation"

# ---- 6 ----

step "6. What the cases look like now"
ctl show "$case"
ctl history "$case"
ctl show "$phone_case"

# ---- 7 ----

step "7. What everybody received (the SMTP receiver's mail, by recipient)"
tool mails "$demo/sink"

step "Checking the day's outcome"
[ "$(ctl_json 'len(j)' list --view all)" = 2 ] || fail "not exactly two cases"
ok "exactly two cases: $case and the phone case $phone_case"
status_is solved || fail "$case is not solved"
ok "$case is solved"
# Sam's, Carla's, Anna's and the team's mail, and the three replies sent.
nmsg=$(ctl_json 'len(j["messages"])' show "$case")
[ "$nmsg" = 7 ] || fail "$case has $nmsg messages, not 7"
ok "$case has 7 messages: 4 mails received, 3 replies sent"
for expect in "sam@acme.test|Received:|the acknowledgement" \
	"carla@fasttrucks.test|Received:|no acknowledgement (she did not write)" \
	"sam@acme.test|Carla Carrier wrote:|the carrier's reply" \
	"anna@desk.example|Carla Carrier wrote:|the carrier's reply" \
	"sam@acme.test|Update:|the update" \
	"sam@acme.test|has been resolved|the resolution" \
	"carla@fasttrucks.test|has been resolved|the resolution"; do
	rcpt=${expect%%|*}
	rest=${expect#*|}
	text=${rest%%|*}
	what=${rest#*|}
	count=1
	case "$what" in no\ *) count=0 ;; esac
	got "$rcpt" "$text" "$count" || fail "$rcpt: not $what"
	ok "$rcpt: $what"
done
# The caller's details went to the outside support team only: neither
# Anna's command mail nor the escalation is passed on to Sam or Carla.
for rcpt in sam@acme.test carla@fasttrucks.test; do
	got "$rcpt" "+31 10 555 0142" 0 ||
		fail "$rcpt got the caller's details meant for $ESCALATION"
done
ok "the caller's details reached neither Sam nor Carla"
[ "$(tool total "$demo/sink" "$ESCALATION")" = 2 ] ||
	fail "$ESCALATION did not get exactly two mails"
ok "$ESCALATION: the two escalations, and nothing else"
say "$(tool total "$demo/sink") mails delivered in all"
doveadm -c "$demo/imap/dovecot.conf" mailbox status -u test messages \
	INBOX Processed Review >"$demo/mailboxes" 2>&1 ||
	fail "doveadm: $(cat "$demo/mailboxes")"
boxes=$(LC_ALL=C sort "$demo/mailboxes" | tr '\n' ' ')
[ "$boxes" = "INBOX messages=0 Processed messages=4 Review messages=0 " ] ||
	fail "case mailbox: $boxes"
ok "case mailbox: all 4 mails moved from INBOX to Processed"

step "8. The desk in the browser: casemail-web"
WEB_PASSWORD=anna-demo-password
printf '%s\n' "$WEB_PASSWORD" | ctl agent password "$AGENT"
"$CASEMAIL_WEB" -c "$demo/casemail.conf" </dev/null >/dev/null \
	2>"$demo/casemail-web.log" &
web_pid=$!
wait_for "casemail-web listening on 127.0.0.1:$WEB_PORT" \
	grep -q 'listening on' "$demo/casemail-web.log"
# Anna signs in over HTTP and finds the day's cases on the list.
"$PY" - "$WEB_PORT" "$WEB_PASSWORD" "$case" >"$demo/web.out" 2>&1 <<'PY' ||
import http.cookiejar, re, sys, urllib.parse, urllib.request
port, password, case = sys.argv[1:]
base = "http://127.0.0.1:%s" % port
web = urllib.request.build_opener(
    urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
page = web.open(base + "/login").read().decode()
token = re.search(r'name="login_csrf" value="([0-9a-f]+)"', page)[1]
form = urllib.parse.urlencode({"email": "anna@desk.example",
                               "password": password,
                               "login_csrf": token}).encode()
page = web.open(base + "/login", form).read().decode()
assert 'id="logout"' in page, page
page = web.open(base + "/cases?view=all").read().decode()
assert case in page, page
rows = page.count('<tr class="case')
page = web.open(base + "/case/" + case).read().decode()
assert 'class="case-number">%s<' % case in page, page
print("Anna signed in; %d cases on the list; %s opens" % (rows, case))
PY
	fail "casemail-web: $(cat "$demo/web.out")"
sed 's/^/   /' "$demo/web.out"
ok "casemail-web serves the case list and $case"
if [ "$web" = 1 ]; then
	echo
	echo "   The desk is up: open http://127.0.0.1:$WEB_PORT/ in a browser"
	echo "   and sign in as anna@desk.example, password $WEB_PASSWORD."
	echo "   (From another machine: ssh -L $WEB_PORT:127.0.0.1:$WEB_PORT"
	echo "   this host.)  casemaild keeps running too.  Ctrl-C stops all."
	wait "$web_pid" || true
	exit 0
fi
kill -TERM "$web_pid"
web_rc=0
wait "$web_pid" || web_rc=$?
web_pid=
[ "$web_rc" = 0 ] || fail "casemail-web exited with status $web_rc"
ok "casemail-web stopped (status 0)"

step "Stopping casemaild (SIGTERM), the SMTP receiver and Dovecot"
kill -TERM "$daemon_pid"
deadline=$(($(date +%s) + WAIT_SECS))
while running "$daemon_pid"; do
	[ "$(date +%s)" -lt "$deadline" ] || fail "casemaild did not stop"
	sleep 0.1
done
daemon_rc=0
wait "$daemon_pid" || daemon_rc=$?
daemon_pid=
tail -n 1 "$demo/casemaild.log" | sed 's/^/   /'
[ "$daemon_rc" = 0 ] || fail "casemaild exited with status $daemon_rc"
ok "casemaild exited with status 0"
# (Sanitizer: reports of an ASan/UBSan build, which the test suite runs too.)
if grep -q -e 'error:' -e 'warning:' -e 'Sanitizer' "$demo/casemaild.log"; then
	grep -e 'error:' -e 'warning:' -e 'Sanitizer' "$demo/casemaild.log" >&2
	fail "casemaild logged errors or warnings"
fi
ok "casemaild logged no errors or warnings"
"$PY" tests/integration/smtpsink.py "$demo/sink" --stop
sink_up=0
tests/integration/dovecot.sh stop "$demo/imap"
imap_up=0
ok "SMTP receiver and Dovecot stopped"

echo
echo "demo passed in $(($(date +%s) - t_start)) s; the temporary servers" \
	"and store are removed"
