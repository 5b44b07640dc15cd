#!/usr/bin/python3
"""The spoofing matrix (issue 12, item 7): forged and hostile mail against
a real Dovecot and a real SMTP receiver, and what each one did.

Usage: test_spoofing.py CASEMAILD CASECTL TEMPLATES_DIR

One desk (organization_domains desk.example, [trust] authserv_ids =
harness.AUTHSERV_ID, DKIM keys of desk.example and evil.test made with
openssl in its dkim_key_file) with case CV000001: the customer Sam opened it by
mail to the carrier Carla, Cc the desk and bob@gmail.com; Anna, an agent,
owns it; a public note went to everyone, so the SMTP receiver holds
real notifications (their signed Message-IDs, signed return paths and
unsubscribe tokens) for the forgeries to misuse.  CV000002 is a second
case of Sam's.

Then one mail at a time is APPENDed to the case mailbox and
`casemaild --once` ingests it and drains the outbox.  Before and after
each, the test reads every case (`casectl --json show`: status, owners,
participants, subscribed, bouncing, messages), the review queue
(`casectl review`), the outbox (`casectl outbox`: nothing may stay
queued), the mail's own record (`casectl trace`) and what the receiver
got, and compares that with the row's expectation.  The matrix is
printed as a table (attack, expected, observed, ok); any row that is
not ok fails the test.  The rows are listed in docs/casemaild.8,
SECURITY.
"""

import base64
import hashlib
import os
import re
import subprocess
import sys
import textwrap

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (AGENT, AUTHSERV_ID, CARRIER, DESK, SHIPPER,  # noqa: E402
                     UNSUB, VERP, dsn, flip, mail, verified)

DOVECOT = None  # the run's harness.Dovecot

SAM = "sam@acme.test"
CARLA = "carla@fasttrucks.test"
BOB = "bob@gmail.com"
CASE = "CV000001"
CASE2 = "CV000002"
SUBJECT = "Pallet crushed on delivery"
ESCALATION = "support@outside.test"


def raw(msg, *authres):
    """msg as CRLF bytes under the given Authentication-Results values,
    the first one topmost."""
    head = "".join(f"Authentication-Results: {a}\r\n" for a in authres)
    return head.encode() + msg.as_bytes(policy=msg.policy.clone(
        linesep="\r\n"))


def dkim_key(dir, selector, domain):
    """A new RSA key (openssl) for selector._domainkey.domain: its public
    half appended to dir/dkim-keys ([trust] dkim_key_file), the path of
    its private half returned."""
    pem = os.path.join(dir, f"{selector}.{domain}.pem")
    subprocess.run(["openssl", "genrsa", "-out", pem, "1024"], check=True,
                   capture_output=True, timeout=60)
    der = subprocess.run(["openssl", "rsa", "-in", pem, "-pubout",
                          "-outform", "DER"], check=True,
                         capture_output=True, timeout=60).stdout
    with open(os.path.join(dir, "dkim-keys"), "a", encoding="ascii") as f:
        f.write(f"{selector}._domainkey.{domain} v=DKIM1; k=rsa; "
                f"p={base64.b64encode(der).decode()}\n")
    return pem


def relaxed_header(name, value):
    """A header in DKIM's relaxed canonical form (RFC 6376, 3.4.2)."""
    value = re.sub(r"[ \t]+", " ", re.sub(r"\r?\n", "", value)).strip()
    return f"{name.strip().lower()}:{value}"


