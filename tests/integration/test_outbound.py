#!/usr/bin/python3
"""Outbound mail end to end: Dovecot in, casemaild, an SMTP receiver out.

Usage: test_outbound.py CASEMAILD CASECTL TEMPLATES_DIR

A private Dovecot and an aiosmtpd receiver (smtpsink.py) on 127.0.0.1.
Mail is APPENDed, `casemaild --once` ingests it and drains the outbox,
and the test reads what the receiver really got: envelopes, headers,
threading, encodings, attachments, refusals and retries.
"""

import email.utils
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (AGENT, CARRIER, DESK, SHIPPER, UNSUB,  # noqa: E402
                     VERP, dsn, flip, mail, verified)

DOVECOT = None  # the run's harness.Dovecot


class Outbound(harness.DeskTest):
    def setUp(self):
        self.desk_setup("casemail-out.")
        self.box = self.own_mailbox("O")
        self.sink = self.start_sink()
        self.write_conf()
        self.imap = DOVECOT.login()
        self.imap.create(self.box)

    def tearDown(self):
        self.sink.stop()
        harness.logout(self.imap)
        self.desk_teardown()

    def write_conf(self, extra_case="", extra_smtp=""):
        self.write_desk_conf(case=f"""\
desk_name = Case Desk
escalation_address = support@outside.test
templates = {harness.TEMPLATES}
{extra_case}""", imap_port=DOVECOT.port, imap=f"""\
mailbox = {self.box}
processed_mailbox = {self.box}-Processed
review_mailbox = {self.box}-Review
idle = no""", smtp_port=self.sink.port, smtp=extra_smtp)

    # ---- helpers ------------------------------------------------------

    def received(self):
        """Mails the receiver got since the last call: (envelope, msg)."""
        return self.sink.received()

    def by_rcpt(self, got):
        return {r.lower(): m for env, m in got for r in env["rcpt_tos"]}

    def new_case(self):
        first = self.append(mail(SHIPPER, CARRIER, "Pallet crushed",
                                 "It arrived crushed.", cc=DESK))
        self.once()
        (c,) = self.ctl("list", "--view", "all")
        return c["number"], first


