#!/bin/bash
# dovecot.sh - a private Dovecot on 127.0.0.1 for the integration tests.
#
#   dovecot.sh start DIR [PORT_IMAP PORT_IMAPS]
#       Write DIR/dovecot.conf, the users file and the certificates, start
#       Dovecot with empty mailboxes and wait for its greeting.  A Dovecot
#       left running in DIR (a run that died before "stop") is stopped
#       first.  Without ports, free ones are picked.  DIR/env then holds
#       IMAP_DIR, IMAP_PORT (plain and STARTTLS) and IMAPS_PORT as shell
#       assignments.
#   dovecot.sh stop DIR
#       Stop it and wait until the master process is gone.
#   dovecot.sh append DIR MAILBOX FILE [USER]
#       Put FILE into MAILBOX of USER (default test) with doveadm save.
#
# OAuth2: with OAUTH2_INTROSPECTION_URL set in the environment of "start"
# (the test server's http://127.0.0.1:PORT/introspect, oauthsrv.py), every
# user may also log in with AUTHENTICATE XOAUTH2 or OAUTHBEARER: a second
# passdb (driver oauth2, DIR/dovecot-oauth2.conf.ext) asks that URL about
# the bearer token on every login (RFC 7662, POST token=...; no cache) and
# takes it when it is active and its "username" is the login name.  The
# password passdb is restricted to PLAIN, LOGIN and lookups without a
# mechanism ("none": doveadm, userdb), so a token is never
# compared with a password and the password tests are unchanged.
#
# Certificates (each self-signed, so each is its own CA):
#   cert.pem        IP:127.0.0.1 and DNS:localhost; served by default.
#   wrong-ca.pem    signed nothing we serve: verifying against it must fail.
#   other-cert.pem  only DNS:mail.invalid; served to clients asking for
#                   "localhost" by SNI, so a trusted chain with the wrong
#                   name tests the host name check on its own.
#
# Users (password "secret"): test has every capability; legacy is told the
# server has neither MOVE, UIDPLUS nor IDLE (imap_capability from the
# passdb), which exercises the COPY + \Deleted + EXPUNGE fallback.
#
# /work/shared/TESTING.md explains the settings.
set -eu

die() {
	echo "dovecot.sh: $*" >&2
	exit 1
}

usage() {
	die "usage: dovecot.sh start DIR [PORT_IMAP PORT_IMAPS] | stop DIR |" \
		"append DIR MAILBOX FILE [USER]"
}

# A port nobody listens on now.  Racy by nature: start retries when
# Dovecot cannot bind.
free_port() {
	/usr/bin/python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

new_cert() {
	local dir=$1 name=$2 cn=$3 san=$4

	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$cn" \
		-addext "subjectAltName=$san" -keyout "$dir/$name-key.pem" \
		-out "$dir/$name-cert.pem" >/dev/null 2>&1 ||
		die "openssl failed ($name)"
}

make_certs() {
	local dir=$1

	[ -f "$dir/cert.pem" ] && return 0
	new_cert "$dir" server localhost IP:127.0.0.1,DNS:localhost
	mv "$dir/server-cert.pem" "$dir/cert.pem"
	mv "$dir/server-key.pem" "$dir/key.pem"
	new_cert "$dir" wrong-ca wrong-ca DNS:wrong-ca.invalid
	mv "$dir/wrong-ca-cert.pem" "$dir/wrong-ca.pem"
	new_cert "$dir" other mail.invalid DNS:mail.invalid
}

write_conf() {
	local dir=$1 port_imap=$2 port_imaps=$3

	cat >"$dir/dovecot.conf" <<EOF
# Written by tests/integration/dovecot.sh; private to this test run.
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <$dir/cert.pem
ssl_key = <$dir/key.pem
disable_plaintext_auth = no
first_valid_uid = 1
auth_mechanisms = plain login$OAUTH2_MECHS
# Refused logins answer at once: the tests try one on purpose.
auth_failure_delay = 0
mail_location = maildir:$dir/mail/%u/Maildir
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dir/users
  mechanisms = plain login none
}
${OAUTH2_PASSDB}userdb {
  driver = static
  args = uid=$MAIL_UID gid=$MAIL_GID home=$dir/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $port_imap
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $port_imaps
    ssl = yes
  }
$NONROOT_CHROOT}
# Dovecot 2.3 chooses certificates by local address or SNI name, not by
# listener: a client asking for "localhost" gets the wrong-name one.
local_name localhost {
  ssl_cert = <$dir/other-cert.pem
  ssl_key = <$dir/other-key.pem
}
EOF
	if [ "$(id -u)" != 0 ]; then
		cat >>"$dir/dovecot.conf" <<EOF
