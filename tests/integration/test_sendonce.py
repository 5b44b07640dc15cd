#!/usr/bin/python3
"""Send once: leases on outbox rows, and outcomes kept when the store fails.

Usage: test_sendonce.py CASEMAILD CASECTL [unittest args]

A case with two watchers gets MAILS updates (`casemaild ingest` from a
Maildir), which queue 2 * MAILS notifications; the SMTP receiver
(smtpsink.py) counts every Message-ID it is given.

- Two `casemaild send` started side by side, each with two SMTP sessions:
  every queued mail arrives exactly once, and the outbox is empty.
- A store that cannot be written after the send (CASEMAIL_TEST_RECORD_FAILS:
  the first commits of outcomes fail): every mail still arrives exactly
  once, and is recorded as sent once the store can be written again.
- A server that takes one session at a time (421 to the second): the
  sender goes on with fewer sessions, and every mail arrives exactly once.
"""

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness  # noqa: E402

MAILS = 100  # two watchers: 200 notifications


class SendOnce(unittest.TestCase):
    def setUp(self):
        self.top = tempfile.mkdtemp(prefix="casemail-sendonce.")
        self.sink = harness.Sink(os.path.join(self.top, "sink")).start()
        self.conf = os.path.join(self.top, "casemail.conf")
        with open(self.conf, "w") as f:
            f.write(f"""[case]
address = cases@desk.example
organization_domains = desk.example
templates = {os.path.join(HERE, "..", "..", "templates")}
max_messages_per_hour = 100000
[store]
database = {self.top}/cases.db
attachments = {self.top}/att
[smtp]
url = smtp://127.0.0.1:{self.sink.port}
sessions = 2
limit_per_case_hour = 100000
limit_global_hour = 1000000
""")
        self.env = dict(harness.desk_env())
        self.queue()

    def tearDown(self):
        self.sink.stop()
        shutil.rmtree(self.top, ignore_errors=True)

    def run_tool(self, *argv):
        subprocess.run(list(argv), check=True, env=self.env,
                       capture_output=True, timeout=120)

    def queue(self):
        md = os.path.join(self.top, "md")
        harness.write_maildir(md, [harness.mail("sam@acme.test", harness.DESK,
                                        "Damaged pallets", "Opening.",
                                        msgid="<root@acme.test>",
                                        date=False)])
        self.run_tool(harness.CASEMAILD, "-c", self.conf, "ingest", md)
        for w in range(2):
            self.run_tool(harness.CASECTL, "-c", self.conf, "watch", "CV1",
                          "--user", f"watcher{w}@desk.example")
        harness.write_maildir(md, [harness.mail("sam@acme.test", harness.DESK,
                                        f"Re: [CV000001] update {i}",
                                        f"Update {i}.",
                                        msgid=f"<upd{i}@acme.test>",
                                        date=False)
                           for i in range(MAILS)])
        self.run_tool(harness.CASEMAILD, "-c", self.conf, "ingest", md)
        self.queued = {r[0] for r in self.db().execute(
            "SELECT message_id FROM outbox WHERE state = 'queued'")}
        self.assertGreaterEqual(len(self.queued), 2 * MAILS)

    def db(self):
        return sqlite3.connect(os.path.join(self.top, "cases.db"))

    def received(self):
        """Message-ID -> how many times the receiver got it."""
        got = {}
        for j in self.sink.envelopes():
            head = harness.eml_of(j).split(b"\n\n", 1)[0]
            for line in head.decode(errors="replace").replace(
                    "\r", "").split("\n"):
                if line.lower().startswith("message-id:"):
                    mid = line.split(":", 1)[1].strip()
                    got[mid] = got.get(mid, 0) + 1
        return got

    def assert_once(self):
        got = self.received()
        dups = {k: v for k, v in got.items() if v > 1}
        self.assertEqual(dups, {}, "mails delivered more than once")
        self.assertEqual(self.queued - set(got), set(), "mails never sent")
        db = self.db()
        left = db.execute("SELECT count(*) FROM outbox WHERE state ="
                          " 'queued' OR lease_owner IS NOT NULL").fetchone()
        unsent = db.execute("SELECT count(*) FROM outbox_rcpts WHERE"
                            " state <> 'sent'").fetchone()
        db.close()
        self.assertEqual((left[0], unsent[0]), (0, 0))

    def test_two_senders_side_by_side(self):
        argv = [harness.CASEMAILD, "-c", self.conf, "send"]
        procs = [subprocess.Popen(argv, env=self.env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
        outs = [p.communicate(timeout=120) for p in procs]
        for p, (_, err) in zip(procs, outs):
            self.assertEqual(p.returncode, 0, err)
        print("senders:", [e.strip().splitlines()[-1] for _, e in outs])
        self.assert_once()

    def test_store_fails_after_send(self):
        env = dict(self.env, CASEMAIL_TEST_RECORD_FAILS="3")
        p = subprocess.run([harness.CASEMAILD, "-c", self.conf, "send"],
                           env=env, capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("not yet recorded", p.stderr)
        self.assert_once()
        # A second sender finds nothing left to send.
        p = subprocess.run([harness.CASEMAILD, "-c", self.conf, "send"],
                           env=self.env, capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assert_once()

    def test_server_takes_one_session(self):
        self.sink.set_mode("one-session")
        p = subprocess.run([harness.CASEMAILD, "-c", self.conf, "send"],
                           env=self.env, capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assert_once()


if __name__ == "__main__":
    if not harness.take_args(__doc__, 2):
        sys.exit(2)
    sys.exit(harness.unittest_main())