class TestNotifications(Outbound):
    def test_ack_and_notifications(self):
        number, first = self.new_case()
        got = self.received()
        # Only the acknowledgement: both people got the mail directly.
        self.assertEqual([env["rcpt_tos"] for env, _ in got],
                         [["sam@acme.test"]])
        ack = got[0][1]
        self.assertIn(number, ack["Subject"])
        self.assertEqual(ack["Auto-Submitted"], "auto-replied"
                         if ack["Auto-Submitted"] != "auto-generated"
                         else "auto-generated")
        self.assertEqual(ack["In-Reply-To"], first["Message-ID"])
        # An owner and a watcher hear of the carrier's reply; the
        # shipper (in To) and the carrier (author) do not.
        self.ctl("assign", number, "--owner", AGENT, "--side", "shipper",
                 json_out=False)
        self.ctl("watch", number, "--user", "lead@desk.example",
                 json_out=False)
        reply = self.append(mail(CARRIER, SHIPPER, f"Re: [{number}] Pallet",
                                 "We will check the POD.", cc=DESK))
        self.once()
        got = self.by_rcpt(self.received())
        self.assertEqual(sorted(got), [AGENT, "lead@desk.example"])
        n = got[AGENT]
        self.assertEqual(n["Subject"], f"[{number}] Pallet crushed")
        self.assertEqual(email.utils.parseaddr(n["From"])[1], DESK)
        self.assertIn("Carla Carrier via Case Desk", n["From"])
        self.assertEqual(n["Reply-To"], DESK)
        self.assertEqual(n["Auto-Submitted"], "auto-generated")
        self.assertEqual(n["X-Auto-Response-Suppress"], "All")
        self.assertIn("unsubscribe", n["List-Unsubscribe"])
        self.assertTrue(n["Thread-Index"])
        self.assertEqual(n["In-Reply-To"], reply["Message-ID"])
        self.assertIn(first["Message-ID"], n["References"])
        self.assertIn("We will check the POD.", n.get_body().get_content())
        self.assertNotEqual(got[AGENT]["Message-ID"],
                            got["lead@desk.example"]["Message-ID"])
        # A reply to the notification, without tag, threads by its
        # signed Message-ID.
        self.append(verified(mail(f"Anna <{AGENT}>", DESK, "Re: your mail",
                                  "Noted.", in_reply_to=n["Message-ID"],
                                  references=n["Message-ID"])))
        self.once()
        self.assertEqual(len(self.ctl("list", "--view", "all")), 1)
        self.assertEqual(len(self.ctl("show", number)["messages"]), 3)

    def test_public_note_notifies_internal_note_does_not(self):
        number, _ = self.new_case()
        self.received()
        self.ctl("assign", number, "--owner", AGENT, "--side", "shipper",
                 json_out=False)
        self.ctl("watch", number, "--user", "lead@desk.example",
                 json_out=False)
        self.ctl("--as", AGENT, "note", number, "Internal: check the POD",
                 json_out=False)
        self.once()
        self.assertEqual(self.received(), [])
        self.ctl("--as", AGENT, "note", "--public", number,
                 "The pallet goes back to the depot on Monday.",
                 json_out=False)
        self.once()
        got = self.by_rcpt(self.received())
        # Everyone of the case but the author (the agent who wrote it).
        self.assertEqual(sorted(got), ["carla@fasttrucks.test",
                                       "lead@desk.example", "sam@acme.test"])
        body = got["sam@acme.test"].get_body().get_content()
        self.assertIn("back to the depot on Monday", body)
        self.assertNotIn("check the POD", body)
        self.assertEqual(got["sam@acme.test"]["Subject"],
                         f"[{number}] Pallet crushed")
        events = [e["what"] for e in self.ctl("history", number)]
        self.assertIn("public note", events)

    def test_encoded_subjects_and_attachments(self):
        subjects = ("Палета пошкоджена", "货盘损坏", "Palette beschädigt")
        for subject in subjects:
            self.append(mail(SHIPPER, DESK, subject, "New problem."))
        self.once()
        self.received()  # the acknowledgement
        cases = {c["subject"]: c["number"]
                 for c in self.ctl("list", "--view", "all")}
        self.assertEqual(sorted(cases), sorted(subjects))
        for subject, number in cases.items():
            self.ctl("assign", number, "--owner", AGENT, "--side",
                     "shipper", json_out=False)
            self.append(mail(SHIPPER, DESK, f"Re: [{number}] {subject}",
                             "Photo attached.",
                             attach=[("foto.png", b"\x89PNG" + b"x" * 500,
                                      "image/png")]))
        self.once()
        got = [m for env, m in self.received() if env["rcpt_tos"] == [AGENT]]
        self.assertEqual(len(got), 3)
        for m in got:
            number = m["X-Casemail-Case"]
            subject = [s for s, n in cases.items() if n == number][0]
            self.assertEqual(m["Subject"], f"[{number}] {subject}")
            raw = m.as_bytes()
            self.assertIn(b"=?utf-8?", raw.lower())
            atts = list(m.iter_attachments())
            self.assertEqual([a.get_filename() for a in atts], ["foto.png"])
            self.assertEqual(atts[0].get_content(), b"\x89PNG" + b"x" * 500)

    def test_hostile_subject_and_name_cannot_inject(self):
        raw = (b"From: =?utf-8?q?Evil=0D=0ABcc=3A_victim=40x=2Etest?= "
               b"<evil@acme.test>\r\n"
               b"To: cases@desk.example\r\n"
               b"Subject: =?utf-8?q?Hi=0D=0ABcc=3A_victim=40x=2Etest?=\r\n"
               b"Message-ID: <evil1@acme.test>\r\n\r\nbody\r\n")
        self.append(raw)
        self.once()
        (c,) = self.ctl("list", "--view", "all")
        self.ctl("watch", c["number"], "--user", "lead@desk.example",
                 json_out=False)
        self.append(mail("evil@acme.test", DESK,
                         f"Re: [{c['number']}] again", "x"))
        self.once()
        for env, m in self.received():
            self.assertNotIn("victim@x.test", env["rcpt_tos"])
            self.assertIsNone(m["Bcc"])
            for k, v in m.items():
                self.assertNotIn("\n", str(v).strip().replace("\n ", ""))

    def test_no_loop_on_auto_reply_or_bounce(self):
        number, _ = self.new_case()
        self.ctl("watch", number, "--user", "lead@desk.example",
                 json_out=False)
        self.received()
        self.append(mail("lead@desk.example", DESK, f"Auto: [{number}]",
                         "Out of office", headers={
                             "Auto-Submitted": "auto-replied"}))
        self.append(mail("MAILER-DAEMON@mx.test", DESK,
                         f"Undelivered: [{number}]", "bounce"))
        self.once()
        self.assertEqual(self.received(), [])


