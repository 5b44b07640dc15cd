#!/usr/bin/python3
"""casemaild against a real Dovecot on 127.0.0.1, checked through casectl.

Usage: test_gateway.py CASEMAILD CASECTL

One private Dovecot (tests/integration/dovecot.sh) serves the whole run;
every test gets its own store and its own IMAP mailboxes, APPENDs real
RFC 5322 messages over IMAP, runs `casemaild --once` and checks what it
did with `casectl --json` and with IMAP (what is left in the mailbox,
what went to Processed and Review).
"""

import glob
import hashlib
import hmac
import json
import os
import re
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import CARRIER, DESK, SHIPPER, mail  # noqa: E402

DOVECOT = None  # the run's harness.Dovecot

PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40


class Gateway(harness.DeskTest):
    """A fresh store and fresh mailboxes on the shared Dovecot."""

    user = "test"

    def setUp(self):
        self.desk_setup("casemail-gw.")
        self.box = self.own_mailbox("T")
        self.processed = self.box + "-Processed"
        self.review = self.box + "-Review"
        self.write_conf()
        self.imap = DOVECOT.login(self.user)
        self.imap.create(self.box)

    def tearDown(self):
        harness.logout(self.imap)
        self.desk_teardown()

    def write_conf(self, tls="imaps", ca="cert.pem", extra="", idle="no",
                   extra_imap="", batch=7):
        env = DOVECOT.env
        port = env["IMAPS_PORT"] if tls == "imaps" else env["IMAP_PORT"]
        self.write_desk_conf(case=extra, imap_port=port, tls=tls,
                             user=self.user, imap=f"""\
ca_file = {os.path.join(env["IMAP_DIR"], ca)}
mailbox = {self.box}
processed_mailbox = {self.processed}
review_mailbox = {self.review}
idle = {idle}
batch = {batch}
{extra_imap}""")

    # ---- helpers ------------------------------------------------------

    def cases(self):
        return self.ctl("list", "--view", "all", "--limit", "0")

    def cases_now(self):
        """How many cases, or None while the store is busy: casectl's
        documented exit 75, "try again", which a poll beside the running
        daemon may get (seen under ASan in CI)."""
        p = subprocess.run([harness.CASECTL, "-c", self.conf, "--json",
                            "list", "--view", "all", "--limit", "0"],
                           capture_output=True, text=True, env=self.env,
                           timeout=60)
        if p.returncode == 75:
            return None
        self.assertEqual(p.returncode, 0, p.stderr)
        return len(json.loads(p.stdout))

    def case(self, number):
        return self.ctl("show", number, "--full")

    def uidvalidity(self, box):
        typ, data = self.imap.status(box, "(UIDVALIDITY)")
        self.assertEqual(typ, "OK")
        return int(re.search(rb"UIDVALIDITY (\d+)", data[0]).group(1))

    def assert_boxes(self, inbox, processed, review):
        self.assertEqual(self.boxes(), (inbox, processed, review))

    def open_case(self, subject="Pallet crushed on delivery"):
        """A shipper mails the carrier and Cc's the desk: a new case."""
        first = self.append(mail(SHIPPER, CARRIER, subject,
                                 "The pallet for order 4471 arrived crushed.",
                                 cc=f"Case Desk <{DESK}>"))
        self.once()
        cases = self.cases()
        self.assertEqual(len(cases), 1)
        return cases[0]["number"], first


