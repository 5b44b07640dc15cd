"""harness.py - what casemail's Python integration tests share.

A private Dovecot (dovecot.sh) and SMTP receiver (smtpsink.py) on
127.0.0.1, the mail builder, the password file and environment casemaild
and casectl run with, a unittest base class that runs them, and the
SIGKILL loop of the crash tests.  Each test script imports it with its
own directory on sys.path:

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import harness

Only the standard library; the receiver runs under /usr/bin/python3,
which sees Debian's python3-aiosmtpd.
"""

import contextlib
import email
import email.message
import email.policy
import email.utils
import glob
import imaplib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
DOVECOT_SH = os.path.join(HERE, "dovecot.sh")
SINK = os.path.join(HERE, "smtpsink.py")
SINK_PYTHON = "/usr/bin/python3"

# The programs under test, from the command line (take_args).
CASEMAILD = CASECTL = TEMPLATES = None

DESK = "cases@desk.example"
AGENT = "anna@desk.example"
# The desk's own MTA, whose Authentication-Results every test desk trusts
# ([trust] authserv_ids in write_desk_conf).
AUTHSERV_ID = "mx.desk.example"
SHIPPER = "Sam Shipper <sam@acme.test>"
CARRIER = "Carla Carrier <carla@fasttrucks.test>"
PASSWORD = "secret"  # every dovecot.sh user's
# casemail's signed return path (group 1: the outbox row) and a
# notification's List-Unsubscribe (group 1: the address, 2: its token).
VERP = re.compile(r"^cases\+bounce-(\d+)-[0-9a-f]{16}@desk\.example$")
UNSUB = re.compile(r"^<mailto:(cases\+unsubscribe-cv\d+-([0-9a-f]{16})"
                   r"@desk\.example)\?subject=unsubscribe>$")


def take_args(usage, count):
    """Pop CASEMAILD, CASECTL and TEMPLATES (the first count of them) off
    sys.argv as absolute paths, leaving the rest to unittest.  Prints
    usage and returns False when there are too few."""
    global CASEMAILD, CASECTL, TEMPLATES
    if len(sys.argv) <= count:
        print(usage, file=sys.stderr)
        return False
    paths = [os.path.abspath(sys.argv.pop(1)) for _ in range(count)]
    CASEMAILD, CASECTL, TEMPLATES = (paths + [None] * 3)[:3]
    return True


def unittest_main():
    """Run the calling script's tests; 0 when all passed, else 1."""
    prog = unittest.main(module="__main__", exit=False, verbosity=2)
    return 0 if prog.result.wasSuccessful() else 1


# ---- servers -------------------------------------------------------------

class Dovecot:
    """A private Dovecot in dir.  env: IMAP_DIR, IMAP_PORT (plain and
    STARTTLS), IMAPS_PORT, as dovecot.sh writes them.  With oauth2_url
    (an OAuthServer's introspection URL) users may also log in with
    XOAUTH2 and OAUTHBEARER tokens that server issued."""

    def __init__(self, dir, oauth2_url=None):
        self.dir = dir
        self.env = {}
        self.oauth2_url = oauth2_url

    def start(self, imap_port=None, imaps_port=None):
        """Start (on these ports, else free ones) and wait for the
        greeting."""
        ports = [str(p) for p in (imap_port, imaps_port) if p]
        env = dict(os.environ)
        env.pop("OAUTH2_INTROSPECTION_URL", None)
        if self.oauth2_url:
            env["OAUTH2_INTROSPECTION_URL"] = self.oauth2_url
        subprocess.run([DOVECOT_SH, "start", self.dir] + ports, check=True,
                       stdout=subprocess.DEVNULL, timeout=120, env=env)
        with open(os.path.join(self.dir, "env"), encoding="utf-8") as f:
            for line in f:
                k, _, v = line.strip().partition("=")
                self.env[k] = v
        return self

    def stop(self, check=False):
        subprocess.run([DOVECOT_SH, "stop", self.dir], check=check,
                       timeout=60)

    def restart(self):
        """Start again on the same ports (after stop())."""
        return self.start(self.env["IMAP_PORT"], self.env["IMAPS_PORT"])

    @property
    def port(self):
        return int(self.env["IMAP_PORT"])

    def login(self, user="test"):
        imap = imaplib.IMAP4("127.0.0.1", self.port)
        imap.login(user, PASSWORD)
        return imap

    def login_oauth2(self, token, user="test"):
        """Log in with AUTHENTICATE XOAUTH2 (raises imaplib's error when
        refused)."""
        imap = imaplib.IMAP4("127.0.0.1", self.port)
        try:
            # A refusal comes as a challenge with the error: answer it
            # empty, as the mechanism wants.
            imap.authenticate("XOAUTH2", lambda challenge: b"" if challenge
                              else xoauth2_string(user, token))
        except imaplib.IMAP4.error:
            logout(imap)
            raise
        return imap