def dkim_sign(data, pem, selector, domain):
    """data (CRLF bytes) with a DKIM-Signature on top: rsa-sha256,
    relaxed/relaxed, over From, To, Subject, Date and Message-ID."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = [re.sub(rb"[ \t]+", b" ", ln).rstrip(b" \t")
             for ln in body.split(b"\r\n")]
    while lines and lines[-1] == b"":
        lines.pop()
    canon_body = b"".join(ln + b"\r\n" for ln in lines)
    fields = {}
    for f in re.split(r"\r\n(?![ \t])", head.decode()):
        name, _, value = f.partition(":")
        fields.setdefault(name.strip().lower(), value)
    signed = ["from", "to", "subject", "date", "message-id"]
    bh = base64.b64encode(hashlib.sha256(canon_body).digest()).decode()
    sig = (f"v=1; a=rsa-sha256; c=relaxed/relaxed; d={domain}; "
           f"s={selector}; h={':'.join(signed)}; bh={bh}; b=")
    text = "".join(relaxed_header(n, fields[n]) + "\r\n" for n in signed)
    text += relaxed_header("DKIM-Signature", sig)
    b = subprocess.run(["openssl", "dgst", "-sha256", "-sign", pem],
                       input=text.encode(), check=True, capture_output=True,
                       timeout=60).stdout
    return (f"DKIM-Signature: {sig}{base64.b64encode(b).decode()}\r\n"
            .encode() + data)


# What a row expects unless it says otherwise: CV000001 as it was.
DEFAULT = {"verified": False, "status": "active", "owners": [AGENT],
           "messages": 0, "added": [], "unsubscribed": [], "bouncing": [],
           "sent": [], "cases": 0}


def words(items, none="nobody"):
    return ", ".join(items) if items else none


def render(outcome, why, d):
    """One cell of the table: what happened to the mail, the case, its
    people, the outbox and the review queue."""
    return (f"{outcome} ({why}); sender verified: "
            f"{'yes' if d['verified'] else 'no'}; {CASE} {d['status']}, "
            f"owners {words(d['owners'])}, messages +{d['messages']}; "
            f"added: {words(d['added'])}; "
            f"unsubscribed: {words(d['unsubscribed'])}; "
            f"bouncing: {words(d['bouncing'])}; "
            f"sent: {words(d['sent'], 'nothing')}; "
            f"new cases: {d['cases']}; review +{d['review']}")


class Spoofing(harness.DeskTest):
    def setUp(self):
        self.desk_setup("casemail-spoof.")
        self.box = "Spoof"
        self.sink = self.start_sink()
        self.write_desk_conf(case=f"""\
