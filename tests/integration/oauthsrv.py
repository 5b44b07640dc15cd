#!/usr/bin/python3
"""oauthsrv.py - a small OAuth2 authorization server for casemail's tests.

    oauthsrv.py --state-dir DIR [--port N] [--client ID[:SECRET[:USER]]]...
                [--user USER] [--access-lifetime SECS] [--interval SECS]
                [--rotate] [--daemon]
    oauthsrv.py --state-dir DIR --stop

Binds 127.0.0.1 only (a free port unless --port) and writes DIR/port once
it accepts connections, DIR/pid while it runs; DIR/oauthsrv.log gets one
line per request (time, method, path: never a token).  --daemon detaches
(stdio to DIR/oauthsrv.stdio) and returns once DIR/port is there; --stop
sends SIGTERM to DIR/pid (both in daemonutil.py, shared with smtpsink).
In a test, harness.OAuthServer runs the same server in a thread.

Clients: ID with SECRET is confidential (client_credentials needs it; the
secret must then come with every /token call, as form fields client_id and
client_secret or as HTTP Basic); ID alone is public (device and
authorization_code with PKCE, no secret).  USER is whose mailbox a
client_credentials token opens (default --user).  Without --client:
"casemail-test" with secret "test-secret" and "casemail-public".

Endpoints (RFC 6749, 7636, 7662, 8628):
  POST /token       grant_type client_credentials | refresh_token |
                    urn:ietf:params:oauth:grant-type:device_code |
                    authorization_code (code_verifier checked against the
                    S256 challenge, redirect_uri must match).  200
                    {"access_token","token_type":"Bearer","expires_in",
                    ["refresh_token"],"scope"}; 400/401 {"error": ...}.
  POST /devicecode  client_id, scope -> {"device_code","user_code",
                    "verification_uri","verification_uri_complete",
                    "expires_in","interval"}
  GET  /authorize   response_type=code, client_id, redirect_uri (http to
                    loopback only), code_challenge, code_challenge_method
                    =S256, state, scope: approves at once for the current
                    user and answers 302 redirect_uri?code=..&state=..
  POST /introspect  token=... (RFC 7662); also GET /introspect?token=...
                    and GET/POST with "Authorization: Bearer TOKEN" ->
                    {"active":true,"username","sub","exp","client_id",
                    "scope"} or {"active":false}
  Admin (JSON or form body; JSON answers):
  POST /admin/approve  user_code [user]   the user approves a device code
  POST /admin/deny     user_code          ... or refuses it
  POST /admin/config   any of access_lifetime, refresh_lifetime, interval,
                       rotate (bool), down (bool: /token and /devicecode
                       answer 503), user, device_lifetime
  POST /admin/revoke   access_token=T | refresh_token=T | all=access |
                       all=refresh | all=both
  POST /admin/reset    forget every token, code and count; default config
  GET  /admin/stats    counts of /token calls by grant and outcome, each
                       call as [time, grant, outcome] ("token_log"),
                       introspections, and the tokens issued last (the
                       tests compare them with what casemail wrote).

Tokens are opaque random strings with a recognisable prefix ("cmat-"
access, "cmrt-" refresh) so a test can grep logs for them.
"""

import argparse
import base64
import hashlib
import http.server
import json
import os
import secrets
import signal
import sys
import threading
import time
import urllib.parse

from daemonutil import (daemonize, remove_quietly, stop_daemon,  # noqa: E402
                        write_atomic)

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
GRANTS = ("client_credentials", "refresh_token", DEVICE_GRANT,
          "authorization_code")
DEFAULT_CLIENTS = {
    "casemail-test": {"secret": "test-secret", "user": None},
    "casemail-public": {"secret": None, "user": None},
}
DEFAULT_CONFIG = {
    "access_lifetime": 3600,   # seconds an access token lives
    "refresh_lifetime": 0,     # 0: refresh tokens do not expire
    "device_lifetime": 600,    # seconds a device code may be approved in
    "interval": 1,             # device polling interval the client is told
    "rotate": False,           # a refresh grant returns a new refresh token
    "down": False,             # /token and /devicecode answer 503
    "user": "test",            # who approves device and authorize requests
}
CODE_LIFETIME_SECS = 60
# A device poll this much earlier than the interval gets slow_down.
POLL_SLACK_SECS = 0.25