class TestTemplates(Outbound):
    def test_escalation_update_resolve_by_cli(self):
        number, _ = self.new_case()
        self.received()
        err = self.ctl("reply", number, "--template", "escalation",
                       "--set", "name=Jo Caller", expect=2)
        self.assertIn("caller.phone", err)
        self.ctl("reply", number, "--template", "escalation",
                 "--set", "name=Jo Caller", "--set", "company=Acme",
                 "--set", "phone=+31 20 555 0101",
                 "--set", "email=jo@acme.test",
                 "--set", "issue=Pallet crushed twice", json_out=False)
        c = self.ctl("show", number)
        self.assertEqual(c["status"], "active")
        self.ctl("reply", number, "--template", "update", json_out=False)
        self.ctl("reply", number, "--template", "resolve", json_out=False)
        self.once()
        got = self.received()
        rcpts = [sorted(env["rcpt_tos"]) for env, _ in got]
        self.assertIn(["support@outside.test"], rcpts)
        esc = [m for env, m in got
               if env["rcpt_tos"] == ["support@outside.test"]][0]
        self.assertIn("+31 20 555 0101", esc.get_body().get_content())
        self.assertIn("sam@acme.test", sum(rcpts, []))
        self.assertEqual(self.ctl("show", number)["status"], "solved")
        whats = [e["what"] for e in self.ctl("history", number)]
        self.assertIn("waiting", whats)

    def test_mail_command_from_agent(self):
        number, _ = self.new_case()
        self.received()
        self.append(verified(mail(f"Anna <{AGENT}>", DESK, f"[{number}]",
                                  "/resolve\nspecialist: Bob\n\nThanks.")))
        # From anyone else the line is ordinary text (and this one is
        # held: the sender is not on the case).
        self.append(mail("stranger@elsewhere.test", DESK, f"[{number}]",
                         "/update\n"))
        self.once()
        self.assertEqual(self.ctl("show", number)["status"], "solved")
        self.assertTrue(any("sam@acme.test" in env["rcpt_tos"]
                            for env, _ in self.received()))

    def forged_agent_mail(self, number, authres=None, below=None):
        """The attack of issue 12: an agent's From, a command, a Cc and a
        link.  authres: a header on top (e.g. one a sender wrote); below:
        a forged passing header under it."""
        m = mail(f"Anna <{AGENT}>", DESK, f"Re: [{number}] Pallet crushed",
                 "/resolve\nnote: see http://evil.test/claim\n",
                 cc="attacker@evil.test")
        raw = m.as_bytes(policy=m.policy.clone(linesep="\r\n"))
        if below:
            raw = f"Authentication-Results: {below}\r\n".encode() + raw
        if authres:
            raw = f"Authentication-Results: {authres}\r\n".encode() + raw
        return raw

    def test_forged_agent_changes_nothing(self):
        number, _ = self.new_case()
        self.received()
        before = self.ctl("show", number)
        pass_ = "dmarc=pass header.from=desk.example"
        forgeries = [
            (None, None),                                  # no verdict
            (f"evil.test; {pass_}", None),                 # untrusted id
            (f"{harness.AUTHSERV_ID}; dmarc=fail header.from=desk.example",
             f"{harness.AUTHSERV_ID}; {pass_}"),           # forged below
        ]
        for top, below in forgeries:
            self.append(self.forged_agent_mail(number, top, below))
        self.once()
        after = self.ctl("show", number)
        self.assertEqual(after["status"], before["status"])
        self.assertEqual(after["participants"], before["participants"])
        self.assertEqual(len(after["messages"]), len(before["messages"]))
        self.assertEqual(self.received(), [])
        held = self.ctl("review")
        self.assertEqual(len(held), 3)
        for h in held:
            self.assertIn("organisation address not proven", h["reason"])
            self.assertIn("mail command /resolve refused", h["reason"])
            t = self.ctl("trace", h["message_id"])
            self.assertFalse(t["sender_verified"])
            self.assertIn("not verified anna@desk.example",
                          t["sender_verdict"])
        # The same mail as the desk's MTA vouches for it: it acts.
        ok = mail(f"Anna <{AGENT}>", DESK, f"Re: [{number}] Pallet crushed",
                  "/resolve\n")
        self.append(verified(ok))
        self.once()
        self.assertEqual(self.ctl("show", number)["status"], "solved")
        t = self.ctl("trace", ok["Message-ID"])
        self.assertTrue(t["sender_verified"])
        self.assertIn(f"(Authentication-Results of {harness.AUTHSERV_ID})",
                      t["sender_verdict"])
        text = self.ctl("trace", ok["Message-ID"], json_out=False)
        self.assertIn("\n  sender: verified anna@desk.example: ", text)

    def test_accepted_from_review_is_notified(self):
        number, _ = self.new_case()
        self.ctl("assign", number, "--owner", AGENT, "--side", "shipper",
                 json_out=False)
        self.received()
        self.append(mail("Mallory <mallory@elsewhere.test>", DESK,
                         f"Re: [{number}] about my pallet", "Any news?"))
        self.once()
        self.assertEqual(self.received(), [])
        (held,) = self.ctl("review")
        self.ctl("review", "accept", str(held["id"]), json_out=False)
        self.once()
        got = self.by_rcpt(self.received())
        self.assertIn(AGENT, got)
        self.assertIn("Any news?", got[AGENT].get_body().get_content())

    def test_escalation_by_mail_stays_with_the_desk(self):
        number, _ = self.new_case()
        self.ctl("watch", number, "--user", "lead@desk.example",
                 json_out=False)
        self.received()
        self.append(verified(mail(
            f"Anna <{AGENT}>", DESK, f"[{number}]",
            "/escalation\nname: Jo Caller\ncompany: Acme\n"
            "phone: +31 20 555 0101\nemail: jo@acme.test\n"
            "issue: Pallet crushed twice\n")))
        self.once()
        got = self.received()
        by = {}
        for env, m in got:
            for r in env["rcpt_tos"]:
                by.setdefault(r.lower(), []).append(m)
        # The outside team gets the details; the desk's watcher hears of
        # it; the customer and the carrier get nothing of the caller's.
        self.assertIn("support@outside.test", by)
        self.assertIn("lead@desk.example", by)
        for outsider in ("sam@acme.test", "carla@fasttrucks.test"):
            for m in by.get(outsider, []):
                self.assertNotIn("555 0101", m.as_string())

    def test_templates_and_preview(self):
        names = [t["name"] for t in self.ctl("templates")]
        for n in ("acknowledge", "escalation", "notify", "resolve", "update"):
            self.assertIn(n, names)
        number, _ = self.new_case()
        out = self.ctl("preview", number, "--template", "update",
                       json_out=False)
        self.assertIn(f"[{number}]", out)
        self.assertEqual(self.ctl("outbox"), [])


