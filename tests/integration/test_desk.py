#!/usr/bin/python3
"""The desk's workflows end to end (issue 15): the confidential escalation
round trip, requester and caller of a phone case, ownership.

Usage: test_desk.py CASEMAILD CASECTL TEMPLATES_DIR

A private Dovecot and an aiosmtpd receiver (smtpsink.py) on 127.0.0.1;
mail is APPENDed, `casemaild --once` ingests it and drains the outbox,
and the test reads what the receiver really got.  The escalation test
prints who received what at each step, for every party, and asserts that
table.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import AGENT, DESK, SHIPPER, mail, verified  # noqa: E402

DOVECOT = None  # the run's harness.Dovecot

CUSTOMER = "sam@acme.test"
CARRIER_OWNER = "carla@fasttrucks.test"
SHIPPER_OWNER = AGENT                    # anna@desk.example, ours
OUTSIDE = "support@outside.test"         # [case] escalation_address
TEAM_COLLEAGUE = "jane@outside.test"     # the team, another address
TIER2 = "tier2@desk.example"             # an in-house escalation team
WATCHER = "lead@desk.example"
SENDER = "bob@desk.example"              # the agent who escalates
PARTIES = [("customer", CUSTOMER), ("carrier owner", CARRIER_OWNER),
           ("shipper owner", SHIPPER_OWNER), ("outside team", OUTSIDE),
           ("watcher", WATCHER)]


class Desk(harness.DeskTest):
    def setUp(self):
        self.desk_setup("casemail-desk.")
        self.box = self.own_mailbox("D")
        self.sink = self.start_sink()
        self.write_conf()
        self.imap = DOVECOT.login()
        self.imap.create(self.box)

    def tearDown(self):
        self.sink.stop()
        harness.logout(self.imap)
        self.desk_teardown()

    def write_conf(self, extra_case="", team=OUTSIDE):
        self.write_desk_conf(case=f"""\