default_internal_user = $(id -un)
default_internal_group = $(id -gn)
default_login_user = $(id -un)
service anvil {
  chroot =
}
EOF
	fi
	if [ -n "${OAUTH2_INTROSPECTION_URL:-}" ]; then
		# The oauth2 passdb's own settings file: always ask the
		# introspection endpoint, take "active": true only.
		cat >"$dir/dovecot-oauth2.conf.ext" <<EOF
introspection_mode = post
introspection_url = $OAUTH2_INTROSPECTION_URL
force_introspection = yes
username_attribute = username
active_attribute = active
active_value = true
timeout_msecs = 5000
EOF
	fi
	printf '%s\n' 'test:{PLAIN}secret' \
		'legacy:{PLAIN}secret::::::userdb_imap_capability=IMAP4rev1' \
		>"$dir/users"
}

# Ready means the "* OK" greeting arrived, not that connect() worked.
wait_greeting() {
	local port=$1 line

	for _ in $(seq 1 100); do
		if exec 3<>"/dev/tcp/127.0.0.1/$port"; then
			line=
			read -r -t 2 line <&3 || true
			exec 3<&- 3>&-
			case "$line" in
			"* OK"*) return 0 ;;
			esac
		fi 2>/dev/null
		sleep 0.1
	done
	return 1
}

master_pid() {
	cat "$1/run/master.pid" 2>/dev/null || true
}

# A dead master can linger as a zombie: look at its state, not only kill -0.
alive() {
	local pid=$1 state

	[ -n "$pid" ] || return 1
	state=$(ps -o stat= -p "$pid" 2>/dev/null || true)
	case "$state" in
	"" | Z*) return 1 ;;
	esac
	return 0
}

cmd_start() {
	local dir=$1 port_imap=$2 port_imaps=$3 attempt

	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	# Dovecot's auth and mail processes must be able to traverse the path
	# (mktemp -d makes 0700 directories).
	chmod 755 "$dir"
	cmd_stop "$dir"
	rm -rf "$dir/mail" "$dir/state"
	mkdir -p "$dir/run" "$dir/state" "$dir/mail"
	if [ "$(id -u)" = 0 ]; then
		MAIL_UID=dovecot MAIL_GID=dovecot NONROOT_CHROOT=
	else
		MAIL_UID=$(id -u) MAIL_GID=$(id -g)
		NONROOT_CHROOT="  chroot =
"
	fi
	OAUTH2_MECHS= OAUTH2_PASSDB=
	if [ -n "${OAUTH2_INTROSPECTION_URL:-}" ]; then
		OAUTH2_MECHS=" xoauth2 oauthbearer"
		OAUTH2_PASSDB="passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = $dir/dovecot-oauth2.conf.ext
}
"
	fi
	make_certs "$dir"
	for attempt in 1 2 3 4 5; do
		[ -n "$2" ] || port_imap=$(free_port)
		[ -n "$3" ] || port_imaps=$(free_port)
		write_conf "$dir" "$port_imap" "$port_imaps"
		if [ "$(id -u)" = 0 ]; then
			chown -R dovecot:dovecot "$dir/mail"
		fi
		rm -f "$dir/run/master.pid"
		# All three streams redirected: the master keeps the caller's
		# stderr otherwise, and ctest waits for it forever.
		if dovecot -c "$dir/dovecot.conf" </dev/null >>"$dir/stdio.log" 2>&1 &&
			wait_greeting "$port_imap"; then
			printf 'IMAP_DIR=%s\nIMAP_PORT=%s\nIMAPS_PORT=%s\n' \
				"$dir" "$port_imap" "$port_imaps" >"$dir/env"
			return 0
		fi
		cmd_stop "$dir" || true
		# Ports given by the caller will not get better.
		[ -z "$2" ] || break
		echo "dovecot.sh: attempt $attempt failed, retrying" >&2
	done
	tail -n 20 "$dir/dovecot.log" "$dir/stdio.log" >&2 2>/dev/null || true
	die "$dir: Dovecot did not start"
}

cmd_stop() {
	local dir=$1 pid

	pid=$(master_pid "$dir")
	alive "$pid" || return 0
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 1 100); do
		alive "$pid" || return 0
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null || true
	die "$dir: Dovecot (pid $pid) did not stop in 10 s; killed"
}

cmd_append() {
	local dir=$1 mailbox=$2 file=$3 user=${4:-test}

	doveadm -c "$dir/dovecot.conf" save -u "$user" -m "$mailbox" <"$file"
}

[ $# -ge 2 ] || usage
case "$1" in
start)
	[ $# -le 4 ] || usage
	cmd_start "$2" "${3:-}" "${4:-}"
	;;
stop)
	[ $# -eq 2 ] || usage
	cmd_stop "$2"
	;;
append)
	if [ $# -lt 4 ] || [ $# -gt 5 ]; then
		usage
	fi
	cmd_append "$2" "$3" "$4" "${5:-}"
	;;
*)
	usage
	;;
esac