def b64url_sha256(text):
    digest = hashlib.sha256(text.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def is_loopback_redirect(uri):
    try:
        u = urllib.parse.urlsplit(uri)
    except ValueError:
        return False
    return u.scheme == "http" and u.hostname in ("127.0.0.1", "::1",
                                                 "localhost")


class OAuthError(Exception):
    def __init__(self, error, status=400, description=None):
        super().__init__(error)
        self.error = error
        self.status = status
        self.description = description


class State:
    """Everything the server knows, behind one lock."""

    def __init__(self, clients=None, **config):
        self.lock = threading.Lock()
        self.initial_clients = dict(clients or DEFAULT_CLIENTS)
        self.initial_config = dict(DEFAULT_CONFIG, **config)
        self.reset()

    def reset(self):
        self.clients = {k: dict(v) for k, v in self.initial_clients.items()}
        self.config = dict(self.initial_config)
        self.access = {}    # token -> {user, client_id, scope, exp, active}
        self.refresh = {}   # token -> {user, client_id, scope, exp, active}
        self.devices = {}   # device_code -> {user_code, client_id, ...}
        self.codes = {}     # authorization code -> {client_id, ...}
        self.token_calls = []   # [time, grant, outcome]
        self.introspections = {"active": 0, "inactive": 0}
        self.last = {"access_token": None, "refresh_token": None}

    # -- clients -----------------------------------------------------------

    def authenticate_client(self, client_id, secret, need_secret):
        c = self.clients.get(client_id or "")
        if c is None:
            raise OAuthError("invalid_client", 401, "unknown client")
        if c["secret"] is not None:
            if secret is None or not secrets.compare_digest(
                    secret.encode(), c["secret"].encode()):
                raise OAuthError("invalid_client", 401, "bad client secret")
        elif secret is not None or need_secret:
            raise OAuthError("invalid_client", 401,
                             "public client" if need_secret
                             else "public client sent a secret")
        return c

    # -- tokens ------------------------------------------------------------

    def issue(self, client_id, user, scope, grant, with_refresh):
        now = time.time()
        at = "cmat-" + secrets.token_urlsafe(24)
        life = int(self.config["access_lifetime"])
        self.access[at] = {"user": user, "client_id": client_id,
                           "scope": scope, "exp": now + life, "active": True}
        out = {"access_token": at, "token_type": "Bearer",
               "expires_in": life, "scope": scope}
        self.last["access_token"] = at
        if with_refresh:
            rt = "cmrt-" + secrets.token_urlsafe(32)
            rlife = int(self.config["refresh_lifetime"])
            self.refresh[rt] = {"user": user, "client_id": client_id,
                                "scope": scope, "active": True,
                                "exp": now + rlife if rlife else None}
            out["refresh_token"] = rt
            self.last["refresh_token"] = rt
        self.last["grant"] = grant
        return out

    def grant_client_credentials(self, form, client):
        if client["secret"] is None:
            raise OAuthError("unauthorized_client",
                             description="public clients cannot")
        user = client.get("user") or self.config["user"]
        return self.issue(form["client_id"], user,
                          form.get("scope", ""), "client_credentials", False)

    def grant_refresh(self, form, client):
        rt = form.get("refresh_token", "")
        r = self.refresh.get(rt)
        if (r is None or not r["active"] or r["client_id"] != form["client_id"]
                or (r["exp"] is not None and r["exp"] < time.time())):
            raise OAuthError("invalid_grant",
                             description="refresh token not valid")
        rotate = bool(self.config["rotate"])
        out = self.issue(r["client_id"], r["user"], r["scope"],
                         "refresh_token", rotate)
        if rotate:
            r["active"] = False
        return out

    def grant_device(self, form, client):
        d = self.devices.get(form.get("device_code", ""))
        if d is None or d["client_id"] != form["client_id"]:
            raise OAuthError("invalid_grant", description="unknown device code")
        now = time.monotonic()
        last, d["last_poll"] = d["last_poll"], now
        if d["used"]:
            raise OAuthError("invalid_grant", description="already used")
        if now > d["expires"]:
            raise OAuthError("expired_token")
        if d["denied"]:
            raise OAuthError("access_denied")
        if d["user"] is None:
            if last is not None and \
                    now - last < d["interval"] - POLL_SLACK_SECS:
                d["slow_downs"] += 1
                d["interval"] += 5
                raise OAuthError("slow_down")
            raise OAuthError("authorization_pending")
        d["used"] = True
        return self.issue(d["client_id"], d["user"], d["scope"],
                          DEVICE_GRANT, True)

    def grant_code(self, form, client):
        c = self.codes.pop(form.get("code", ""), None)
        if c is None or c["client_id"] != form["client_id"] or \
                c["expires"] < time.monotonic():
            raise OAuthError("invalid_grant", description="code not valid")
        if form.get("redirect_uri") != c["redirect_uri"]:
            raise OAuthError("invalid_grant",
                             description="redirect_uri differs")
        verifier = form.get("code_verifier", "")
        if not 43 <= len(verifier) <= 128 or \
                b64url_sha256(verifier) != c["challenge"]:
            raise OAuthError("invalid_grant",
                             description="PKCE verifier does not match")
        return self.issue(c["client_id"], c["user"], c["scope"],
                          "authorization_code", True)

    def token(self, form, basic):
        grant = form.get("grant_type", "")
        if self.config["down"]:
            self.token_calls.append([time.time(), grant, "down"])
            raise OAuthError("temporarily_unavailable", 503)
        try:
            if basic:
                if form.get("client_id") not in (None, basic[0]):
                    raise OAuthError("invalid_request",
                                     description="two client ids")
                form["client_id"], secret = basic
            else:
                secret = form.get("client_secret")
            if grant not in GRANTS:
                raise OAuthError("unsupported_grant_type")
            client = self.authenticate_client(
                form.get("client_id"), secret,
                grant == "client_credentials")
            handler = {"client_credentials": self.grant_client_credentials,
                       "refresh_token": self.grant_refresh,
                       DEVICE_GRANT: self.grant_device,
                       "authorization_code": self.grant_code}[grant]
            out = handler(form, client)
        except OAuthError as e:
            self.token_calls.append([time.time(), grant, e.error])
            raise
        self.token_calls.append([time.time(), grant, "ok"])
        return out

    # -- device and authorize ------------------------------------------------

    def device_code(self, form, basic, base_url):
        if self.config["down"]:
            raise OAuthError("temporarily_unavailable", 503)
        client_id = basic[0] if basic else form.get("client_id")
        self.authenticate_client(client_id,
                                 basic[1] if basic
                                 else form.get("client_secret"), False)
        dc = secrets.token_urlsafe(32)
        uc = "%s-%s" % (secrets.token_hex(2).upper(),
                        secrets.token_hex(2).upper())
        life = int(self.config["device_lifetime"])
        self.devices[dc] = {"user_code": uc, "client_id": client_id,
                            "scope": form.get("scope", ""), "user": None,
                            "denied": False, "used": False,
                            "interval": int(self.config["interval"]),
                            "expires": time.monotonic() + life,
                            "last_poll": None, "slow_downs": 0}
        uri = base_url + "/device"
        return {"device_code": dc, "user_code": uc, "verification_uri": uri,
                "verification_uri_complete": uri + "?user_code=" + uc,
                "expires_in": life,
                "interval": int(self.config["interval"])}

    def find_device(self, user_code):
        for d in self.devices.values():
            if d["user_code"] == user_code:
                return d
        raise OAuthError("invalid_request", 404, "no such user code")

    def authorize(self, q):
        """The Location to answer with; OAuthError for a request that may
        not be redirected (bad client or redirect_uri)."""
        client = self.clients.get(q.get("client_id", ""))
        redirect = q.get("redirect_uri", "")
        if client is None:
            raise OAuthError("invalid_client", 400, "unknown client")
        if not is_loopback_redirect(redirect):
            raise OAuthError("invalid_request", 400,
                             "redirect_uri must be http to loopback")
        params = {"state": q["state"]} if "state" in q else {}
        if q.get("response_type") != "code":
            params["error"] = "unsupported_response_type"
        elif q.get("code_challenge_method") != "S256" or \
                len(q.get("code_challenge", "")) != 43:
            params["error"] = "invalid_request"
            params["error_description"] = "PKCE S256 required"
        else:
            code = secrets.token_urlsafe(24)
            self.codes[code] = {"client_id": q["client_id"],
                                "redirect_uri": redirect,
                                "challenge": q["code_challenge"],
                                "scope": q.get("scope", ""),
                                "user": self.config["user"],
                                "expires": time.monotonic() +
                                CODE_LIFETIME_SECS}
            params["code"] = code
        sep = "&" if urllib.parse.urlsplit(redirect).query else "?"
        return redirect + sep + urllib.parse.urlencode(params)

    # -- introspection and admin ---------------------------------------------

    def introspect(self, token):
        a = self.access.get(token or "")
        if a is None or not a["active"] or a["exp"] < time.time():
            self.introspections["inactive"] += 1
            return {"active": False}
        self.introspections["active"] += 1
        return {"active": True, "username": a["user"], "sub": a["user"],
                "exp": int(a["exp"]), "client_id": a["client_id"],
                "scope": a["scope"], "token_type": "Bearer"}

    def revoke(self, form):
        n = 0
        for kind, table in (("access", self.access),
                            ("refresh", self.refresh)):
            tok = form.get(kind + "_token")
            if tok in table and table[tok]["active"]:
                table[tok]["active"] = False
                n += 1
            if form.get("all") in (kind, "both"):
                for t in table.values():
                    n += t["active"]
                    t["active"] = False
        return {"revoked": n}

    def set_config(self, form):
        for k, v in form.items():
            if k not in self.config:
                raise OAuthError("invalid_request", 400, "unknown key " + k)
            if isinstance(DEFAULT_CONFIG[k], bool):
                v = v if isinstance(v, bool) else \
                    str(v).lower() in ("1", "true", "yes", "on")
            elif isinstance(DEFAULT_CONFIG[k], int):
                v = float(v)
            self.config[k] = v
        return dict(self.config)

    def stats(self):
        by_grant = {}
        for _, grant, outcome in self.token_calls:
            g = by_grant.setdefault(grant, {})
            g[outcome] = g.get(outcome, 0) + 1
        return {"token_calls": len(self.token_calls),
                "token_by_grant": by_grant,
                "token_log": self.token_calls,
                "introspections": dict(self.introspections),
                "access_tokens_issued": len(self.access),
                "refresh_tokens_issued": len(self.refresh),
                "active_refresh_tokens": [t for t, r in self.refresh.items()
                                          if r["active"]],
                "last": dict(self.last),
                "devices": [{"user_code": d["user_code"],
                             "approved": d["user"] is not None,
                             "used": d["used"], "slow_downs": d["slow_downs"]}
                            for d in self.devices.values()],
                "config": dict(self.config)}


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "oauthsrv/1"
    protocol_version = "HTTP/1.1"

    # -- plumbing ------------------------------------------------------------

    def log_message(self, fmt, *args):
        log = self.server.logfile
        if log is not None:
            # The request line carries query strings (tokens in GET
            # introspection): log the path alone.
            log.write("%.3f %s %s\n" % (time.time(), self.command,
                                         urllib.parse.urlsplit(
                                             self.path).path))
            log.flush()

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(n) if n else b""
        ctype = (self.headers.get("Content-Type") or "").split(";")[0]
        if ctype.strip() == "application/json":
            return json.loads(data or b"{}")
        return dict(urllib.parse.parse_qsl(data.decode("utf-8", "replace"),
                                           keep_blank_values=True))

    def query(self):
        return dict(urllib.parse.parse_qsl(
            urllib.parse.urlsplit(self.path).query, keep_blank_values=True))

    def basic_auth(self):
        h = self.headers.get("Authorization") or ""
        if not h.lower().startswith("basic "):
            return None
        try:
            raw = base64.b64decode(h[6:].strip(), validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            raise OAuthError("invalid_client", 401, "bad Basic header")
        user, sep, pw = raw.partition(":")
        if not sep:
            raise OAuthError("invalid_client", 401, "bad Basic header")
        return (urllib.parse.unquote_plus(user),
                urllib.parse.unquote_plus(pw))

    def bearer(self):
        h = self.headers.get("Authorization") or ""
        return h[7:].strip() if h.lower().startswith("bearer ") else None

    def send(self, status, obj=None, headers=()):
        data = b"" if obj is None else \
            (json.dumps(obj) + "\n").encode("utf-8")
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        if obj is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def send_error_json(self, e):
        obj = {"error": e.error}
        if e.description:
            obj["error_description"] = e.description
        headers = [("WWW-Authenticate", 'Basic realm="oauthsrv"')] \
            if e.status == 401 else []
        if e.status == 503:
            headers.append(("Retry-After", "1"))
        self.send(e.status, obj, headers)

    def dispatch(self, routes):
        path = urllib.parse.urlsplit(self.path).path
        fn = routes.get(path)
        if fn is None:
            self.send(404, {"error": "not_found"})
            return
        st = self.server.state
        try:
            with st.lock:
                fn(st)
        except OAuthError as e:
            self.send_error_json(e)
        except (ValueError, KeyError, TypeError) as e:
            self.send(400, {"error": "invalid_request",
                            "error_description": type(e).__name__})

    # -- routes ----------------------------------------------------------------

    def do_GET(self):
        self.dispatch({
            "/authorize": lambda st: self.send(
                302, None, [("Location", st.authorize(self.query()))]),
            "/introspect": lambda st: self.send(200, st.introspect(
                self.bearer() or self.query().get("token"))),
            "/device": lambda st: self.send(200, {
                "message": "approve with POST /admin/approve"}),
            "/admin/stats": lambda st: self.send(200, st.stats()),
        })

    def do_POST(self):
        def token(st):
            self.send(200, st.token(self.body(), self.basic_auth()))

        def introspect(st):
            form = self.body()
            self.send(200, st.introspect(form.get("token") or self.bearer()))

        def approve(st):
            form = self.body()
            d = st.find_device(form.get("user_code"))
            d["user"] = form.get("user") or st.config["user"]
            self.send(200, {"approved": d["user_code"]})

        def deny(st):
            d = st.find_device(self.body().get("user_code"))
            d["denied"] = True
            self.send(200, {"denied": d["user_code"]})

        def reset(st):
            self.body()
            st.reset()
            self.send(200, {"reset": True})

        base = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.dispatch({
            "/token": token,
            "/devicecode": lambda st: self.send(
                200, st.device_code(self.body(), self.basic_auth(), base)),
            "/introspect": introspect,
            "/admin/approve": approve,
            "/admin/deny": deny,
            "/admin/config": lambda st: self.send(
                200, st.set_config(self.body())),
            "/admin/revoke": lambda st: self.send(
                200, st.revoke(self.body())),
            "/admin/reset": reset,
        })


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state, port=0, logfile=None):
        self.state = state
        self.logfile = logfile
        super().__init__(("127.0.0.1", port), Handler)

    @property
    def port(self):
        return self.server_address[1]


class ThreadedServer:
    """The server in a thread of the calling process (for harness.py)."""

    def __init__(self, port=0, clients=None, logpath=None, **config):
        self.state = State(clients, **config)
        self.logfile = open(logpath, "a", encoding="utf-8") \
            if logpath else None
        self.httpd = Server(self.state, port, self.logfile)
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)

    @property
    def port(self):
        return self.httpd.port

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(10)
        if self.logfile:
            self.logfile.close()