class TestThreading(Gateway):
    def test_new_case_and_participants(self):
        number, first = self.open_case()
        c = self.case(number)
        self.assertEqual(c["subject"], "Pallet crushed on delivery")
        self.assertEqual(c["source"], "email")
        self.assertEqual(c["status"], "active")
        parts = sorted(p["address"] for p in c["participants"])
        # The Cc'd carrier joins; the desk address itself never does.
        self.assertEqual(parts, ["carla@fasttrucks.test", "sam@acme.test"])
        names = {p["address"]: p["name"] for p in c["participants"]}
        self.assertEqual(names["carla@fasttrucks.test"], "Carla Carrier")
        (m,) = c["messages"]
        self.assertEqual(m["message_id"], first["Message-ID"])
        self.assertEqual(m["from"]["address"], "sam@acme.test")
        self.assertEqual(m["from"]["name"], "Sam Shipper")
        self.assertEqual([a["address"] for a in m["to"]],
                         ["carla@fasttrucks.test"])
        self.assertEqual([a["address"] for a in m["cc"]], [DESK])
        self.assertEqual(m["direction"], "in")
        self.assertIn("arrived crushed", m["body"])
        self.assert_boxes(0, 1, 0)
        trace = self.ctl("trace", first["Message-ID"])
        self.assertEqual(trace["case"], number)
        self.assertIn("new case", trace["decision"])

    def test_reply_by_tag_reference_and_plus_address(self):
        number, first = self.open_case()
        # The carrier answers from a mail client: the tag in the subject.
        self.append(mail(CARRIER, SHIPPER, f"RE: [{number}] Pallet crushed",
                         "We will check the POD.", cc=DESK))
        # A reply that lost the tag but kept In-Reply-To/References.
        self.append(mail(SHIPPER, CARRIER, "Re: Pallet crushed on delivery",
                         "Any news?", cc=DESK,
                         in_reply_to=first["Message-ID"],
                         references=first["Message-ID"]))
        # A mail to the plus address, with a fresh subject.
        self.append(mail(SHIPPER, f"cases+{number.lower()}@desk.example",
                         "Photos of the pallet", "See above."))
        # A bare, lower-case number after a German reply prefix.
        self.append(mail(CARRIER, DESK, f"AW: Fwd: {number.lower()} POD",
                         "POD attached later."))
        self.once()
        self.assertEqual(len(self.cases()), 1)
        c = self.case(number)
        self.assertEqual(len(c["messages"]), 5)
        decisions = [self.ctl("trace", m["message_id"])["decision"]
                     for m in c["messages"][1:]]
        self.assertTrue(any("subject" in d for d in decisions), decisions)
        self.assertTrue(any("references" in d.lower() or "in-reply-to"
                            in d.lower() for d in decisions), decisions)
        self.assertTrue(any("plus" in d for d in decisions), decisions)
        self.assert_boxes(0, 5, 0)

    def test_reply_all_from_cc_does_not_open_second_case(self):
        number, first = self.open_case()
        self.append(mail(CARRIER, SHIPPER, "Re: Pallet crushed on delivery",
                         "Reply all.", cc=DESK,
                         in_reply_to=first["Message-ID"]))
        self.once()
        self.assertEqual(len(self.cases()), 1)
        self.assertEqual(len(self.case(number)["messages"]), 2)

    def test_unknown_case_number_is_ignored(self):
        self.append(mail(SHIPPER, DESK, "About [CV999999] and more"))
        self.once()
        (c,) = self.cases()
        self.assertNotEqual(c["number"], "CV999999")

    def test_reopen_on_reply(self):
        number, _ = self.open_case()
        self.ctl("solve", number)
        self.assertEqual(self.case(number)["status"], "solved")
        self.append(mail(CARRIER, DESK, f"Re: [{number}] Pallet",
                         "It happened again."))
        self.once()
        c = self.case(number)
        self.assertEqual(c["status"], "active")
        changes = [(e["what"], e["old"], e["new"]) for e in c["events"]]
        self.assertIn(("status", "solved", "active"), changes)


class TestAttachments(Gateway):
    def test_stored_and_deduplicated(self):
        number, _ = self.open_case()
        for i in range(2):
            self.append(mail(CARRIER, DESK, f"Re: [{number}] photo {i}",
                             "Photo attached.",
                             attach=[("../../etc/pallet.png", PHOTO,
                                      "image/png")]))
        self.once()
        c = self.case(number)
        atts = [a for m in c["messages"] for a in m["attachments"]]
        self.assertEqual(len(atts), 2)
        self.assertEqual({a["sha256"] for a in atts},
                         {hashlib.sha256(PHOTO).hexdigest()})
        for a in atts:
            self.assertEqual(a["size"], len(PHOTO))
            self.assertEqual(a["content_type"], "image/png")
            self.assertNotIn("/", a["filename"])
            self.assertFalse(a["filename"].startswith("."))
            self.assertTrue(a["filename"].endswith("pallet.png"))
        stored = [p for p in glob.glob(os.path.join(self.dir, "attachments",
                                                    "**"), recursive=True)
                  if os.path.isfile(p)]
        sha = atts[0]["sha256"]
        # Once on disk, however many mails carried it (raw copies apart).
        self.assertEqual(len([p for p in stored if sha in p]), 1)