def xoauth2_string(user, token):
    """The SASL XOAUTH2 initial response (before base64)."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01".encode()


def logout(imap):
    """Log out, when the connection is still there."""
    try:
        imap.logout()
    except (imaplib.IMAP4.error, OSError):
        pass


@contextlib.contextmanager
def dovecot_for_run(prefix, oauth2_url=None):
    """One Dovecot in a new temporary directory for the whole run,
    stopped and removed afterwards (oauth2_url: see Dovecot)."""
    dovecot = Dovecot(tempfile.mkdtemp(prefix=prefix), oauth2_url)
    try:
        yield dovecot.start()
    finally:
        dovecot.stop()
        shutil.rmtree(dovecot.dir, ignore_errors=True)


class OAuthServer:
    """The test OAuth2 authorization server (oauthsrv.py) in a thread of
    this process, logging requests to log (a path) when given.  config:
    its initial settings (access_lifetime, rotate, interval, user, ...)."""

    def __init__(self, log=None, **config):
        import oauthsrv
        self.srv = oauthsrv.ThreadedServer(logpath=log, **config)
        self.url = self.srv.url
        self.introspect_url = self.url + "/introspect"

    def start(self):
        self.srv.start()
        return self

    def stop(self):
        self.srv.stop()

    def admin(self, what, **data):
        """POST /admin/<what> with data as JSON: the parsed answer."""
        req = urllib.request.Request(
            f"{self.url}/admin/{what}", json.dumps(data).encode(),
            {"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as f:
            return json.load(f)

    def stats(self):
        with urllib.request.urlopen(self.url + "/admin/stats",
                                    timeout=10) as f:
            return json.load(f)

    def token_calls(self, grant=None, since=0.0):
        """/token calls (of grant, else all) at or after since (time())."""
        return sum(1 for t, g, _ in self.stats()["token_log"]
                   if t >= since and (grant is None or g == grant))

    def token(self, **form):
        """POST /token with form: (status, parsed answer)."""
        req = urllib.request.Request(
            self.url + "/token", urllib.parse.urlencode(form).encode())
        try:
            with urllib.request.urlopen(req, timeout=10) as f:
                return f.status, json.load(f)
        except urllib.error.HTTPError as e:
            return e.code, json.load(e)


class Sink:
    """The SMTP receiver (smtpsink.py) writing into dir."""

    def __init__(self, dir, oauth2_url=None, oauth2_mechs=None):
        self.dir = dir
        self.port = None
        self.seen = 0  # envelopes that received() returned
        self.oauth2_url = oauth2_url  # require XOAUTH2/OAUTHBEARER
        self.oauth2_mechs = oauth2_mechs  # e.g. "XOAUTH2" alone
        os.makedirs(dir, exist_ok=True)

    def start(self, port=None):
        """Start detached (on port, else a free one; then self.port)."""
        argv = [SINK_PYTHON, SINK, self.dir, "--daemon"]
        if port:
            argv += ["--port", str(port)]
        if self.oauth2_url:
            argv += ["--oauth2", self.oauth2_url]
        if self.oauth2_mechs:
            argv += ["--oauth2-mechs", self.oauth2_mechs]
        subprocess.run(argv, check=True, timeout=60)
        with open(os.path.join(self.dir, "port"), encoding="utf-8") as f:
            self.port = int(f.read())
        return self

    def stop(self, check=False):
        subprocess.run([SINK_PYTHON, SINK, self.dir, "--stop"], check=check,
                       timeout=60)

    def set_mode(self, mode):
        """A failure mode (see smtpsink.py: "down-451", "data-451") or
        None for normal service."""
        path = os.path.join(self.dir, "mode")
        if mode is None:
            if os.path.exists(path):
                os.unlink(path)
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(mode)

    def auths(self):
        """The AUTH attempts so far (smtpsink.py's auth.jsonl): dicts with
        mech, user, ok, reason."""
        try:
            with open(os.path.join(self.dir, "auth.jsonl"),
                      encoding="utf-8") as f:
                return [json.loads(line) for line in f]
        except FileNotFoundError:
            return []

    def envelopes(self):
        """The envelope files (NNNN.json) of the mail received so far, in
        order; each mail's bytes are beside it in NNNN.eml."""
        return sorted(glob.glob(os.path.join(self.dir, "mail", "*.json")))

    def received(self):
        """The mail received since the last call: (envelope, message)."""
        files = self.envelopes()
        out = [(read_json(j),
                email.message_from_bytes(eml_of(j),
                                         policy=email.policy.default))
               for j in files[self.seen:]]
        self.seen = len(files)
        return out


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def eml_of(envelope_path):
    """The raw bytes of the mail an envelope file describes."""
    with open(envelope_path[:-len(".json")] + ".eml", "rb") as f:
        return f.read()


# ---- mail, files, environment --------------------------------------------

def flip(token_address, at):
    """token_address with its character at index at changed."""
    c = token_address[at]
    return token_address[:at] + ("0" if c != "0" else "1") + \
        token_address[at + 1:]


def mail(frm, to, subject, body="Hello.", cc=None, msgid=None,
         in_reply_to=None, references=None, headers=None, attach=None,
         html=None, date=True):
    """An RFC 5322 message.  msgid: None makes one up, False leaves the
    header out; attach: [(filename, bytes, "type/subtype")]."""
    m = email.message.EmailMessage()
    m["From"] = frm
    m["To"] = to
    if cc:
        m["Cc"] = cc
    m["Subject"] = subject
    if date:
        m["Date"] = email.utils.formatdate(localtime=False)
    if msgid is not False:
        m["Message-ID"] = msgid or email.utils.make_msgid(domain="mua.test")
    if in_reply_to:
        m["In-Reply-To"] = in_reply_to
    if references:
        m["References"] = references
    for k, v in (headers or {}).items():
        m[k] = v
    m.set_content(body)
    if html:
        m.add_alternative(html, subtype="html")
    for name, data, ctype in attach or []:
        maintype, subtype = ctype.split("/")
        m.add_attachment(data, maintype=maintype, subtype=subtype,
                         filename=name)
    return m


def verified(msg, authres=None):
    """The raw bytes of msg with an Authentication-Results on top, as the
    desk's MTA (AUTHSERV_ID) adds it on delivery: by default DMARC passed
    for the From domain.  authres: the header's whole value instead."""
    domain = email.utils.parseaddr(msg["From"])[1].rpartition("@")[2]
    value = authres or (f"{AUTHSERV_ID}; dkim=pass header.d={domain}; "
                        f"dmarc=pass (p=reject) header.from={domain}")
    return f"Authentication-Results: {value}\r\n".encode() + \
        msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))


