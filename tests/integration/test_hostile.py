#!/usr/bin/python3
"""Hostile mail cannot stop the desk: bounded time, bounded memory.

Usage: test_hostile.py CASEMAILD CASECTL TEMPLATES_DIR

One private Dovecot serves the run; every test gets its own store, its
own mailboxes and its own SMTP receiver.  Each test APPENDs one hostile
message and then a normal mail from a new customer, runs
`casemaild --once` once, and checks:

- the hostile message is kept or recorded with the right state and
  reason (casectl --json review / trace), and where it went on the server;
- the run took at most RUN_SECS (generous: CI runs this under ASan);
- casemaild's peak RSS stayed under RSS_MIB (item 1 of issue 13).  The
  figure is casemaild's own high-water mark, read by GNU time, else by a
  fresh Python process that runs casemaild and prints its
  RUSAGE_CHILDREN (never this process's: ru_maxrss of children is a
  maximum over every child it ever waited for).  Under AddressSanitizer
  the check is skipped, since its shadow memory and quarantine inflate
  RSS many times; the time and outcome checks still run;
- the normal mail after it was filed on a new case and its sender got
  the acknowledgement from the receiver.

The shapes are sized for a 2-core CI machine under ASan; bench/hostile
runs the full-size ones (1.5 million parts, 127 MB, ...) and prints
figures.
"""

import base64
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import DESK  # noqa: E402

DOVECOT = None  # the run's harness.Dovecot
RUN_SECS = 60
RSS_MIB = 150
MAX_MESSAGE_BYTES = 2 * 1024 * 1024
MAX_NEW_PARTICIPANTS = 10
CC_ADDRESSES = 10_000
GNU_TIME = "/usr/bin/time"
STRANGER = "Mallory <mallory@stranger.test>"
NORMAL = "Nina Normal <nina@customer.test>"

# Runs casemaild (argv[2:]) and writes its peak RSS in KiB to argv[1]:
# a new small process, so that RUSAGE_CHILDREN holds casemaild alone.
RSS_WRAPPER = """\
import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
with open(sys.argv[1], "w") as f:
    f.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(rc)
"""


def under_asan(path):
    """Whether the program was built with AddressSanitizer."""
    if "ASAN_OPTIONS" in os.environ:
        return True
    with open(path, "rb") as f:
        return b"__asan_init" in f.read()


def raw(headers, body):
    """A message of CRLF lines from (name, value) pairs and a body."""
    head = "".join(f"{k}: {v}\r\n" for k, v in headers)
    return head.encode() + b"\r\n" + body


def base_headers(subject, msgid, frm=STRANGER):
    return [("From", frm), ("To", DESK), ("Subject", subject),
            ("Date", "Tue, 01 Dec 2026 10:00:00 +0000"),
            ("Message-ID", msgid), ("MIME-Version", "1.0")]


def many_parts(n):
    """multipart/mixed of n empty parts: 7 bytes a part."""
    body = b"--b\r\n\r\n" * n + b"--b--\r\n"
    return raw(base_headers("Many parts", "<parts@stranger.test>") +
               [("Content-Type", 'multipart/mixed; boundary="b"')], body)


def deep(levels):
    """levels multiparts nested inside each other, a text at the bottom."""
    out = []
    for i in range(1, levels):
        out.append(f"--d{i}\r\nContent-Type: multipart/mixed; "
                   f'boundary="d{i + 1}"\r\n\r\n')
    out.append(f"--d{levels}\r\nContent-Type: text/plain\r\n\r\nDeep.\r\n")
    for i in range(levels, 0, -1):
        out.append(f"--d{i}--\r\n")
    return raw(base_headers("Deep", "<deep@stranger.test>") +
               [("Content-Type", 'multipart/mixed; boundary="d1"')],
               "".join(out).encode())