class TestChunks(Gateway):
    """A poll fetches at most 2 MiB of mail at a time and commits every
    [imap] batch messages; nothing is moved before its commit."""

    def test_big_mails_come_a_few_at_a_time(self):
        number, _ = self.open_case()
        scans = [bytes([i]) * (900 * 1024) for i in range(3)]
        for i, scan in enumerate(scans):
            self.append(mail(CARRIER, DESK, f"Re: [{number}] scan {i}",
                             "Scan attached.",
                             attach=[(f"scan{i}.bin", scan,
                                      "application/octet-stream")]))
            self.append(mail(CARRIER, DESK, f"Re: [{number}] note {i}",
                             f"Note {i}."))
        self.once()
        c = self.case(number)
        self.assertEqual(len(c["messages"]), 7)
        atts = sorted((a["filename"], a["size"], a["sha256"])
                      for m in c["messages"] for a in m["attachments"])
        sha = hashlib.sha256
        self.assertEqual(atts, [(f"scan{i}.bin", len(scan),
                                 sha(scan).hexdigest())
                                for i, scan in enumerate(scans)])
        self.assert_boxes(0, 7, 0)

    def test_store_failure_keeps_and_moves_only_what_committed(self):
        self.write_conf(batch=2)
        for i in range(5):
            attach = [("pod.pdf", PHOTO, "application/pdf")] if i == 3 \
                else None
            self.append(mail(f"Shipper {i} <s{i}@acme.test>", DESK,
                             f"Order {i} late", attach=attach))
        # The attachments directory cannot be made: the fourth mail's
        # attachment fails, and its whole transaction (mails 3 and 4)
        # with it.  Mails 1 and 2 were committed and are moved.
        blocker = os.path.join(self.dir, "attachments")
        open(blocker, "w").close()
        err = self.once(expect=75)
        self.assertIn("attachments", err)
        # The summary counts only what was kept.
        self.assertIn("imap: 2 stored", err)
        self.assertEqual(sorted(c["subject"] for c in self.cases()),
                         ["Order 0 late", "Order 1 late"])
        self.assert_boxes(3, 2, 0)
        os.unlink(blocker)
        self.once()
        self.assertEqual(sorted(c["subject"] for c in self.cases()),
                         [f"Order {i} late" for i in range(5)])
        self.assert_boxes(0, 5, 0)


class TestNoise(Gateway):
    def test_auto_reply_bounce_own_mail_never_open_cases(self):
        number, _ = self.open_case()
        self.append(mail(CARRIER, DESK, "Out of office",
                         "I am away until Monday.",
                         headers={"Auto-Submitted": "auto-replied"}))
        bounce = harness.dsn(DESK, "gone@fasttrucks.test", "bounce1")
        self.append(bounce)
        self.append(mail(f"Case Desk <{DESK}>", CARRIER, "Our own mail",
                         "Sent by the desk."))
        self.once()
        self.assertEqual([c["number"] for c in self.cases()], [number])
        self.assertEqual(len(self.case(number)["messages"]), 1)
        self.assertEqual(self.count(self.box), 0)

    def test_unknown_sender_held_for_review(self):
        number, _ = self.open_case()
        self.append(mail("Mallory <mallory@elsewhere.test>", DESK,
                         f"Re: [{number}] let me in", "Hi."))
        self.once()
        self.assertEqual(len(self.case(number)["messages"]), 1)
        held = self.ctl("review")
        self.assertEqual(len(held), 1)
        self.assertEqual(held[0]["state"], "held")
        self.assertTrue(held[0]["reason"])
        self.assert_boxes(0, 1, 1)
        # An agent lets it in.
        self.ctl("review", "accept", str(held[0]["id"]), json_out=False)
        self.assertEqual(len(self.case(number)["messages"]), 2)
        self.assertEqual(self.ctl("review"), [])

    def test_unparsable_mail_kept_for_review(self):
        self.append(b"\x00\xff garbage without any header\r\n\r\n\x00")
        self.append(mail(SHIPPER, DESK, "Fine"))
        self.once()
        self.assertEqual(len(self.cases()), 1)
        self.assert_boxes(0, 1, 1)
        (kept,) = self.ctl("review")
        self.assertEqual(kept["state"], "failed")
        self.assertTrue(kept["reason"])
        # Rejecting it takes it off the review list; its raw copy stays.
        self.ctl("review", "reject", str(kept["id"]), json_out=False)
        self.assertEqual(self.ctl("review"), [])