desk_name = Case Desk
escalation_address = {team}
templates = {harness.TEMPLATES}
{extra_case}""", imap_port=DOVECOT.port, imap=f"""\
mailbox = {self.box}
processed_mailbox = {self.box}-Processed
review_mailbox = {self.box}-Review
idle = no""", smtp_port=self.sink.port)

    def rcpts(self):
        """{address: [message, ...]} of the mail received since last."""
        out = {}
        for env, m in self.sink.received():
            for r in env["rcpt_tos"]:
                out.setdefault(r.lower(), []).append(m)
        return out


class TestEscalation(Desk):
    def step(self, table, name, got):
        table.append((name, {who: len(got.get(addr, []))
                             for who, addr in PARTIES}))
        return got

    def print_table(self, table):
        who = [w for w, _ in PARTIES]
        lines = ["", "who received what (mails per party):",
                 "%-34s" % "step" + "".join("%-15s" % w for w in who)]
        for name, row in table:
            lines.append("%-34s" % name +
                         "".join("%-15s" % (row[w] or "-") for w in who))
        sys.stderr.write("\n".join(lines) + "\n")

    def test_round_trip(self):
        table = []
        self.append(mail(SHIPPER, DESK, "Pallet crushed",
                         "It arrived crushed.  Call me: +31 20 555 0101."))
        self.once()
        (c,) = self.ctl("list", "--view", "all")
        num = c["number"]
        self.step(table, "1 customer opens the case", self.rcpts())
        self.ctl("--as", SENDER, "assign", num, "--owner", SHIPPER_OWNER,
                 "--side", "shipper", json_out=False)
        self.ctl("--as", SENDER, "assign", num, "--owner", CARRIER_OWNER,
                 "--side", "carrier", json_out=False)
        self.ctl("--as", SENDER, "watch", num, "--user", WATCHER,
                 json_out=False)

        # The escalation: the caller's name and email come from the case
        # (the requester), the rest is given; it goes to the outside team
        # and to our own shipper owner, never to the carrier owner.
        self.ctl("--as", SENDER, "escalate", num, "--set",
                 "company=Acme", "--set", "phone=+31 20 555 0101",
                 "--set", "issue=Pallet crushed twice", json_out=False)
        self.once()
        got = self.step(table, "2 agent escalates", self.rcpts())
        esc = got[OUTSIDE][0]
        body = esc.get_body().get_content()
        self.assertIn("+31 20 555 0101", body)
        self.assertIn(CUSTOMER, body)
        case = self.ctl("show", num)
        self.assertEqual(case["outside_team"], [OUTSIDE])
        self.assertEqual(case["waiting_on"], "outside support")

        # The team's reply: stored as internal, the desk's own told.
        self.append(mail(OUTSIDE, DESK, f"Re: {esc['Subject']}",
                         "We called the customer; a claim is open.",
                         in_reply_to=esc["Message-ID"]))
        self.once()
        self.step(table, "3 outside team replies", self.rcpts())
        full = self.ctl("show", num, "--full")
        team_msgs = [m for m in full["messages"]
                     if m["from"]["address"] == OUTSIDE]
        self.assertEqual(len(team_msgs), 1)
        self.assertTrue(team_msgs[0]["internal"])
        self.assertNotIn(OUTSIDE, [p["address"]
                                   for p in full["participants"]])

        # A colleague of the team (not the recorded address) answers the
        # escalation: internal too, whoever sent it; and the team never
        # looks like the customer's latest word.
        self.append(mail(TEAM_COLLEAGUE, DESK, f"Re: {esc['Subject']}",
                         "Internal: claim ref 77, carrier at fault.",
                         references=esc["Message-ID"]))
        self.once()
        self.step(table, "3b a team colleague replies", self.rcpts())
        full = self.ctl("show", num, "--full")
        (jane,) = [m for m in full["messages"]
                   if m["from"]["address"] == TEAM_COLLEAGUE]
        self.assertTrue(jane["internal"])
        self.assertNotIn(TEAM_COLLEAGUE, [p["address"]
                                          for p in full["participants"]])
        self.assertEqual(full["last_message_from"], CUSTOMER)

        # The customer writes again: the team is not told.
        self.append(mail(SHIPPER, DESK, f"Re: [{num}] Pallet crushed",
                         "Any news?"))
        self.once()
        self.step(table, "4 customer writes again", self.rcpts())

        # The customer Ccs the team: it never becomes a participant (it
        # would get the customer's thread, and block escalations).
        self.append(mail(SHIPPER, DESK, f"Re: [{num}] Pallet crushed",
                         "Adding your partner.", cc=OUTSIDE))
        self.once()
        self.step(table, "4b customer Ccs the team", self.rcpts())
        self.assertNotIn(OUTSIDE, [p["address"] for p in
                                   self.ctl("show", num)["participants"]])

        # A forged From of the team with only the case tag: not the
        # team's (unverified, answers nothing internal): held.
        self.append(mail(OUTSIDE, DESK, f"Re: [{num}] x",
                         "Team here: please wire the refund to IBAN XX00."))
        self.once()
        self.step(table, "4c forged team From, no refs", self.rcpts())
        (held,) = self.ctl("review")
        self.assertEqual(held["state"], "held")
        self.assertIn(f"{OUTSIDE} is not on case", held["reason"])

        # The agent writes to the team again on the sub-thread.
        self.ctl("--as", SENDER, "escalate", num, "--text",
                 "Please send the claim number.", json_out=False)
        self.once()
        self.step(table, "5 agent writes to the team", self.rcpts())

        # The agent forwards the team's answer to the customer.
        self.ctl("--as", SENDER, "forward", team_msgs[0]["message_id"],
                 "--text", "Our partner says:", json_out=False)
        self.once()
        got = self.step(table, "6 agent forwards the answer", self.rcpts())
        self.assertIn("a claim is open",
                      got[CUSTOMER][0].get_body().get_content())
        self.print_table(table)

        want = [
            ("1 customer opens the case", [1, 0, 0, 0, 0]),
            ("2 agent escalates", [0, 0, 1, 1, 1]),
            ("3 outside team replies", [0, 0, 1, 0, 1]),
            ("3b a team colleague replies", [0, 0, 1, 0, 1]),
            ("4 customer writes again", [0, 1, 1, 0, 1]),
            ("4b customer Ccs the team", [0, 1, 1, 0, 1]),
            ("4c forged team From, no refs", [0, 0, 0, 0, 0]),
            ("5 agent writes to the team", [0, 0, 1, 1, 1]),
            ("6 agent forwards the answer", [1, 1, 1, 0, 1]),
        ]
        self.assertEqual([(n, [r[w] for w, _ in PARTIES])
                          for n, r in table], want)
        whats = [e["what"] for e in self.ctl("history", num)]
        self.assertIn("outside team", whats)
        self.assertIn("withheld", whats)
        self.assertIn("forwarded", whats)

    def test_escalation_to_a_named_team_only(self):
        """--to names another team; a template's own Cc of an outside
        address (here a customer's colleague as a watcher) is withheld."""
        num = self.ctl("--as", SENDER, "create", "--subject", "Lost parcel",
                       "--caller-name", "Rita Meyer", "--caller-company",
                       "Meyer GmbH", "--caller-phone", "+49 30 1234",
                       "--caller-email", "rita@meyer.test")["number"]
        self.ctl("--as", SENDER, "watch", num, "--user",
                 "colleague@acme.test", json_out=False)
        # The team must not be one of the case's people.
        err = self.ctl("--as", SENDER, "escalate", num, "--to",
                       "rita@meyer.test", "--set", "issue=x", expect=2)
        self.assertIn("participant", err)
        self.ctl("--as", SENDER, "escalate", num, "--to",
                 "tier2@partner.test", "--set", "issue=Parcel lost",
                 json_out=False)
        self.once()
        got = self.rcpts()
        self.assertEqual(sorted(got), ["tier2@partner.test"])
        body = got["tier2@partner.test"][0].get_body().get_content()
        for v in ("Rita Meyer", "Meyer GmbH", "+49 30 1234",
                  "rita@meyer.test"):
            self.assertIn(v, body)
        self.assertEqual(self.ctl("show", num)["outside_team"],
                         ["tier2@partner.test"])


    def test_escalation_refuses_the_caller(self):
        """The case's caller (not a participant: the requester is someone
        else) is the customer: never the outside team."""
        num = self.ctl("--as", SENDER, "create", "--subject", "Lost parcel",
                       "--requester", "ops@meyer.test", "--caller-email",
                       "rita@meyer.test")["number"]
        err = self.ctl("--as", SENDER, "escalate", num, "--to",
                       "rita@meyer.test", "--set", "issue=x", "--set",
                       "company=Meyer", "--set", "phone=+49 1", "--set",
                       "name=Rita Meyer", expect=2)
        self.assertIn("rita@meyer.test is the case's caller", err)
        self.once()
        self.assertEqual(self.rcpts(), {})
        self.assertEqual(self.ctl("show", num)["outside_team"], [])

    def test_in_house_tier2(self):
        """An escalation address inside organization_domains: its verified
        replies are internal too (by the thread, and by its recorded
        address), never sent to the customer or the carrier."""
        self.write_conf(team=TIER2)
        self.append(mail(SHIPPER, DESK, "Pallet crushed", "Crushed."))
        self.once()
        (c,) = self.ctl("list", "--view", "all")
        num = c["number"]
        self.ctl("--as", SENDER, "assign", num, "--owner", CARRIER_OWNER,
                 "--side", "carrier", json_out=False)
        self.rcpts()
        self.ctl("--as", SENDER, "escalate", num, "--set", "company=Acme",
                 "--set", "phone=+31 20 555", "--set", "issue=crushed",
                 json_out=False)
        self.once()
        got = self.rcpts()
        self.assertEqual(sorted(got), [TIER2])
        esc = got[TIER2][0]
        self.assertEqual(self.ctl("show", num)["outside_team"], [TIER2])
        self.append(verified(mail(TIER2, DESK, f"Re: {esc['Subject']}",
                                  "Tier 2: refund approved internally.",
                                  in_reply_to=esc["Message-ID"])))
        self.append(verified(mail(TIER2, DESK, f"Re: [{num}] more",
                                  "Tier 2 again, by the tag only.")))
        self.once()
        got = self.rcpts()
        self.assertNotIn(CUSTOMER, got)
        self.assertNotIn(CARRIER_OWNER, got)
        full = self.ctl("show", num, "--full")
        tier2 = [m for m in full["messages"]
                 if m["from"]["address"] == TIER2]
        self.assertEqual([m["internal"] for m in tier2], [True, True])
        self.assertNotIn(TIER2, [p["address"]
                                 for p in full["participants"]])
        self.assertEqual(full["last_message_from"], CUSTOMER)


class TestRequester(Desk):
    def test_phone_case_answered_with_update(self):
        num = self.ctl("--as", AGENT, "create", "--subject",
                       "Phone: delivery late", "--caller-name", "Rita Meyer",
                       "--caller-phone", "+49 30 1234", "--caller-email",
                       "rita@meyer.test")["number"]
        case = self.ctl("show", num)
        self.assertEqual(case["requester"]["address"], "rita@meyer.test")
        self.assertEqual(case["caller"]["phone"], "+49 30 1234")
        self.ctl("--as", AGENT, "reply", num, "--template", "update",
                 json_out=False)
        self.once()
        got = self.rcpts()
        self.assertEqual(sorted(got), ["rita@meyer.test"])
        self.assertIn("Hello Rita Meyer", got["rita@meyer.test"][0]
                      .get_body().get_content())
        # The requester changes: resolve goes to the new one.
        self.ctl("--as", AGENT, "set", num, "--requester", "ops@meyer.test",
                 "--requester-name", "Meyer Ops", json_out=False)
        self.ctl("--as", AGENT, "reply", num, "--template", "resolve",
                 json_out=False)
        self.once()
        got = self.rcpts()
        self.assertIn("ops@meyer.test", got)
        self.assertIn("Hello Meyer Ops",
                      got["ops@meyer.test"][0].get_body().get_content())
        whats = [e["what"] for e in self.ctl("history", num)]
        self.assertIn("requester", whats)

    def test_mail_command_names_the_recipient(self):
        num = self.ctl("--as", AGENT, "create", "--subject",
                       "Phone: wrong address")["number"]
        # No requester: /update without to: is refused, with it it goes.
        self.append(verified(mail(f"Anna <{AGENT}>", DESK, f"[{num}]",
                                  "/update\n")))
        self.once()
        self.assertEqual(self.rcpts(), {})
        self.assertIn("command refused",
                      [e["what"] for e in self.ctl("history", num)])
        self.append(verified(mail(f"Anna <{AGENT}>", DESK, f"[{num}]",
                                  "/update\nto: caller@shop.test\n"
                                  "note: the driver will call\n")))
        self.once()
        got = self.rcpts()
        self.assertEqual(sorted(got), ["caller@shop.test"])
        self.assertIn("the driver will call",
                      got["caller@shop.test"][0].get_body().get_content())

    def test_escalation_by_mail_command(self):
        num = self.ctl("--as", AGENT, "create", "--subject", "Phone: x",
                       "--caller-name", "Rita Meyer", "--caller-email",
                       "rita@meyer.test")["number"]
        fields = "issue: lost\nphone: +49 1\ncompany: Meyer\n"
        # The customer named as the team: refused, nothing is sent.
        self.append(verified(mail(f"Anna <{AGENT}>", DESK, f"[{num}]",
                                  "/escalation\nto: rita@meyer.test\n" +
                                  fields)))
        self.once()
        self.assertEqual(self.rcpts(), {})
        self.assertIn("command refused",
                      [e["what"] for e in self.ctl("history", num)])
        self.append(verified(mail(f"Anna <{AGENT}>", DESK, f"[{num}]",
                                  "/escalation\nto: tier3@partner.test\n" +
                                  fields)))
        self.once()
        got = self.rcpts()
        self.assertEqual(sorted(got), ["tier3@partner.test"])
        self.assertIn("Rita Meyer", got["tier3@partner.test"][0]
                      .get_body().get_content())

    def test_bad_contact_is_refused(self):
        err = self.ctl("--as", AGENT, "create", "--subject", "x",
                       "--requester", "not an address", expect=2)
        self.assertIn("requester", err)
        err = self.ctl("--as", AGENT, "create", "--subject", "x",
                       "--caller-phone", "1" * 201, expect=2)
        self.assertIn("caller phone", err)


class TestOwnership(Desk):
    def test_creator_owns_and_sides(self):
        # Two sides: the agent's side must be known or given.
        num = self.ctl("--as", AGENT, "create", "--subject", "a",
                       "--side", "shipper")["number"]
        owners = self.ctl("show", num)["owners"]
        self.assertEqual([(o["address"], o["side"]) for o in owners],
                         [(AGENT, "shipper")])
        # Known now: the next case needs no --side.
        num = self.ctl("--as", AGENT, "create", "--subject", "b")["number"]
        self.assertEqual(len(self.ctl("show", num)["owners"]), 1)
        # creator_owns = no.
        self.write_conf("creator_owns = no\n")
        num = self.ctl("--as", AGENT, "create", "--subject", "c")["number"]
        self.assertEqual(self.ctl("show", num)["owners"], [])
        # One owner per case.
        self.write_conf("sides = none\n")
        num = self.ctl("--as", SENDER, "create", "--subject", "d")["number"]
        owners = self.ctl("show", num)["owners"]
        self.assertEqual([(o["address"], o["side"]) for o in owners],
                         [(SENDER, "desk")])
        err = self.ctl("assign", num, "--owner", AGENT, expect=1)
        self.assertIn("already has", err)
        err = self.ctl("assign", num, "--owner", AGENT, "--side", "carrier",
                       expect=2)
        self.assertIn("sides = none", err)
        self.ctl("unassign", num, "--owner", SENDER, json_out=False)
        self.ctl("assign", num, "--owner", AGENT, json_out=False)

    def test_desk_lead_digest(self):
        self.write_conf(f"desk_lead = {WATCHER}\ncreator_owns = no\n")
        unowned = self.ctl("create", "--subject", "Nobody's")["number"]
        owned = self.ctl("create", "--subject", "Anna's")["number"]
        self.ctl("assign", owned, "--owner", AGENT, "--side", "shipper",
                 json_out=False)
        late = self.ctl("create", "--subject", "Late one", "--follow-up",
                        "2020-01-01")["number"]
        self.ctl("assign", late, "--owner", AGENT, "--side", "shipper",
                 json_out=False)
        p = harness.subprocess.run(
            [harness.CASEMAILD, "-c", self.conf, "digest"],
            capture_output=True, text=True, env=self.env, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        got = self.rcpts()
        lead = got[WATCHER][0].get_body().get_content()
        self.assertIn(unowned, lead)
        self.assertIn(late, lead)
        self.assertNotIn(owned, lead)
        self.assertIn("Nobody owns these yet", lead)
        self.assertIn(late, got[AGENT][0].get_body().get_content())


def main():
    global DOVECOT
    if not harness.take_args("usage: test_desk.py CASEMAILD CASECTL "
                             "TEMPLATES", 3):
        return 2
    with harness.dovecot_for_run("casemail-desk-imap.") as DOVECOT:
        return harness.unittest_main()


if __name__ == "__main__":
    sys.exit(main())