CARLA = "carla@fasttrucks.test"
SAM = "sam@acme.test"


class TestBounces(Outbound):
    """Only a delivery report to the signed return path of a mail to that
    recipient marks them bouncing; the mark shows, stops notifications and
    clears."""

    def public_note(self, number, text, env=None):
        """A public note by the agent, sent: {rcpt: (envelope, msg)}."""
        p = dict(self.env, **(env or {}))
        saved, self.env = self.env, p
        try:
            self.ctl("--as", AGENT, "note", "--public", number, text,
                     json_out=False)
            self.once()
        finally:
            self.env = saved
        return {r: (e, m) for e, m in self.received() for r in e["rcpt_tos"]}

    def bouncing(self, number):
        people = self.ctl("show", number)["participants"]
        return {p["address"] for p in people if p["bouncing_since"]}

    def test_only_signed_return_path_marks_bouncing(self):
        number, _ = self.new_case()
        self.received()
        got = self.public_note(number, "The pallet goes back on Monday.")
        self.assertEqual(sorted(got), [CARLA, SAM])
        # Each recipient's mail in its own transaction, from a return
        # path signed for it (the receiver saw it in MAIL FROM).
        paths = {r: e["mail_from"] for r, (e, _) in got.items()}
        for r, path in paths.items():
            self.assertRegex(path, VERP)
            self.assertEqual(got[r][0]["rcpt_tos"], [r])
            self.assertLess(len(path.split("@")[0]), 64)
        self.assertNotEqual(paths[CARLA], paths[SAM])
        # Forged reports mark nobody: to the plain case address, to
        # carla's return path with one character changed, to sam's return
        # path naming carla, and naming carla with a Delivered-To that is
        # not signed.
        forged = [dsn(DESK, CARLA, "f1"),
                  dsn(flip(paths[CARLA], len("cases+bounce-") + 4), CARLA,
                      "f2"),
                  dsn(paths[SAM], CARLA, "f3"),
                  dsn(DESK, CARLA, "f4",
                      headers="Delivered-To: cases+bounce-1-0123456789abcdef"
                              "@desk.example\r\n")]
        for raw in forged:
            self.append(raw)
        self.once()
        self.assertEqual(self.bouncing(number), set())
        for n in range(1, 5):
            t = self.ctl("trace", f"<f{n}@mx.fasttrucks.test>")
            self.assertEqual(t["state"], "ignored")
            self.assertIn(f"ignored for {CARLA}", t["reason"])
        # A genuine report: carla is bouncing, and shown so.
        self.append(dsn(paths[CARLA], CARLA, "g1"))
        self.once()
        self.assertEqual(self.bouncing(number), {CARLA})
        self.assertIn("bouncing since", self.ctl("show", number,
                                                  json_out=False))
        self.assertIn("bounce", [e["what"] for e in
                                 self.ctl("history", number)])
        # The next notification skips her.
        got = self.public_note(number, "Second update.")
        self.assertEqual(sorted(got), [SAM])
        # A reply to her that the server accepts clears the mark.
        self.ctl("reply", number, "--text", "Is your mailbox full?",
                 json_out=False)
        self.once()
        self.received()
        self.assertEqual(self.bouncing(number), set())
        self.assertIn("bounce cleared", [e["what"] for e in
                                         self.ctl("history", number)])
        # Marked again (a new report on the same mail); an agent clears
        # it; clearing twice is refused.
        self.append(dsn(paths[CARLA], CARLA, "g2"))
        self.once()
        self.assertEqual(self.bouncing(number), {CARLA})
        self.assertIn("no longer marked bouncing",
                      self.ctl("unbounce", CARLA, json_out=False))
        self.assertEqual(self.bouncing(number), set())
        self.ctl("unbounce", CARLA, json_out=False, expect=1)
        # Marked again; after [smtp] bounce_clear_days (default 7) the
        # mark has expired: shown no more, and she is notified again.
        self.append(dsn(paths[CARLA], CARLA, "g3"))
        self.once()
        self.assertEqual(self.bouncing(number), {CARLA})
        later = {"CASEMAIL_NOW": str(int(time.time()) + 8 * 86400)}
        got = self.public_note(number, "A week on.", env=later)
        self.assertEqual(sorted(got), [CARLA, SAM])


