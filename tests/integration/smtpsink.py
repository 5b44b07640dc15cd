#!/usr/bin/python3
"""smtpsink.py - an SMTP receiver on 127.0.0.1 for casemail's tests.

    smtpsink.py DIR [--port N] [--tls-cert CERT --tls-key KEY]
                    [--auth USER:PASSWORD] [--oauth2 INTROSPECTION_URL]
                    [--oauth2-mechs XOAUTH2,OAUTHBEARER] [--discard]
                    [--daemon]
    smtpsink.py DIR --stop

Listens on 127.0.0.1 (a free port unless --port) and writes DIR/port once
it accepts connections, DIR/pid while it runs; both go away on exit.
SIGTERM or SIGINT stop it cleanly, closing open client connections.

Each accepted message becomes DIR/mail/NNNN.eml (the bytes received, dot
stuffing undone) and then DIR/mail/NNNN.json with mail_from, rcpt_tos,
helo and peer ([host, port], so a test can tell connections apart).
Numbering continues after the files already there; the .json appears
last, by rename, and before the 250 reply.  --discard writes nothing
(for benchmarks).

Replies: 550 5.1.1 to recipients whose local part starts with "reject",
451 4.3.0 to those starting with "defer".  DIR/mode, read at every
command, may hold "down-451" (451 to every RCPT), "data-451" (451 after
the data) or "one-session" (421 to MAIL FROM while another connection is
open since before this one: a server that takes one session per client).  With --tls-cert/--tls-key STARTTLS is offered and required;
--auth requires AUTH PLAIN/LOGIN (over TLS only, when TLS is on).

--oauth2 URL requires AUTH XOAUTH2 or OAUTHBEARER (RFC 7628) instead (PLAIN
and LOGIN too when --auth is also given; --oauth2-mechs offers fewer, e.g.
XOAUTH2 alone, since curl prefers OAUTHBEARER when both are there): each bearer token is checked by
a POST token=... to URL (the test server's RFC 7662 introspection,
oauthsrv.py) and taken when it is active and its "username" is the user
the client names.  A refused token gets a 334 challenge holding the JSON
error (as Google and Microsoft send it); whatever the client answers, 535
5.7.8 follows.  Each AUTH is appended to DIR/auth.jsonl as {"mech",
"user", "ok", "reason"} (never the token), and an accepted message's .json
names its "auth_user" and "auth_mech".

--daemon detaches (stdio to DIR/sink.log) and returns once DIR/port is
there; --stop sends SIGTERM to DIR/pid and waits until the process is gone.

Run it with /usr/bin/python3, which sees Debian's python3-aiosmtpd.
"""

import argparse
import asyncio
import base64
import binascii
import json
import os
import signal
import ssl
import sys
import urllib.error
import urllib.request

from aiosmtpd.smtp import MISSING, SMTP, AuthResult, LoginPassword

from daemonutil import (daemonize, remove_quietly, stop_daemon,  # noqa: E402
                        write_atomic)