def dsn(to, final_recipient, msgid, headers="", status="5.1.1"):
    """The raw bytes of a delivery status report as a reporting MTA writes
    it, To the return path it came back to, naming final_recipient;
    headers: extra header lines (each ending in CRLF) for the top."""
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.fasttrucks.test>\r\n"
        f"To: {to}\r\n{headers}"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: <{msgid}@mx.fasttrucks.test>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=delivery-status;"
        " boundary=\"B\"\r\n\r\n"
        "--B\r\nContent-Type: text/plain\r\n\r\nIt bounced.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.fasttrucks.test\r\n\r\n"
        f"Final-Recipient: rfc822; {final_recipient}\r\n"
        f"Action: failed\r\nStatus: {status}\r\n\r\n--B--\r\n").encode()


def write_maildir(md, msgs):
    """A fresh Maildir at md holding msgs in new/, in order."""
    shutil.rmtree(md, ignore_errors=True)
    for sub in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(md, sub))
    for i, m in enumerate(msgs):
        with open(os.path.join(md, "new", f"{i:04d}.eml"), "wb") as f:
            f.write(m.as_bytes())


def write_password(dir, name="imap.pw"):
    """The IMAP password file casemaild insists on (mode 0600)."""
    path = os.path.join(dir, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(PASSWORD + "\n")
    os.chmod(path, 0o600)
    return path


def desk_env(user=AGENT):
    """The environment for casemaild and casectl: acting as user, in UTC,
    with no configuration path from the caller's environment."""
    env = dict(os.environ, CASEMAIL_USER=user, TZ="UTC")
    env.pop("CASEMAIL_CONFIG", None)
    return env


def wait_for(pred, secs=15, step=0.1):
    """Poll pred until it holds (True) or secs pass (False)."""
    deadline = time.monotonic() + secs
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return False


# ---- the test base class ----------------------------------------------------

class DeskTest(unittest.TestCase):
    """A private directory holding the IMAP password file and
    casemail.conf (written by the subclass), with casemaild and casectl
    run on it.  The subclass's setUp calls desk_setup() first; append()
    needs self.imap and self.box."""

    def desk_setup(self, prefix):
        self.dir = tempfile.mkdtemp(prefix=prefix)
        write_password(self.dir)
        self.conf = os.path.join(self.dir, "casemail.conf")
        self.env = desk_env()

    def desk_teardown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def own_mailbox(self, letter):
        """A mailbox of this test's own on the shared Dovecot: letter (one
        per test file) and the end of the test's name."""
        return letter + re.sub(r"\W", "", self._testMethodName)[-20:]

    def start_sink(self):
        """An SMTP receiver in DIR/sink, started; the caller stops it."""
        return Sink(os.path.join(self.dir, "sink")).start()

    def write_desk_conf(self, case="", imap_port=None, tls="none",
                        user="test", imap="", smtp_port=None, smtp="",
                        tail=""):
        """Write casemail.conf: [case] for DESK plus the case lines; the
        store beside the file; with imap_port, [imap] on a harness Dovecot
        (tls, user, the password file) plus the imap lines; with smtp_port,
        [smtp] on a harness Sink plus the smtp lines; then tail."""
        text = (f"[case]\naddress = {DESK}\n"
                f"organization_domains = desk.example\n{case}\n"
                "[store]\ndatabase = cases.db\nattachments = attachments\n"
                # Verdicts of the desk's MTA count (verified()); DKIM keys
                # from an empty file: no test asks DNS.
                f"[trust]\nauthserv_ids = {AUTHSERV_ID}\n"
                "dkim_key_file = dkim-keys\n")
        open(os.path.join(self.dir, "dkim-keys"), "w").close()
        if imap_port:
            text += (f"[imap]\nhost = 127.0.0.1\nport = {imap_port}\n"
                     f"tls = {tls}\nuser = {user}\n"
                     f"password_file = imap.pw\n{imap}\n")
        if smtp_port:
            text += f"[smtp]\nurl = smtp://127.0.0.1:{smtp_port}\n{smtp}\n"
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(text + tail)

    def count(self, box):
        """Messages in box (IMAP SELECT, read-only)."""
        typ, data = self.imap.select(box, readonly=True)
        self.assertEqual(typ, "OK", box)
        return int(data[0])

    def boxes(self):
        """Messages in (self.box, self.processed, self.review)."""
        return (self.count(self.box), self.count(self.processed),
                self.count(self.review))

    def db(self):
        """The desk's store, DIR/cases.db."""
        return sqlite3.connect(os.path.join(self.dir, "cases.db"))

    def append(self, msg, box=None):
        """APPEND a message (or raw bytes) to box, else self.box."""
        data = msg if isinstance(msg, bytes) else msg.as_bytes()
        typ, _ = self.imap.append(box or self.box, None, None, data)
        self.assertEqual(typ, "OK")
        return msg

    def once(self, expect=0):
        """`casemaild --once`, which must exit with expect; its stderr."""
        p = subprocess.run([CASEMAILD, "-c", self.conf, "--once"],
                           capture_output=True, text=True, env=self.env,
                           timeout=120)
        if os.environ.get("VERBOSE"):
            sys.stderr.write(p.stderr)
        self.assertEqual(p.returncode, expect,
                         f"casemaild --once: rc={p.returncode}\n{p.stderr}")
        return p.stderr

    def ctl(self, *args, expect=0, json_out=True):
        """casectl (with --json unless json_out is false), which must exit
        with expect: its parsed JSON, else its stdout; its stderr when
        expect is not 0."""
        argv = [CASECTL, "-c", self.conf] + (["--json"] if json_out else [])
        p = subprocess.run(argv + list(args), capture_output=True, text=True,
                           env=self.env, timeout=60)
        self.assertEqual(p.returncode, expect,
                         f"casectl {args}: rc={p.returncode}\n{p.stderr}")
        if expect != 0:
            return p.stderr
        return json.loads(p.stdout) if json_out and p.stdout.strip() \
            else p.stdout


# ---- crash tests -----------------------------------------------------------

def kill_loop(argv, rng, short_runs, short_secs, long_secs, finished=None,
              env=None):
    """Start argv again and again, each run killed with SIGKILL after a
    random delay: up to short_secs for the first short_runs runs (start-up,
    mid-batch, mid-commit), then up to long_secs, until a run exits on its
    own with 0 and finished() (if given) holds.  At most 1000 runs.
    Returns (kills, rc, stderr): rc 0 when done, the exit status of a run
    that failed, or None when no run finished."""
    kills = 0
    for attempt in range(1000):
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True, env=env)
        delay = rng.uniform(0.0, short_secs if attempt < short_runs
                            else long_secs)
        try:
            p.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGKILL)
            p.wait()
            kills += 1
            continue
        err = p.stderr.read()
        if p.returncode != 0 or finished is None or finished():
            return kills, p.returncode, err
    return kills, None, ""