# ---- standalone --------------------------------------------------------------

def parse_client(spec):
    cid, _, rest = spec.partition(":")
    secret, _, user = rest.partition(":")
    return cid, {"secret": secret or None, "user": user or None}


def main():
    p = argparse.ArgumentParser(description="OAuth2 test server")
    p.add_argument("--state-dir", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--client", action="append", default=[],
                   metavar="ID[:SECRET[:USER]]")
    p.add_argument("--user", default=DEFAULT_CONFIG["user"])
    p.add_argument("--access-lifetime", type=int,
                   default=DEFAULT_CONFIG["access_lifetime"])
    p.add_argument("--interval", type=int, default=DEFAULT_CONFIG["interval"])
    p.add_argument("--rotate", action="store_true")
    p.add_argument("--daemon", action="store_true")
    p.add_argument("--stop", action="store_true")
    args = p.parse_args()
    d = args.state_dir
    if args.stop:
        return stop_daemon(d, "oauthsrv")
    os.makedirs(d, exist_ok=True)
    remove_quietly(os.path.join(d, "port"))
    clients = dict(parse_client(c) for c in args.client) or None
    state = State(clients, user=args.user, rotate=args.rotate,
                  access_lifetime=args.access_lifetime,
                  interval=args.interval)
    if args.daemon:
        daemonize(d, "oauthsrv.stdio")
    log = open(os.path.join(d, "oauthsrv.log"), "a", encoding="utf-8")
    httpd = Server(state, args.port, log)

    def stop(*_):
        threading.Thread(target=httpd.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    write_atomic(os.path.join(d, "pid"), b"%d\n" % os.getpid())
    write_atomic(os.path.join(d, "port"), b"%d\n" % httpd.port)
    try:
        httpd.serve_forever()
    finally:
        remove_quietly(os.path.join(d, "port"))
        httpd.server_close()
        remove_quietly(os.path.join(d, "pid"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
