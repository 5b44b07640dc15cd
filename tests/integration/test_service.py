#!/usr/bin/python3
"""casemaild as a service: IDLE, sd_notify, SIGHUP, SIGTERM, outages, digest.

Usage: test_service.py CASEMAILD CASECTL TEMPLATES_DIR

A private Dovecot and SMTP receiver on 127.0.0.1; casemaild runs in the
foreground with NOTIFY_SOCKET pointing at a datagram socket of ours, so
the test sees what systemd would see.
"""

import email.message
import email.utils
import glob
import imaplib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
DOVECOT_SH = os.path.join(HERE, "dovecot.sh")
SINK = os.path.join(HERE, "smtpsink.py")
CASEMAILD = CASECTL = TEMPLATES = None

DESK = "cases@desk.example"
AGENT = "anna@desk.example"


def mail(frm, subject, body="Hello.", to=DESK):
    m = email.message.EmailMessage()
    m["From"] = frm
    m["To"] = to
    m["Subject"] = subject
    m["Date"] = email.utils.formatdate()
    m["Message-ID"] = email.utils.make_msgid(domain="mua.test")
    m.set_content(body)
    return m


class Service(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="casemail-svc.")
        os.chmod(self.dir, 0o755)
        self.imapdir = os.path.join(self.dir, "imap")
        subprocess.run([DOVECOT_SH, "start", self.imapdir], check=True,
                       stdout=subprocess.DEVNULL, timeout=120)
        with open(os.path.join(self.imapdir, "env")) as f:
            self.imapenv = dict(l.strip().split("=", 1) for l in f)
        self.sink = os.path.join(self.dir, "sink")
        os.makedirs(self.sink)
        self.start_sink()
        with open(os.path.join(self.sink, "port")) as f:
            self.smtp_port = f.read().strip()
        pw = os.path.join(self.dir, "imap.pw")
        with open(pw, "w") as f:
            f.write("secret\n")
        os.chmod(pw, 0o600)
        self.conf = os.path.join(self.dir, "casemail.conf")
        self.write_conf()
        self.env = dict(os.environ, CASEMAIL_USER=AGENT, TZ="UTC")
        self.env.pop("CASEMAIL_CONFIG", None)
        self.proc = None
        self.notify = None
        self.log = open(os.path.join(self.dir, "daemon.log"), "w+")

    def tearDown(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.notify is not None:
            self.notify.close()
        self.log.close()
        subprocess.run(["/usr/bin/python3", SINK, self.sink, "--stop"],
                       timeout=60)
        subprocess.run([DOVECOT_SH, "stop", self.imapdir], timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)

    def start_sink(self, port=None):
        argv = ["/usr/bin/python3", SINK, self.sink, "--daemon"]
        if port:
            argv += ["--port", str(port)]
        subprocess.run(argv, check=True, timeout=60)

    def write_conf(self, extra_case="", broken=False):
        with open(self.conf, "w") as f:
            f.write(f"""[case]
address = {DESK}
organization_domains = desk.example
templates = {TEMPLATES}
digest_hour = 23
{extra_case}
[store]
database = cases.db
attachments = attachments
[imap]
host = 127.0.0.1
port = {self.imapenv["IMAP_PORT"]}
tls = none
user = test
password_file = imap.pw
idle = yes
[smtp]
url = smtp://127.0.0.1:{self.smtp_port}
retry_min = 1
""" + ("[nonsense]\nkey = 1\n" if broken else ""))

    def start(self):
        sock = os.path.join(self.dir, "notify.sock")
        if self.notify is not None:
            self.notify.close()
        if os.path.exists(sock):
            os.unlink(sock)
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(sock)
        self.notify.settimeout(0.2)
        env = dict(self.env, NOTIFY_SOCKET=sock)
        self.proc = subprocess.Popen([CASEMAILD, "-c", self.conf], env=env,
                                     stdout=subprocess.DEVNULL,
                                     stderr=self.log)
        self.assertTrue(self.wait_notify("READY=1"), self.logtext())

    def wait_notify(self, what, secs=15):
        deadline = time.monotonic() + secs
        while time.monotonic() < deadline:
            try:
                data = self.notify.recv(4096).decode()
            except socket.timeout:
                continue
            self.notified.append(data)
            if what in data:
                return True
        return False

    notified = []

    def logtext(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def wait(self, pred, secs=15):
        deadline = time.monotonic() + secs
        while time.monotonic() < deadline:
            if pred():
                return True
            time.sleep(0.1)
        return False

    def append(self, msg):
        imap = imaplib.IMAP4("127.0.0.1", int(self.imapenv["IMAP_PORT"]))
        imap.login("test", "secret")
        self.assertEqual(imap.append("INBOX", None, None, msg.as_bytes())[0],
                         "OK")
        imap.logout()

    def ctl(self, *args):
        p = subprocess.run([CASECTL, "-c", self.conf, "--json"] + list(args),
                           capture_output=True, text=True, env=self.env,
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout) if p.stdout.strip() else None

    def received(self):
        out = []
        for j in sorted(glob.glob(os.path.join(self.sink, "mail", "*.json"))):
            with open(j) as f:
                out.append(json.load(f))
        return out

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=10)
        self.assertEqual(rc, 0, self.logtext())


class TestService(Service):
    def test_idle_reload_and_stop(self):
        self.start()
        t0 = time.monotonic()
        self.append(mail("Sam <sam@acme.test>", "Pallet crushed"))
        self.assertTrue(self.wait(lambda: len(self.ctl("list")) == 1, 10))
        # The acknowledgement leaves within moments of the mail (IDLE).
        self.assertTrue(self.wait(lambda: len(self.received()) == 1, 10))
        self.assertLess(time.monotonic() - t0, 2.5, self.logtext())
        self.assertTrue(self.wait_notify("STATUS="))
        # A broken configuration is refused; the old one keeps working.
        self.write_conf(broken=True)
        self.proc.send_signal(signal.SIGHUP)
        self.assertTrue(self.wait(lambda: "reload refused" in self.logtext()))
        self.assertIsNone(self.proc.poll())
        # (The file is put right again for casectl; the daemon does not
        # read it until the next SIGHUP.)
        self.write_conf()
        number = self.ctl("list")[0]["number"]
        self.ctl("assign", number, "--owner", AGENT, "--side", "shipper")
        self.append(mail("Sam <sam@acme.test>", f"Re: [{number}] more"))
        self.assertTrue(self.wait(lambda: len(self.received()) == 2, 10),
                        self.logtext())
        # A good one is taken.
        self.write_conf(extra_case="desk_name = Night Desk")
        self.proc.send_signal(signal.SIGHUP)
        self.assertTrue(self.wait(lambda: "reloaded" in self.logtext()))
        self.append(mail("Sam <sam@acme.test>", f"Re: [{number}] again"))
        self.assertTrue(self.wait(lambda: len(self.received()) == 3, 10))
        with open(sorted(glob.glob(os.path.join(self.sink, "mail",
                                               "*.eml")))[-1], "rb") as f:
            self.assertIn(b"Night Desk", f.read())
        self.stop()
        self.assertEqual(len(self.ctl("show", number)["messages"]), 3)

    def test_outages_recovered(self):
        self.start()
        self.append(mail("Sam <sam@acme.test>", "First"))
        self.assertTrue(self.wait(lambda: len(self.received()) == 1, 10))
        number = self.ctl("list")[0]["number"]
        self.ctl("assign", number, "--owner", AGENT, "--side", "shipper")
        # IMAP down and back.
        subprocess.run([DOVECOT_SH, "stop", self.imapdir], check=True,
                       timeout=60)
        time.sleep(1.5)
        subprocess.run([DOVECOT_SH, "start", self.imapdir,
                        self.imapenv["IMAP_PORT"], self.imapenv["IMAPS_PORT"]],
                       check=True, stdout=subprocess.DEVNULL, timeout=120)
        self.append(mail("Sam <sam@acme.test>", f"Re: [{number}] after imap"))
        self.assertTrue(self.wait(
            lambda: len(self.ctl("show", number)["messages"]) == 2, 40),
            self.logtext())
        self.assertTrue(self.wait(lambda: len(self.received()) == 2, 20))
        # SMTP down and back: the notification waits, then leaves.
        subprocess.run(["/usr/bin/python3", SINK, self.sink, "--stop"],
                       check=True, timeout=60)
        self.append(mail("Sam <sam@acme.test>", f"Re: [{number}] after smtp"))
        self.assertTrue(self.wait(
            lambda: len(self.ctl("show", number)["messages"]) == 3, 20))
        time.sleep(2)
        self.start_sink(self.smtp_port)
        self.assertTrue(self.wait(lambda: len(self.received()) == 3, 40),
                        self.logtext())
        self.assertEqual(self.ctl("outbox"), [])
        self.stop()


class TestDigest(Service):
    def test_one_digest_per_owner(self):
        self.write_conf(extra_case="digest_hour = 0")
        env = dict(self.env)
        for i, owner in enumerate(["o1@desk.example", "o1@desk.example",
                                   "o2@desk.example"]):
            p = subprocess.run([CASECTL, "-c", self.conf, "create",
                                "--subject", f"Case {i}", "--follow-up",
                                "-1d"], capture_output=True, text=True,
                               env=env, check=True)
            subprocess.run([CASECTL, "-c", self.conf, "assign",
                            p.stdout.strip(), "--owner", owner, "--side",
                            "shipper"], check=True, env=env,
                           capture_output=True)
        # A case with nothing due, and an unowned overdue one: no digest.
        subprocess.run([CASECTL, "-c", self.conf, "create", "--subject",
                        "Fine", "--follow-up", "+3d"], check=True, env=env,
                       capture_output=True)
        self.start()
        self.assertTrue(self.wait(lambda: len(self.received()) == 2, 15),
                        self.logtext())
        # Restarting the same day sends nothing again.
        self.stop()
        self.start()
        time.sleep(2)
        self.stop()
        got = self.received()
        self.assertEqual(sorted(r for g in got for r in g["rcpt_tos"]),
                         ["o1@desk.example", "o2@desk.example"])


def main():
    global CASEMAILD, CASECTL, TEMPLATES
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    CASEMAILD = os.path.abspath(sys.argv.pop(1))
    CASECTL = os.path.abspath(sys.argv.pop(1))
    TEMPLATES = os.path.abspath(sys.argv.pop(1))
    prog = unittest.main(exit=False, verbosity=2)
    return 0 if prog.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