def huge(size):
    """A text message of about size bytes (lines of 76)."""
    line = b"x" * 74 + b"\r\n"
    return raw(base_headers("Huge", "<huge@stranger.test>") +
               [("Content-Type", "text/plain")], line * (size // len(line)))


def text(subject, msgid, extra=(), frm=STRANGER, body=b"Hello.\r\n"):
    return raw(base_headers(subject, msgid, frm) + list(extra) +
               [("Content-Type", "text/plain; charset=us-ascii")], body)


def cc_list(n, per_field):
    """n distinct addresses in Cc fields of per_field, folded."""
    fields = []
    for start in range(0, n, per_field):
        addrs = [f"c{i}@cc.test" for i in range(start,
                                                 min(n, start + per_field))]
        fields.append(("Cc", ",\r\n ".join(addrs)))
    return fields


class Hostile(harness.DeskTest):
    def setUp(self):
        self.desk_setup("casemail-hostile.")
        self.box = self.own_mailbox("H")
        self.processed = self.box + "-Processed"
        self.review = self.box + "-Review"
        self.sink = self.start_sink()
        self.write_desk_conf(case=f"""\
desk_name = Case Desk
templates = {harness.TEMPLATES}
max_new_participants = {MAX_NEW_PARTICIPANTS}
""", imap_port=DOVECOT.port, imap=f"""\
mailbox = {self.box}
processed_mailbox = {self.processed}
review_mailbox = {self.review}
idle = no
""", smtp_port=self.sink.port,
            tail=f"[store]\nmax_message_bytes = {MAX_MESSAGE_BYTES}\n")
        self.imap = DOVECOT.login()
        self.imap.create(self.box)

    def tearDown(self):
        self.sink.stop()
        harness.logout(self.imap)
        self.desk_teardown()

    # ---- helpers ------------------------------------------------------

    def measured_once(self):
        """`casemaild --once`, which must exit 0, timed and with its peak
        RSS checked; its stderr."""
        rss_file = os.path.join(self.dir, "rss")
        argv = [harness.CASEMAILD, "-c", self.conf, "--once"]
        if os.access(GNU_TIME, os.X_OK):
            argv = [GNU_TIME, "-f", "%M", "-o", rss_file] + argv
        else:
            argv = [sys.executable, "-c", RSS_WRAPPER, rss_file] + argv
        with tempfile.TemporaryFile(dir=self.dir) as err:
            t0 = time.monotonic()
            p = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=err,
                               env=self.env, timeout=RUN_SECS * 3)
            secs = time.monotonic() - t0
            err.seek(0)
            stderr = err.read().decode(errors="replace")
        if os.environ.get("VERBOSE"):
            sys.stderr.write(stderr)
        self.assertEqual(p.returncode, 0, f"casemaild --once:\n{stderr}")
        with open(rss_file, encoding="utf-8") as f:
            rss = int(f.read().split()[-1]) / 1024.0
        sys.stderr.write(f"  [{self._testMethodName}: {secs:.2f} s, "
                         f"peak RSS {rss:.1f} MiB"
                         f"{' (ASan: not checked)' if ASAN else ''}]\n")
        self.assertLess(secs, RUN_SECS)
        if not ASAN:
            self.assertLess(rss, RSS_MIB)
        return stderr

    def raw_kept(self, message_id):
        """The stored raw copy of a message row, or None."""
        with self.db() as db:
            row = db.execute("SELECT b.data FROM messages m JOIN blobs b"
                             " ON b.sha256 = m.raw_sha256 WHERE m.id = ?",
                             (message_id,)).fetchone()
        return row[0] if row else None

    def feed(self, hostile):
        """APPEND hostile and a normal mail after it; one measured run.
        Returns the run's stderr."""
        self.append(hostile)
        self.append(text("Where is my parcel?", "<normal@customer.test>",
                         frm=NORMAL, body=b"It is late.\r\n"))
        return self.measured_once()

    def assert_normal_filed_and_acknowledged(self):
        trace = self.ctl("trace", "<normal@customer.test>")
        self.assertEqual(trace["state"], "stored", trace)
        number = trace["case"]
        self.assertTrue(number)
        acks = [m for env, m in self.sink.received()
                if env["rcpt_tos"] == ["nina@customer.test"]]
        self.assertEqual(len(acks), 1)
        self.assertIn(number, acks[0]["Subject"])
        self.assertEqual(acks[0]["In-Reply-To"], "<normal@customer.test>")

    def assert_failed(self, reason_re):
        """The hostile message is the one failed message, in review, with
        a reason matching reason_re; its review object."""
        (kept,) = self.ctl("review")
        self.assertEqual(kept["state"], "failed")
        self.assertRegex(kept["reason"], reason_re)
        self.assertEqual(kept["from"]["address"], "mallory@stranger.test")
        self.assertEqual(self.boxes(), (0, 1, 1))
        return kept

    def assert_stored(self, msgid):
        """The hostile message was filed (no review); its trace."""
        trace = self.ctl("trace", msgid)
        self.assertEqual(trace["state"], "stored", trace)
        self.assertEqual(self.ctl("review"), [])
        self.assertEqual(self.boxes(), (0, 2, 0))
        return trace

    # ---- the shapes -------------------------------------------------------

    def test_100k_empty_parts(self):
        msg = many_parts(100_000)
        self.assertGreater(len(msg), 600_000)
        self.feed(msg)
        kept = self.assert_failed(
            r"^over \[store\] max_parts: \d+ parts \(limit 1000\)")
        self.assertEqual(kept["subject"], "Many parts")
        self.assertEqual(self.raw_kept(kept["id"]), msg)
        self.assert_normal_filed_and_acknowledged()

    def test_5000_nesting_levels(self):
        msg = deep(5000)
        self.feed(msg)
        kept = self.assert_failed(
            r"^over \[store\] max_depth: at least \d+ nested levels"
            r" \(limit 32\)")
        self.assertEqual(self.raw_kept(kept["id"]), msg)
        self.assert_normal_filed_and_acknowledged()

    def test_over_max_message_bytes_fetched_as_head_only(self):
        msg = huge(3 * 1024 * 1024)
        self.feed(msg)
        kept = self.assert_failed(
            r"^over \[store\] max_message_bytes: (\d+) bytes"
            rf" \(limit {MAX_MESSAGE_BYTES}\)")
        size = int(re.search(r"max_message_bytes: (\d+)",
                             kept["reason"]).group(1))
        self.assertEqual(size, len(msg))
        # Its header was read from the head; no raw copy is kept ...
        self.assertEqual(kept["subject"], "Huge")
        self.assertEqual(kept["message_id"], "<huge@stranger.test>")
        self.assertIsNone(self.raw_kept(kept["id"]))
        with self.db() as db:
            biggest = db.execute("SELECT max(length(data)) FROM blobs"
                                 ).fetchone()[0] or 0
        self.assertLess(biggest, MAX_MESSAGE_BYTES)
        # ... and the message waits whole in the review mailbox.
        self.imap.select(self.review, readonly=True)
        typ, data = self.imap.fetch("1", "(RFC822.SIZE)")
        self.assertEqual(typ, "OK")
        self.assertIn(f"RFC822.SIZE {len(msg)}".encode(), data[0])
        self.assert_normal_filed_and_acknowledged()

    def test_1mb_subject_of_re(self):
        subject = "Re: " * 250_000
        self.feed(text(subject.strip(), "<re@stranger.test>"))
        trace = self.assert_stored("<re@stranger.test>")
        self.assertRegex(trace["decision"],
                         r"header field Subject of \d+ bytes cut to \d+")
        self.assertLessEqual(len(trace["subject"] or ""), 102_400)
        self.assert_normal_filed_and_acknowledged()

    def test_header_field_over_100kb(self):
        value = " ".join(["word"] * 40_000)  # 200 KB, one line
        self.feed(text("Long header", "<long@stranger.test>",
                       extra=[("X-Long", value)]))
        trace = self.assert_stored("<long@stranger.test>")
        m = re.search(r"header field X-Long of (\d+) bytes cut to (\d+)",
                      trace["decision"])
        self.assertTrue(m, trace["decision"])
        self.assertGreater(int(m.group(1)), 200_000)
        self.assertLessEqual(int(m.group(2)), 102_400)
        self.assert_normal_filed_and_acknowledged()

    def feed_cc(self):
        """The 10,000 Cc mail and the normal one; the Cc mail's trace and
        the count its decision record gives as not added."""
        self.feed(text("Please help", "<cc@stranger.test>",
                       extra=cc_list(CC_ADDRESSES, 2000)))
        trace = self.assert_stored("<cc@stranger.test>")
        m = re.search(r"(\d+) not added as participants", trace["decision"])
        self.assertTrue(m, trace["decision"])
        return trace, int(m.group(1))

    def test_10000_cc_from_a_stranger(self):
        trace, not_added = self.feed_cc()
        # src/mail/mime_header.c reads at most 1000 addresses of a
        # message (MIME_MAX_ADDRESSES); the rest of the list is dropped
        # unrecorded: see test_10000_cc_all_counted.
        self.assertGreaterEqual(not_added, 1000 - MAX_NEW_PARTICIPANTS)
        case = self.ctl("show", trace["case"])
        addresses = [p["address"] for p in case["participants"]]
        self.assertIn("mallory@stranger.test", addresses)
        self.assertLessEqual(len(addresses), 1 + MAX_NEW_PARTICIPANTS)
        self.assertTrue(any(e["what"] == "not added"
                            for e in self.ctl("history", trace["case"])))
        # No relay: the stranger's acknowledgement and the normal
        # mail's, nothing for the Cc list (who got the mail itself).
        self.assert_normal_filed_and_acknowledged()
        with self.db() as db:
            queued = db.execute("SELECT count(*) FROM outbox").fetchone()[0]
        self.assertLessEqual(queued, 2)

    def test_10000_cc_all_counted(self):
        # "The rest recorded": every address over the limit is counted,
        # those past the parser's 1000 per field included.
        _, not_added = self.feed_cc()
        self.assertEqual(not_added, CC_ADDRESSES - MAX_NEW_PARTICIPANTS)

    def test_300_forged_senders_of_one_domain(self):
        # Backscatter: 300 new cases from 300 forged addresses of one
        # domain within a minute.  Every case is opened; acknowledgements
        # stop at [case] ack_per_domain_hour (30; the issue asks for at
        # most 60), the rest recorded on their cases, and the desk still
        # answers a customer of another domain.
        forged = 300
        for i in range(forged - 1):
            self.append(text(f"Invoice {i} overdue", f"<spam{i}@forged.test>",
                             frm=f"Billing {i} <bill{i}@forged.test>"))
        self.feed(text(f"Invoice {forged - 1} overdue",
                       f"<spam{forged - 1}@forged.test>",
                       frm=f"Billing {forged - 1} <bill{forged - 1}"
                           "@forged.test>"))
        cases = self.ctl("list", "--view", "all", "--limit", "0")
        self.assertEqual(len(cases), forged + 1)
        got = self.sink.received()
        acks = [env for env, _ in got
                if env["rcpt_tos"][0].endswith("@forged.test")]
        self.assertLessEqual(len(acks), 30)
        self.assertGreater(len(acks), 0)
        with self.db() as db:
            skipped = db.execute("SELECT count(*) FROM events WHERE what ="
                                 " 'not acknowledged'").fetchone()[0]
        self.assertEqual(skipped, forged - len(acks))
        # The forged flood used up its domain's share, not the desk's:
        # a customer of another domain is still answered.
        self.assertEqual(self.ctl("trace", "<normal@customer.test>")["state"],
                         "stored")
        self.assertEqual(len([m for env, m in got if env["rcpt_tos"] ==
                              ["nina@customer.test"]]), 1)

    def test_1_4mb_file_to_a_200_person_case(self):
        # Attachments by reference: the 200 notifications hold a marker
        # each, not the file (the outbox grew by 285 MB before).  [smtp]
        # max_attach_notifications is raised so every one carries the
        # file; limit_per_case_hour (10) lets 10 go now, 190 wait.
        people = 200
        size = 1400 * 1024
        self.write_desk_conf(case=f"""\
desk_name = Case Desk
templates = {harness.TEMPLATES}
max_new_participants = {people + 10}
""", imap_port=DOVECOT.port, imap=f"""\
mailbox = {self.box}
processed_mailbox = {self.processed}
review_mailbox = {self.review}
idle = no
""", smtp_port=self.sink.port, smtp="max_attach_notifications = 1000\n",
            tail="[store]\nmax_message_bytes = 8388608\n")
        self.append(text("Damaged pallet", "<open@customer.test>", frm=NORMAL,
                         extra=[("Cc", ", ".join(f"p{i}@people.test"
                                                 for i in range(people)))]))
        self.measured_once()
        number = self.ctl("trace", "<open@customer.test>")["case"]
        self.assertTrue(number)
        self.sink.received()
        data = os.urandom(size)
        b64 = base64.encodebytes(data).replace(b"\n", b"\r\n")
        body = (b"--b\r\nContent-Type: text/plain\r\n\r\nThe photos.\r\n"
                b"--b\r\nContent-Type: application/octet-stream\r\n"
                b"Content-Disposition: attachment; filename=photos.bin\r\n"
                b"Content-Transfer-Encoding: base64\r\n\r\n" + b64 +
                b"--b--\r\n")
        with self.db() as db:
            pages_before = self.db_bytes(db)
        self.append(raw(base_headers(f"Re: [{number}] Damaged pallet",
                                     "<file@customer.test>", NORMAL) +
                        [("Content-Type", 'multipart/mixed; boundary="b"')],
                        body))
        self.measured_once()
        self.assert_stored("<file@customer.test>")
        with self.db() as db:
            grown = self.db_bytes(db) - pages_before
            rows, raw_bytes = db.execute(
                "SELECT count(*), sum(length(raw)) FROM outbox"
                " WHERE kind = 'notify'").fetchone()
        self.assertEqual(rows, people)
        self.assertLess(raw_bytes, people * 8192)
        # The inbound raw copy (base64: 1.37 x) and the rows.
        self.assertLess(grown, 3 * size)
        got = [m for env, m in self.sink.received()
               if env["rcpt_tos"][0].endswith("@people.test")]
        self.assertGreater(len(got), 0)
        for m in got:
            (part,) = [p for p in m.iter_attachments()]
            self.assertEqual(part.get_filename(), "photos.bin")
            self.assertEqual(part.get_content(), data)

    @staticmethod
    def db_bytes(db):
        """The database's logical size (WAL included)."""
        return (db.execute("PRAGMA page_count").fetchone()[0] *
                db.execute("PRAGMA page_size").fetchone()[0])


def main():
    global DOVECOT, ASAN
    if not harness.take_args(
            "usage: test_hostile.py CASEMAILD CASECTL TEMPLATES_DIR", 3):
        return 2
    ASAN = under_asan(harness.CASEMAILD)
    if ASAN:
        print("test_hostile: casemaild is built with AddressSanitizer: peak"
              " RSS is not checked (shadow memory inflates it)",
              file=sys.stderr)
    with harness.dovecot_for_run("casemail-hostile-imap.") as DOVECOT:
        return harness.unittest_main()


ASAN = False

if __name__ == "__main__":
    sys.exit(main())