class TestLoopsAndLists(Gateway):
    def our_loop_value(self):
        """X-Casemail-Loop as this desk writes it (docs/casemaild.8)."""
        with open(os.path.join(self.dir, "casemail.key"), "rb") as f:
            key = f.read().split(b"\n")[0]
        tag = hmac.new(key, b"casemail-loop\n" + DESK.lower().encode(),
                       hashlib.sha256).hexdigest()[:32]
        return f"{DESK.lower()}; id={tag}"

    def test_own_loop_dropped_other_desk_filed_list_opens_nothing(self):
        number, _ = self.open_case()
        # The key was made beside the database, private like the store
        # (the -wal is gone once casemaild closes; unit_secrets checks it).
        for name in ("casemail.key", "cases.db"):
            mode = os.stat(os.path.join(self.dir, name)).st_mode & 0o777
            self.assertEqual(mode, 0o600, name)
        own = self.append(mail(CARRIER, DESK, f"Re: [{number}] echo",
                               "came back",
                               headers={"X-Casemail-Loop":
                                        self.our_loop_value()}))
        other = self.append(mail("Help Desk <agent@otherdesk.test>", DESK,
                                 "Your pallet, our case HD000007",
                                 "A person at another casemail desk.",
                                 headers={"X-Casemail-Loop":
                                          "help@otherdesk.test; id=" +
                                          "0123456789abcdef" * 2}))
        listed = self.append(mail("member@lists.test", "ops@lists.test",
                                  "Pallets everywhere", "Chatter.",
                                  headers={"List-Id":
                                           "Ops <ops.lists.test>"}))
        self.once()
        self.assertIn("own mail", self.ctl("trace", own["Message-ID"])
                      ["decision"])
        self.assertEqual(len(self.case(number)["messages"]), 1)
        trace = self.ctl("trace", other["Message-ID"])
        self.assertIn("new case", trace["decision"])
        trace = self.ctl("trace", listed["Message-ID"])
        self.assertIn("opens no case", trace["decision"])
        self.assertNotIn("queued", trace["decision"])
        self.assertEqual(len(self.cases()), 2)
        self.assert_boxes(0, 4, 0)


class TestIdempotence(Gateway):
    def test_second_run_and_uidvalidity_change_duplicate_nothing(self):
        number, _ = self.open_case()
        msgs = [mail(CARRIER, DESK, f"Re: [{number}] update {i}", f"n{i}")
                for i in range(10)]
        for m in msgs:
            self.append(m)
        self.once()
        self.once()
        self.assertEqual(len(self.case(number)["messages"]), 11)
        # The mailbox is recreated (new UIDVALIDITY) holding the same mail.
        before = self.uidvalidity(self.box)
        self.imap.select("INBOX")
        self.assertEqual(self.imap.delete(self.box)[0], "OK")
        self.assertEqual(self.imap.create(self.box)[0], "OK")
        self.assertNotEqual(self.uidvalidity(self.box), before)
        for m in msgs:
            self.append(m)
        err = self.once()
        self.assertIn("UIDVALIDITY", err)
        self.assertEqual(len(self.cases()), 1)
        self.assertEqual(len(self.case(number)["messages"]), 11)
        self.assert_boxes(0, 21, 0)

    def test_same_message_id_twice(self):
        number, first = self.open_case()
        self.append(first)  # e.g. it also reached an alias
        self.once()
        self.assertEqual(len(self.case(number)["messages"]), 1)
        self.assert_boxes(0, 2, 0)