class TestUnsubscribe(Outbound):
    """List-Unsubscribe works only with the token made for the person the
    notification went to, and unsubscribes that person."""

    def test_only_a_valid_token_unsubscribes(self):
        number, _ = self.new_case()
        self.received()
        self.ctl("--as", AGENT, "note", "--public", number, "Update.",
                 json_out=False)
        self.once()
        got = self.by_rcpt(self.received())
        links = {r: UNSUB.match(m["List-Unsubscribe"]) for r, m in got.items()}
        self.assertTrue(links[SAM] and links[CARLA])
        self.assertNotEqual(links[SAM].group(2), links[CARLA].group(2))
        sam_addr = links[SAM].group(1)
        plain = f"cases+unsubscribe-{number.lower()}@desk.example"

        def subscribed():
            return {p["address"]: p["subscribed"]
                    for p in self.ctl("show", number)["participants"]}

        # No token, a changed token, carla's own token with sam's From:
        # none of them unsubscribes sam.
        self.append(mail(SHIPPER, plain, "unsubscribe", "stop",
                         msgid="<u1@acme.test>"))
        self.append(mail(SHIPPER, flip(sam_addr, sam_addr.index("@") - 1),
                         "unsubscribe", "stop", msgid="<u2@acme.test>"))
        self.once()
        self.assertEqual(subscribed(), {CARLA: True, SAM: True})
        self.assertEqual(self.received(), [])
        for n, why in ((1, "has no token"), (2, "not valid")):
            t = self.ctl("trace", f"<u{n}@acme.test>")
            self.assertEqual(t["state"], "ignored")
            self.assertIn(why, t["reason"])
        # Carla uses her own link while forging sam's From: she is the one
        # unsubscribed (the token says who), and the confirmation goes to
        # her, not to sam.
        self.append(mail(SHIPPER, links[CARLA].group(1), "unsubscribe",
                         "stop", msgid="<u3@acme.test>"))
        self.once()
        self.assertEqual(subscribed(), {CARLA: False, SAM: True})
        self.assertEqual([e["rcpt_tos"] for e, _ in self.received()],
                         [[CARLA]])
        # Sam's genuine link, as the receiver captured it.
        self.append(mail(SHIPPER, sam_addr, "unsubscribe", "",
                         msgid="<u4@acme.test>"))
        self.once()
        self.assertEqual(subscribed(), {CARLA: False, SAM: False})
        self.assertEqual([e["rcpt_tos"] for e, _ in self.received()],
                         [[SAM]])
        # Neither is notified any more.
        self.ctl("--as", AGENT, "note", "--public", number, "Again.",
                 json_out=False)
        self.once()
        self.assertEqual(self.received(), [])