def introspect(url, token):
    """The introspection answer for token (a dict; {} when the server
    cannot be asked)."""
    req = urllib.request.Request(
        url, ("token=" + urllib.request.quote(token, safe="")).encode(),
        {"Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(req, timeout=10) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def parse_xoauth2(blob):
    """(user, token) from "user=U^Aauth=Bearer T^A^A", else None."""
    fields = dict(kv.split("=", 1) for kv in blob.split("\x01") if "=" in kv)
    auth = fields.get("auth", "")
    if "user" not in fields or not auth.startswith("Bearer "):
        return None
    return fields["user"], auth[len("Bearer "):]


def parse_oauthbearer(blob):
    """(user, token) from "n,a=U,^Aauth=Bearer T^A^A", else None."""
    gs2, _, rest = blob.partition("\x01")
    parts = gs2.split(",")
    if len(parts) < 3 or parts[0] not in ("n", "y"):
        return None
    user = parts[1][2:] if parts[1].startswith("a=") else ""
    fields = dict(kv.split("=", 1) for kv in rest.split("\x01") if "=" in kv)
    auth = fields.get("auth", "")
    if not auth.startswith("Bearer "):
        return None
    return user.replace("=2C", ",").replace("=3D", "="), auth[len("Bearer "):]


class Sink:
    def __init__(self, directory, discard):
        self.dir = directory
        self.maildir = os.path.join(directory, "mail")
        self.discard = discard
        os.makedirs(self.maildir, exist_ok=True)
        numbers = [int(n[:-5]) for n in os.listdir(self.maildir)
                   if n.endswith(".json") and n[:-5].isdigit()]
        self.seq = max(numbers, default=0)
        self.clients = set()    # the protocol objects, for "one-session"
        self.introspection_url = None  # --oauth2

    def log_auth(self, mech, user, ok, reason):
        line = json.dumps({"mech": mech, "user": user, "ok": ok,
                           "reason": reason}, sort_keys=True) + "\n"
        with open(os.path.join(self.dir, "auth.jsonl"), "a") as f:
            f.write(line)

    async def bearer_auth(self, server, args, mech, parse, error):
        """AUTH XOAUTH2 / OAUTHBEARER with args (the AUTH arguments): the
        initial response or a 334 for it, the token checked by
        introspection, a 334 with error (JSON) and 535 when refused."""
        if len(args) > 1 and args[1] != "=":
            try:
                blob = base64.b64decode(args[1], validate=True)
            except binascii.Error:
                await server.push("501 5.5.2 Can't decode base64")
                return AuthResult(success=False, handled=True)
        else:
            blob = await server.challenge_auth("")
            if blob is MISSING:
                return AuthResult(success=False, handled=True)
        parsed = parse(blob.decode("utf-8", "replace"))
        if parsed is None:
            self.log_auth(mech, None, False, "malformed")
            await server.push("501 5.5.2 malformed " + mech)
            return AuthResult(success=False, handled=True)
        user, token = parsed
        loop = asyncio.get_running_loop()
        info = await loop.run_in_executor(None, introspect,
                                          self.introspection_url, token)
        if info.get("active") is True and info.get("username") == user:
            self.log_auth(mech, user, True, "")
            server.session.auth_user = user
            server.session.auth_mech = mech
            return AuthResult(success=True, auth_data=user)
        reason = "inactive" if info.get("active") is not True else \
            "user mismatch"
        self.log_auth(mech, user, False, reason)
        if await server.challenge_auth(json.dumps(error)) is MISSING:
            return AuthResult(success=False, handled=True)
        return AuthResult(success=False, handled=False,
                          message="535 5.7.8 Username and token not accepted")

    async def auth_XOAUTH2(self, server, args):
        return await self.bearer_auth(
            server, args, "XOAUTH2", parse_xoauth2,
            {"status": "401", "schemes": "Bearer", "scope": "mail"})

    async def auth_OAUTHBEARER(self, server, args):
        return await self.bearer_auth(
            server, args, "OAUTHBEARER", parse_oauthbearer,
            {"status": "invalid_token", "scope": "mail"})

    def mode(self):
        try:
            with open(os.path.join(self.dir, "mode")) as f:
                return f.read().strip()
        except FileNotFoundError:
            return ""

    def older_session_open(self, server):
        """Another connection, opened before server's, is still open."""
        return any(c is not server and c.sink_seq < server.sink_seq and
                   c.transport is not None and not c.transport.is_closing()
                   for c in self.clients)

    async def handle_MAIL(self, server, session, envelope, address,
                          mail_options):
        if self.mode() == "one-session" and self.older_session_open(server):
            return "421 4.7.0 one session at a time"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address,
                          rcpt_options):
        local = address.split("@", 1)[0].lower()
        if self.mode() == "down-451":
            return "451 4.3.0 receiver is down"
        if local.startswith("reject"):
            return "550 5.1.1 no such user"
        if local.startswith("defer"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.append(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.mode() == "data-451":
            return "451 4.3.0 data not taken"
        self.seq += 1
        if not self.discard:
            self.store(session, envelope)
        return "250 2.0.0 OK queued as %04d" % self.seq

    def store(self, session, envelope):
        base = os.path.join(self.maildir, "%04d" % self.seq)
        write_atomic(base + ".eml", envelope.original_content)
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "helo": session.host_name,
            "peer": list(session.peer[:2]),
        }
        if getattr(session, "auth_user", None) is not None:
            meta["auth_user"] = session.auth_user
            meta["auth_mech"] = session.auth_mech
        write_atomic(base + ".json",
                     (json.dumps(meta, sort_keys=True) + "\n").encode())


def make_tls(args):
    if not args.tls_cert:
        return None
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(args.tls_cert, args.tls_key)
    return ctx


def make_authenticator(spec):
    user, _, password = spec.partition(":")

    def check(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == user.encode()
              and auth_data.password == password.encode())
        return AuthResult(success=ok, handled=False)
    return check


async def serve(args):
    sink = Sink(args.dir, args.discard)
    tls = make_tls(args)
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    clients = sink.clients

    sink.introspection_url = args.oauth2
    offered = args.oauth2_mechs.upper().split(",") if args.oauth2 else []
    excluded = [m for m in ("XOAUTH2", "OAUTHBEARER") if m not in offered]
    if args.oauth2 and not args.auth:
        excluded += ["PLAIN", "LOGIN"]

    def factory():
        kw = dict(auth_exclude_mechanism=excluded)
        if args.auth or args.oauth2:
            kw.update(authenticator=make_authenticator(args.auth or ":"),
                      auth_required=True, auth_require_tls=tls is not None)
        # A fixed hostname: the default is socket.getfqdn(), a DNS lookup
        # per connection.
        proto = SMTP(sink, hostname="sink.test", decode_data=False,
                     tls_context=tls, require_starttls=tls is not None, **kw)
        proto.sink_seq = len(clients)
        clients.add(proto)
        return proto

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(1))
    server = await loop.create_server(factory, "127.0.0.1", args.port)
    port = server.sockets[0].getsockname()[1]
    write_atomic(os.path.join(args.dir, "pid"), b"%d\n" % os.getpid())
    write_atomic(os.path.join(args.dir, "port"), b"%d\n" % port)
    try:
        await stop
    finally:
        remove_quietly(os.path.join(args.dir, "port"))
        server.close()
        # Server.close() leaves accepted connections open (Python 3.11):
        # close them, so clients see the receiver go away.
        for proto in clients:
            if proto.transport is not None:
                proto.transport.close()
        await server.wait_closed()
        remove_quietly(os.path.join(args.dir, "pid"))


def main():
    p = argparse.ArgumentParser(description="SMTP test receiver")
    p.add_argument("dir")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--auth", metavar="USER:PASSWORD")
    p.add_argument("--oauth2", metavar="INTROSPECTION_URL")
    p.add_argument("--oauth2-mechs", default="XOAUTH2,OAUTHBEARER")
    p.add_argument("--discard", action="store_true")
    p.add_argument("--daemon", action="store_true")
    p.add_argument("--stop", action="store_true")
    args = p.parse_args()
    if bool(args.tls_cert) != bool(args.tls_key):
        p.error("--tls-cert and --tls-key go together")
    if args.stop:
        return stop_daemon(args.dir, "smtpsink")
    os.makedirs(args.dir, exist_ok=True)
    remove_quietly(os.path.join(args.dir, "port"))
    if args.daemon:
        daemonize(args.dir, "sink.log")
    asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
