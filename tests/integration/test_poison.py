#!/usr/bin/python3
"""A message that crashes the parser is set aside; the desk goes on.

Usage: test_poison.py CASEMAILD CASECTL

One private Dovecot serves the run.  The test hook CASEMAIL_TEST_CRASH_ON
(casemaild(8), TEST HOOKS) makes casemaild abort() while it parses a
message holding the marker, as a parser bug would.  `casemaild --once` is
run again and again, as systemd's Restart= would: the poisoned message
must crash it exactly three times, then be filed as failed in the review
mailbox with the reason "crashed the parser 3 times" and its raw copy,
while the three normal mails around it are each filed exactly once and
later runs exit 0.  Other tests seed fetch_attempts by hand to show that
a committed outcome clears a message's count and that a message counted
three times is never parsed.
"""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import DESK, mail  # noqa: E402

DOVECOT = None  # the run's harness.Dovecot
MARKER = "X-Poison-Test: crash-me-7c1e"
REASON = "crashed the parser 3 times"
MAX_RUNS = 8


class Poison(harness.DeskTest):
    def setUp(self):
        self.desk_setup("casemail-poison.")
        self.box = self.own_mailbox("P")
        self.processed = self.box + "-Processed"
        self.review = self.box + "-Review"
        self.write_desk_conf(
            imap_port=DOVECOT.env["IMAP_PORT"], tls="none", imap=f"""\
mailbox = {self.box}
processed_mailbox = {self.processed}
review_mailbox = {self.review}
idle = no
batch = 50
""")
        self.imap = DOVECOT.login()
        self.imap.create(self.box)

    def tearDown(self):
        harness.logout(self.imap)
        self.desk_teardown()

    # ---- helpers ------------------------------------------------------

    def run_once(self, hook=MARKER):
        """`casemaild --once` with the test hook crashing on hook (None:
        no hook)."""
        env = dict(self.env)
        if hook:
            env["CASEMAIL_TEST_CRASH_ON"] = hook
        p = subprocess.run([harness.CASEMAILD, "-c", self.conf, "--once"],
                           capture_output=True, text=True, env=env,
                           timeout=120)
        if os.environ.get("VERBOSE"):
            sys.stderr.write(p.stderr)
        return p

    def attempts(self):
        with self.db() as db:
            return db.execute("SELECT uid, attempts FROM fetch_attempts"
                              " ORDER BY uid").fetchall()

    def uidvalidity(self):
        typ, data = self.imap.status(self.box, "(UIDVALIDITY)")
        self.assertEqual(typ, "OK")
        return int(re.search(rb"UIDVALIDITY (\d+)", data[0]).group(1))

    def seed(self, uid, attempts):
        with self.db() as db:
            db.execute("INSERT INTO fetch_attempts(mailbox, uidvalidity,"
                       " uid, attempts, last_at) VALUES (?, ?, ?, ?, 0)",
                       (self.box, self.uidvalidity(), uid, attempts))

    def stored_ids(self):
        with self.db() as db:
            return sorted(r[0] for r in db.execute(
                "SELECT message_id FROM messages WHERE state = 'stored'"))

    def normal(self, i):
        return mail(f"Sender {i} <sender{i}@shipper{i}.test>", DESK,
                    f"Normal mail {i}", f"Body {i}.",
                    msgid=f"<normal{i}@mua.test>")

    # ---- tests ----------------------------------------------------------

    def test_poison_is_set_aside_and_the_rest_filed_once(self):
        self.append(self.normal(1))
        self.append(mail("Mallory <mallory@evil.test>", DESK, "Poison",
                         "Crash.", headers={"X-Poison-Test": "crash-me-7c1e"},
                         msgid="<poison@evil.test>"))
        self.append(self.normal(2))
        self.append(self.normal(3))
        crashes = 0
        for _ in range(MAX_RUNS):
            p = self.run_once()
            if p.returncode == 0:
                break
            # abort(): killed by SIGABRT, nothing else.
            self.assertEqual(p.returncode, -6, p.stderr)
            self.assertIn("CASEMAIL_TEST_CRASH_ON", p.stderr)
            crashes += 1
        else:
            self.fail(f"still crashing after {MAX_RUNS} runs")
        # It crashed the parser three times, and no more.
        self.assertEqual(crashes, 3)
        self.assertIn(REASON, p.stderr)
        self.assertEqual(self.boxes(), (0, 3, 1))
        (kept,) = self.ctl("review")
        self.assertEqual(kept["state"], "failed")
        self.assertIn(REASON, kept["reason"])
        # Its raw copy is kept: the review can look at it.
        with self.db() as db:
            (raw,) = db.execute(
                "SELECT b.data FROM messages m JOIN blobs b"
                " ON b.sha256 = m.raw_sha256 WHERE m.id = ?",
                (kept["id"],)).fetchone()
        self.assertIn(MARKER.encode(), raw)
        # It keeps its identity (only its header was read to learn it),
        # so a message set aside by mistake is still found by its ID.
        with self.db() as db:
            (mid,) = db.execute("SELECT message_id FROM messages WHERE"
                                " id = ?", (kept["id"],)).fetchone()
        self.assertEqual(mid, "<poison@evil.test>")
        # Every normal mail filed exactly once, each on its own case.
        self.assertEqual(self.stored_ids(), [f"<normal{i}@mua.test>"
                                             for i in (1, 2, 3)])
        self.assertEqual(len(self.ctl("list", "--view", "all",
                                      "--limit", "0")), 3)
        # Only the poison keeps a count (so it is never parsed again): 3
        # crashes and the one read of its header that set it aside.
        self.assertEqual([a for _, a in self.attempts()], [4])
        # The desk goes on: a later run files new mail and exits 0.
        self.append(self.normal(4))
        self.assertEqual(self.run_once().returncode, 0)
        self.assertEqual(self.boxes(), (0, 4, 1))
        self.assertEqual(len(self.stored_ids()), 4)

    def test_committed_outcome_clears_the_count(self):
        # Two mails the last run died holding (the store exists first).
        self.assertEqual(self.run_once(hook=None).returncode, 0)
        self.append(self.normal(1))
        self.append(self.normal(2))
        self.seed(1, 1)
        self.seed(2, 2)
        self.assertEqual(self.run_once(hook=None).returncode, 0)
        self.assertEqual(self.attempts(), [])
        self.assertEqual(self.boxes(), (0, 2, 0))
        self.assertEqual(len(self.stored_ids()), 2)

    def test_counted_three_times_is_never_parsed(self):
        self.assertEqual(self.run_once(hook=None).returncode, 0)
        self.append(self.normal(1))
        self.append(self.normal(2))
        self.seed(1, 3)
        # The hook aborts any parse of mail 1: it must not be parsed.
        p = self.run_once(hook="Normal mail 1")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.boxes(), (0, 1, 1))
        (kept,) = self.ctl("review")
        self.assertIn(REASON, kept["reason"])
        self.assertEqual(self.stored_ids(), ["<normal2@mua.test>"])


def main():
    global DOVECOT
    if not harness.take_args("usage: test_poison.py CASEMAILD CASECTL", 2):
        return 2
    with harness.dovecot_for_run("casemail-poison-imap.") as DOVECOT:
        return harness.unittest_main()


if __name__ == "__main__":
    sys.exit(main())