class TestDelivery(Outbound):
    def test_retry_after_451_and_after_down(self):
        number, _ = self.new_case()
        self.received()
        self.sink.set_mode("down-451")
        self.ctl("reply", number, "--text", "First try.", json_out=False)
        self.once(expect=0)
        self.assertEqual(self.received(), [])
        (q,) = self.ctl("outbox")
        self.assertEqual(q["state"], "queued")
        self.assertIn("451", q["last_error"])
        self.sink.set_mode(None)
        self.ctl("outbox", "retry", str(q["id"]), json_out=False)
        self.once()
        self.assert_one_mail(self.received())
        # The receiver is down altogether: the mail waits, nothing lost.
        self.sink.stop()
        self.ctl("reply", number, "--text", "Second.", json_out=False)
        self.once(expect=75)
        (q,) = self.ctl("outbox")
        self.sink.start(self.sink.port)
        self.ctl("outbox", "retry", str(q["id"]), json_out=False)
        self.once()
        self.assert_one_mail(self.received())
        self.assertEqual(self.ctl("outbox"), [])

    def assert_one_mail(self, got):
        """got is one mail (one Message-ID) to both people on the case,
        in one transaction per recipient."""
        self.assertEqual(len({m["Message-ID"] for _, m in got}), 1)
        self.assertEqual(sorted(r for env, _ in got for r in env["rcpt_tos"]),
                         ["carla@fasttrucks.test", "sam@acme.test"])
        self.assertTrue(all(len(env["rcpt_tos"]) == 1 for env, _ in got))

    def test_550_is_final_and_on_the_case(self):
        number, _ = self.new_case()
        self.received()
        self.ctl("reply", number, "--text", "Hello", "--to",
                 "reject-me@fasttrucks.test", json_out=False)
        self.once()
        got = self.received()
        self.assertTrue(any("sam@acme.test" in env["rcpt_tos"]
                            for env, _ in got))
        events = self.ctl("history", number)
        fails = [e for e in events if e["what"] == "not delivered"]
        self.assertEqual(len(fails), 1)
        self.assertEqual(fails[0]["new"], "reject-me@fasttrucks.test")
        self.assertIn("550", fails[0]["detail"])


class TestTrustCheck(harness.DeskTest):
    """casemaild check on who can prove an agent's mail ([trust])."""

    def setUp(self):
        self.desk_setup("casemail-trust.")

    def tearDown(self):
        self.desk_teardown()

    def check(self, trust):
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(f"[case]\naddress = {DESK}\n"
                    "organization_domains = desk.example\n"
                    "[store]\ndatabase = cases.db\n"
                    f"[trust]\n{trust}")
        p = subprocess.run([harness.CASEMAILD, "-c", self.conf, "check"],
                           capture_output=True, text=True, env=self.env,
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stderr

    def test_no_verifier_warns(self):
        err = self.check("dkim_verify = no\n")
        self.assertIn("no trusted verifier", err)
        self.assertIn("mail commands (/escalation, ...) will be refused",
                      err)
        for ok in (f"authserv_ids = {harness.AUTHSERV_ID}\n"
                   "dkim_verify = no\n",
                   "trust_topmost = yes\ndkim_verify = no\n"):
            self.assertNotIn("no trusted verifier", self.check(ok))
        self.assertIn("only by our own DKIM check", self.check(""))
        self.assertIn("dkim_key_file", self.check("dkim_key_file = nope\n"))


def main():
    global DOVECOT
    if not harness.take_args("usage: test_outbound.py CASEMAILD CASECTL "
                             "TEMPLATES", 3):
        return 2
    with harness.dovecot_for_run("casemail-out-imap.") as DOVECOT:
        return harness.unittest_main()


if __name__ == "__main__":
    sys.exit(main())