desk_name = Case Desk
escalation_address = {ESCALATION}
templates = {harness.TEMPLATES}
""", imap_port=DOVECOT.port, imap=f"""\
mailbox = {self.box}
processed_mailbox = {self.box}-Processed
review_mailbox = {self.box}-Review
idle = no""", smtp_port=self.sink.port)
        self.imap = DOVECOT.login()
        self.imap.create(self.box)
        self.rows = []

    def tearDown(self):
        self.sink.stop()
        harness.logout(self.imap)
        self.desk_teardown()

    # ---- reading the desk ---------------------------------------------

    def snapshot(self):
        """Every case: status, owners, people {address: subscribed},
        bouncing addresses, number of messages."""
        cases = {}
        for c in self.ctl("list", "--view", "all", "--limit", "0"):
            s = self.ctl("show", c["number"])
            people = s["owners"] + s["watchers"] + s["participants"]
            cases[c["number"]] = {
                "status": s["status"],
                "owners": sorted(o["address"] for o in s["owners"]),
                "people": {p["address"]: p["subscribed"]
                           for p in s["participants"]},
                "bouncing": {p["address"] for p in people
                             if p["bouncing_since"]},
                "messages": len(s["messages"])}
        return cases

    def review_ids(self):
        return {r["id"]: r for r in self.ctl("review")}

    # ---- one row ------------------------------------------------------

    def row(self, attack, data, msgid, expect_outcome, expect_why,
            verdict=(), **expect):
        """APPEND data, run casemaild --once and record the row: the mail
        (found by msgid) must have expect_outcome with every phrase of
        expect_why in its reason or decision record, and the desk must
        have changed as expect says (DEFAULT for the rest)."""
        before, review_before = self.snapshot(), self.review_ids()
        self.append(data)
        self.once()
        after, review_after = self.snapshot(), self.review_ids()
        got = self.sink.received()
        trace = self.ctl("trace", msgid)
        text = f"{trace.get('reason') or ''} | {trace.get('decision') or ''}"
        new_held = [r for i, r in review_after.items()
                    if i not in review_before]
        people_before = {(n, a): s for n, c in before.items()
                         for a, s in c["people"].items()}
        people_after = {(n, a): s for n, c in after.items()
                        for a, s in c["people"].items()}
        observed = {
            "verified": trace.get("sender_verified"),
            "status": after[CASE]["status"],
            "owners": after[CASE]["owners"],
            "messages": after[CASE]["messages"] - before[CASE]["messages"],
            "added": sorted(f"{a} ({n})" for (n, a) in people_after
                            if (n, a) not in people_before),
            "unsubscribed": sorted(f"{a} ({n})" for (n, a), s
                                   in people_before.items()
                                   if s and not people_after.get((n, a))),
            "bouncing": sorted(set().union(*(c["bouncing"]
                                             for c in after.values()))),
            "sent": sorted({r.lower() for e, _ in got for r in e["rcpt_tos"]}),
            "cases": len(after) - len(before),
            "review": len(new_held),
        }
        wanted = dict(DEFAULT, **expect)
        wanted["review"] = 1 if expect_outcome == "held" else 0
        problems = []
        for k in wanted:
            if observed[k] != wanted[k]:
                problems.append(f"{k}: {observed[k]!r} != {wanted[k]!r}")
        state = trace.get("state")
        if state != expect_outcome:
            problems.append(f"outcome {state!r} != {expect_outcome!r}")
        # The sender verdict as casectl trace shows it.
        said = trace.get("sender_verdict") or ""
        if any(w not in said for w in verdict):
            problems.append(f"verdict {said!r} lacks {list(verdict)}")
        if os.environ.get("VERBOSE"):
            print(f"{attack}: verdict: {said}")
        # Held mail: the reason agents see in the review queue; other
        # mail: its record.
        if expect_outcome == "held" and new_held:
            text = new_held[0]["reason"]
        missing = [w for w in expect_why if w not in text]
        if missing:
            problems.append(f"not in the record: {missing}: {text}")
        queued = self.ctl("outbox")
        if queued:
            problems.append(f"left in the outbox: {queued}")
        why = "; ".join(list(expect_why) + list(verdict))
        seen = why if not problems else f"{text[:160]}; verdict: {said}"
        self.rows.append((attack,
                          render(expect_outcome, why, wanted),
                          render(state, seen, observed),
                          not problems, problems))
        return got

    def print_matrix(self):
        widths = (4, 30, 44, 44, 3)
        lines = ["", "SPOOFING MATRIX (issue 12): one row per mail", ""]

        def emit(cells):
            cols = [textwrap.wrap(c, w) or [""] for c, w in zip(cells,
                                                                 widths)]
            for i in range(max(len(c) for c in cols)):
                lines.append(" | ".join(
                    (c[i] if i < len(c) else "").ljust(w)
                    for c, w in zip(cols, widths)).rstrip())

        emit(("#", "attack", "expected", "observed", "ok"))
        lines.append("-+-".join("-" * w for w in widths))
        for n, (attack, exp, obs, ok, problems) in enumerate(self.rows, 1):
            emit((str(n), attack, exp, obs, "ok" if ok else "NO"))
            for p in problems:
                lines.append(f"     ^ {p}")
            lines.append("")
        print("\n".join(lines), flush=True)

    # ---- the matrix ---------------------------------------------------

    def test_matrix(self):
        self.append(mail(SHIPPER, CARRIER, SUBJECT,
                         "The pallet for order 4471 arrived crushed.",
                         cc=f"Case Desk <{DESK}>, Bob <{BOB}>"))
        self.once()
        self.ctl("assign", CASE, "--owner", AGENT, "--side", "shipper",
                 json_out=False)
        self.append(mail(SHIPPER, DESK, "Second pallet", "Also crushed."))
        self.once()
        self.assertEqual(sorted(self.snapshot()), [CASE, CASE2])
        self.sink.received()  # the two acknowledgements
        self.ctl("--as", AGENT, "note", "--public", CASE,
                 "The pallet goes back to the depot on Monday.",
                 json_out=False)
        self.once()
        notes = {e["rcpt_tos"][0].lower(): (e, m) for e, m in self.sink.received()}
        self.assertEqual(sorted(notes), [BOB, CARLA, SAM])
        verp = {r: e["mail_from"] for r, (e, _) in notes.items()}
        for path in verp.values():
            self.assertRegex(path, VERP)
        tokens = {r: UNSUB.match(m["List-Unsubscribe"]).group(2)
                  for r, (_, m) in notes.items()}
        signed_id = notes[BOB][1]["Message-ID"]
        start = self.snapshot()
        self.assertEqual(start[CASE]["people"],
                         {SAM: True, CARLA: True, BOB: True})
        self.assertEqual(start[CASE]["owners"], [AGENT])
        self.assertEqual(start[CASE2]["people"], {SAM: True})

        reply = f"Re: [{CASE}] {SUBJECT}"
        attack = "/resolve\nnote: see http://evil.test/claim\n"
        refused = ["organisation address not proven",
                   "mail command /resolve refused"]
        pass_ = "dmarc=pass header.from=desk.example"

        # 1-3: the attack of issue 12, with no verdict, with a verdict of
        # an untrusted server, with a forged pass under a trusted fail.
        m = mail(f"Anna <{AGENT}>", DESK, reply, attack,
                 cc="attacker@evil.test")
        self.row("forged agent From (anna@desk.example), no verdict: "
                 "/resolve, a note line, Cc attacker@evil.test",
                 raw(m), m["Message-ID"], "held", refused,
                 verdict=["no trusted Authentication-Results"])
        m = mail(f"Anna <{AGENT}>", DESK, reply, attack,
                 cc="attacker@evil.test")
        self.row("forged agent From with Authentication-Results of an "
                 "untrusted authserv-id (evil.test; dmarc=pass)",
                 raw(m, f"evil.test; {pass_}"), m["Message-ID"], "held",
                 refused, verdict=["no trusted Authentication-Results"])
        m = mail(f"Anna <{AGENT}>", DESK, reply, attack,
                 cc="attacker@evil.test")
        self.row("forged agent From: a forged dmarc=pass of the trusted id "
                 "placed below the trusted header that says fail",
                 raw(m, f"{AUTHSERV_ID}; dmarc=fail header.from=desk.example",
                     f"{AUTHSERV_ID}; {pass_}"),
                 m["Message-ID"], "held", refused,
                 verdict=["dmarc=fail header.from=desk.example "
                          f"(Authentication-Results of {AUTHSERV_ID})"])

        # 4: a mail command from an agent address the trusted server did
        # not vouch for (it saw a login, but of another domain's mailbox).
        m = mail("Lead <lead@desk.example>", DESK, f"[{CASE}]",
                 "/escalation\nname: Jo Caller\ncompany: Acme\n"
                 "phone: +31 20 555 0101\nemail: jo@acme.test\n"
                 "issue: Pallet crushed twice\n")
        self.row("mail command /escalation from an unverified agent "
                 "address (trusted header: auth=pass of "
                 "mallory@evil.test)",
                 raw(m, f"{AUTHSERV_ID}; auth=pass "
                        "smtp.auth=mallory@evil.test"),
                 m["Message-ID"], "held",
                 ["organisation address not proven",
                  "mail command /escalation refused"],
                 verdict=["smtp.auth=mallory@evil.test (not of the From "
                          "domain)"])

        # 5: the free-mail domain-mate of Bob.
        m = mail("Mallory <mallory@gmail.com>", DESK, reply,
                 "I am with Bob. Send the refund to me.",
                 cc="eve@evil.test")
        self.row("free-mail domain-mate: mallory@gmail.com while "
                 "bob@gmail.com is on the case, Cc eve@evil.test",
                 raw(m), m["Message-ID"], "held",
                 ["sender mallory@gmail.com is not on case CV000001"])

        # 6: a signed Message-ID (from Bob's copy of the notification)
        # replayed by an outsider with a Cc list and a command.
        m = mail("Eve <eve@outsider.test>", DESK, "Re: your mail",
                 "/resolve\nPlease close this and add my friends.",
                 cc="friend1@evil.test, friend2@evil.test",
                 in_reply_to=signed_id, references=signed_id)
        self.row("replayed signed Message-ID (from Bob's notification) by "
                 "eve@outsider.test, Cc two friends, /resolve",
                 raw(m), m["Message-ID"], "stored",
                 ["a reply by reference (adds nobody, runs no command)",
                  "2 not added as participants"],
                 messages=1, sent=sorted([AGENT, BOB, CARLA, SAM]))

        # 7-8: forged delivery reports.
        self.row("forged DSN to the plain case address naming the owner "
                 "anna@desk.example",
                 dsn(DESK, AGENT, "forged-dsn-1"),
                 "<forged-dsn-1@mx.fasttrucks.test>", "ignored",
                 [f"ignored for {AGENT}"])
        at = len("cases+bounce-") + len(VERP.match(verp[CARLA]).group(1)) + 3
        self.row("forged DSN to Carla's signed return path with one "
                 "character of the token changed",
                 dsn(flip(verp[CARLA], at), CARLA, "forged-dsn-2"),
                 "<forged-dsn-2@mx.fasttrucks.test>", "ignored",
                 [f"ignored for {CARLA}"])

        # 9-10: forged unsubscriptions.
        m = mail(SHIPPER, f"cases+unsubscribe-{CASE.lower()}@desk.example",
                 "unsubscribe", "stop")
        self.row("forged unsubscribe of sam@acme.test: From Sam, to "
                 "cases+unsubscribe-cv000001@ (no token)",
                 raw(m), m["Message-ID"], "ignored", ["has no token"])
        m = mail(SHIPPER, f"cases+unsubscribe-{CASE2.lower()}-{tokens[BOB]}"
                 "@desk.example", "unsubscribe", "stop")
        self.row("forged unsubscribe of Sam from CV000002 with a token made "
                 "for another person (Bob's, for CV000001)",
                 raw(m), m["Message-ID"], "ignored", ["not valid"])

        # 11: a person at another casemail desk (the carrier's) replies;
        # that desk's loop header is not ours.  The owner still hears of
        # it: the forged report of row 7 did not silence her.
        m = mail(CARRIER, DESK, reply, "Our driver confirms the damage.",
                 headers={"X-Casemail-Loop": "desk@fasttrucks.test; id=" +
                          "0123456789abcdef" * 2})
        self.row("mail from another casemail desk (X-Casemail-Loop: "
                 "desk@fasttrucks.test; id=...), a person's reply",
                 raw(m), m["Message-ID"], "stored",
                 [f"threaded by subject tag {CASE}"],
                 messages=1, sent=sorted([AGENT, BOB, SAM]))

        # 12: mailing-list mail.
        m = mail("member@lists.test", "ops@lists.test",
                 "Pallets everywhere", "Chatter.", cc=DESK,
                 headers={"List-Id": "Ops <ops.lists.test>"})
        self.row("mailing-list mail (List-Id) to the desk, new subject",
                 raw(m), m["Message-ID"], "ignored", ["opens no case"])

        # 13-14: DKIM, checked by casemaild itself when no trusted
        # header is there ([trust] dkim_key_file holds the keys).
        evil = dkim_key(self.dir, "s1", "evil.test")
        desk = dkim_key(self.dir, "sel1", "desk.example")
        m = mail(f"Anna <{AGENT}>", DESK, reply, attack,
                 cc="attacker@evil.test")
        self.row("forged agent From with a valid DKIM signature of "
                 "evil.test (not the From domain)",
                 dkim_sign(raw(m), evil, "s1", "evil.test"),
                 m["Message-ID"], "held", refused,
                 verdict=["d=evil.test passed, not aligned"])
        m = mail(f"Anna <{AGENT}>", DESK, reply, "/resolve\n")
        signed = dkim_sign(raw(m), desk, "sel1", "desk.example")
        self.row("the agent's DKIM-signed /resolve, its body changed on "
                 "the way (a note line added after signing)",
                 signed.replace(b"\r\n\r\n/resolve", b"\r\n\r\n/resolve"
                                b"\r\nnote: see http://evil.test/claim"),
                 m["Message-ID"], "held", refused,
                 verdict=["d=desk.example signature verification failed"])

        # Positive controls: what the forgeries imitate does work.  The
        # resolve template goes to the customer, the carrier and Bob
        # (Anna, having written, is now a participant too).
        m = mail(f"Anna <{AGENT}>", DESK, reply,
                 "I checked with the depot.")
        self.row("control: the agent's mail DKIM-signed for desk.example "
                 "(no trusted header): filed",
                 dkim_sign(raw(m), desk, "sel1", "desk.example"),
                 m["Message-ID"], "stored", [],
                 verdict=["verified anna@desk.example", "own DKIM check",
                          "d=desk.example passed"],
                 verified=True, messages=1, sent=sorted([BOB, CARLA, SAM]),
                 added=[f"{AGENT} ({CASE})"])
        m = mail(f"Anna <{AGENT}>", DESK, reply, "/resolve\n")
        self.row("control: the agent's /resolve, vouched for by the "
                 "trusted server (dmarc=pass)",
                 verified(m), m["Message-ID"], "stored", [],
                 verdict=["verified anna@desk.example",
                          f"(Authentication-Results of {AUTHSERV_ID})"],
                 verified=True, status="solved", messages=2,
                 sent=sorted([BOB, CARLA, SAM]))
        self.row("control: Carla's genuine DSN to her signed return path",
                 dsn(verp[CARLA], CARLA, "genuine-dsn"),
                 "<genuine-dsn@mx.fasttrucks.test>", "ignored",
                 [f"{CARLA} marked bouncing"], status="solved",
                 bouncing=[CARLA])

        self.print_matrix()
        self.assertGreaterEqual(len(self.rows), 12)
        bad = [r[0] for r in self.rows if not r[3]]
        self.assertEqual(bad, [], "rows not as expected (see the matrix)")


def main():
    global DOVECOT
    if not harness.take_args("usage: test_spoofing.py CASEMAILD CASECTL "
                             "TEMPLATES", 3):
        return 2
    with harness.dovecot_for_run("casemail-spoof-imap.") as DOVECOT:
        return harness.unittest_main()


if __name__ == "__main__":
    sys.exit(main())