class TestTLS(Gateway):
    def test_imaps_and_starttls_with_test_ca(self):
        self.append(mail(SHIPPER, DESK, "Over IMAPS"))
        self.once()
        self.write_conf(tls="starttls")
        self.append(mail(SHIPPER, DESK, "Over STARTTLS"))
        self.once()
        self.assertEqual(len(self.cases()), 2)

    def test_wrong_ca_refused(self):
        self.append(mail(SHIPPER, DESK, "Never fetched"))
        for tls in ("imaps", "starttls"):
            self.write_conf(tls=tls, ca="wrong-ca.pem")
            err = self.once(expect=78)
            self.assertIn("certificate", err)
        self.assertEqual(self.count(self.box), 1)

    def test_bad_password(self):
        with open(os.path.join(self.dir, "imap.pw"), "w",
                  encoding="utf-8") as f:
            f.write("wrong\n")
        self.once(expect=78)

    def test_readable_password_file_refused(self):
        os.chmod(os.path.join(self.dir, "imap.pw"), 0o644)
        err = self.once(expect=78)
        self.assertIn("imap.pw", err)


class TestDaemon(Gateway):
    """casemaild without a mode: IDLE, then SIGTERM."""

    @staticmethod
    def log_text(log):
        """What the daemon logged so far (for a failure's message)."""
        log.flush()
        log.seek(0)
        return log.read()

    def run_daemon(self, idle):
        self.write_conf(idle=idle, extra_imap="poll_interval = 1\n")
        with open(os.path.join(self.dir, "daemon.log"), "w+",
                  encoding="utf-8") as log:
            p = subprocess.Popen([harness.CASEMAILD, "-c", self.conf],
                                 env=self.env,
                                 stdout=subprocess.DEVNULL, stderr=log)
            try:
                self.append(mail(SHIPPER, DESK, "First while running"))
                self.assertTrue(harness.wait_for(
                    lambda: self.cases_now() == 1, step=0.2),
                    "first mail not ingested\n" + self.log_text(log))
                self.append(mail(SHIPPER, DESK, "Second while running"))
                self.assertTrue(harness.wait_for(
                    lambda: self.cases_now() == 2, step=0.2),
                    "second mail not ingested\n" + self.log_text(log))
                self.assertTrue(harness.wait_for(
                    lambda: self.count(self.box) == 0, step=0.2), "not moved")
            finally:
                p.send_signal(signal.SIGTERM)
                try:
                    rc = p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
                    rc = "hung"
            log.seek(0)
            text = log.read()
        self.assertEqual(rc, 0, text)
        return text

    def test_idle(self):
        text = self.run_daemon("yes")
        self.assertIn("idling", text)
        self.assertEqual(text.count("imap: idling"), 1, text)

    def test_polling(self):
        text = self.run_daemon("no")
        self.assertIn("polling", text)


class TestLegacyServer(Gateway):
    """No MOVE, no UIDPLUS: COPY + \\Deleted + EXPUNGE."""

    user = "legacy"

    def test_copy_delete_expunge_fallback(self):
        self.append(mail(SHIPPER, DESK, "Legacy one"))
        self.append(mail(SHIPPER, DESK, "Legacy two"))
        self.once()
        self.assertEqual(len(self.cases()), 2)
        self.assert_boxes(0, 2, 0)


def main():
    global DOVECOT
    if not harness.take_args("usage: test_gateway.py CASEMAILD CASECTL", 2):
        return 2
    with harness.dovecot_for_run("casemail-imap.") as DOVECOT:
        return harness.unittest_main()


if __name__ == "__main__":
    sys.exit(main())
