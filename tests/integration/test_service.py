#!/usr/bin/python3
"""casemaild as a service: IDLE, sd_notify, SIGHUP, SIGTERM, outages, digest.

Usage: test_service.py CASEMAILD CASECTL TEMPLATES_DIR

A private Dovecot and SMTP receiver on 127.0.0.1; casemaild runs in the
foreground with NOTIFY_SOCKET pointing at a datagram socket of ours, so
the test sees what systemd would see.
"""

import glob
import os
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import AGENT, DESK, mail  # noqa: E402

SAM = "Sam <sam@acme.test>"


class Service(harness.DeskTest):
    def setUp(self):
        self.desk_setup("casemail-svc.")
        os.chmod(self.dir, 0o755)  # Dovecot's processes must traverse it
        self.dovecot = harness.Dovecot(os.path.join(self.dir, "imap")).start()
        self.sink = self.start_sink()
        self.write_conf()
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
        self.sink.stop()
        self.dovecot.stop()
        self.desk_teardown()

    def write_conf(self, extra_case="", broken=False):
        self.write_desk_conf(
            case=f"templates = {harness.TEMPLATES}\ndigest_hour = 23\n"
            f"{extra_case}", imap_port=self.dovecot.port, imap="idle = yes",
            smtp_port=self.sink.port, smtp="retry_min = 1",
            tail="[nonsense]\nkey = 1\n" if broken else "")

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
        self.proc = subprocess.Popen([harness.CASEMAILD, "-c", self.conf],
                                     env=env, stdout=subprocess.DEVNULL,
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
        return harness.wait_for(pred, secs)

    def append(self, msg):
        """To INBOX over a connection of its own (Dovecot may have been
        restarted since the last one)."""
        self.imap = self.dovecot.login()
        try:
            super().append(msg, "INBOX")
        finally:
            self.imap.logout()

    def received(self):
        return [harness.read_json(j) for j in self.sink.envelopes()]

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=10)
        self.assertEqual(rc, 0, self.logtext())


class TestService(Service):
    def test_idle_reload_and_stop(self):
        self.start()
        t0 = time.monotonic()
        self.append(mail(SAM, DESK, "Pallet crushed"))
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
        self.append(mail(SAM, DESK, f"Re: [{number}] more"))
        self.assertTrue(self.wait(lambda: len(self.received()) == 2, 10),
                        self.logtext())
        # A good one is taken.
        self.write_conf(extra_case="desk_name = Night Desk")
        self.proc.send_signal(signal.SIGHUP)
        self.assertTrue(self.wait(lambda: "reloaded" in self.logtext()))
        self.append(mail(SAM, DESK, f"Re: [{number}] again"))
        self.assertTrue(self.wait(lambda: len(self.received()) == 3, 10))
        with open(sorted(glob.glob(os.path.join(self.sink.dir, "mail",
                                               "*.eml")))[-1], "rb") as f:
            self.assertIn(b"Night Desk", f.read())
        self.stop()
        self.assertEqual(len(self.ctl("show", number)["messages"]), 3)

    def test_outages_recovered(self):
        self.start()
        self.append(mail(SAM, DESK, "First"))
        self.assertTrue(self.wait(lambda: len(self.received()) == 1, 10))
        number = self.ctl("list")[0]["number"]
        self.ctl("assign", number, "--owner", AGENT, "--side", "shipper")
        # IMAP down and back.
        self.dovecot.stop(check=True)
        time.sleep(1.5)
        self.dovecot.restart()
        self.append(mail(SAM, DESK, f"Re: [{number}] after imap"))
        self.assertTrue(self.wait(
            lambda: len(self.ctl("show", number)["messages"]) == 2, 40),
            self.logtext())
        self.assertTrue(self.wait(lambda: len(self.received()) == 2, 20))
        # SMTP down and back: the notification waits, then leaves.
        self.sink.stop(check=True)
        self.append(mail(SAM, DESK, f"Re: [{number}] after smtp"))
        self.assertTrue(self.wait(
            lambda: len(self.ctl("show", number)["messages"]) == 3, 20))
        time.sleep(2)
        self.sink.start(self.sink.port)
        self.assertTrue(self.wait(lambda: len(self.received()) == 3, 40),
                        self.logtext())
        self.assertEqual(self.ctl("outbox"), [])
        self.stop()


class TestDigest(Service):
    def test_one_digest_per_owner(self):
        self.write_conf(extra_case="digest_hour = 0")
        for i, owner in enumerate(["o1@desk.example", "o1@desk.example",
                                   "o2@desk.example"]):
            number = self.ctl("create", "--subject", f"Case {i}",
                              "--follow-up", "-1d", json_out=False).strip()
            self.ctl("assign", number, "--owner", owner, "--side", "shipper",
                     json_out=False)
        # A case with nothing due, and an unowned overdue one: no digest.
        self.ctl("create", "--subject", "Fine", "--follow-up", "+3d",
                 json_out=False)
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
    if not harness.take_args(__doc__, 3):
        return 2
    return harness.unittest_main()


if __name__ == "__main__":
    sys.exit(main())
