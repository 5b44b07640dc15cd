#!/usr/bin/python3
"""casectl end to end, issue 15: agents as people, the desk's time zone and
an admin's first hour (empty listings, a missing configuration, a store the
user may not open).

Usage: test_casectl_agents.py PATH/TO/casectl

Uses the temporary desks of test_casectl.py.
"""

import email
import email.policy
import os
import shutil
import sqlite3
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_casectl  # noqa: E402
from test_casectl import CONF, Desk  # noqa: E402

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                         "..", "..", "templates")
EX_USAGE, EX_IOERR, EX_CONFIG = 2, 74, 78
NOW = "1795953600"   # 2026-11-29T12:00:00Z


class AgentDesk(Desk):
    def setUp(self):
        super().setUp()
        self.env["CASEMAIL_NOW"] = NOW

    def write_conf(self, case_lines=""):
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(CONF.replace("[case]\n", "[case]\n" + case_lines))

    def signature(self, data):
        path = os.path.join(self.dir, "sig.txt")
        with open(path, "wb") as f:
            f.write(data)
        return path

    def outbox_mails(self):
        db = sqlite3.connect(os.path.join(self.dir, "cases.db"))
        try:
            rows = db.execute("SELECT raw FROM outbox ORDER BY id").fetchall()
        finally:
            db.close()
        return [email.message_from_bytes(raw, policy=email.policy.default)
                for (raw,) in rows]


class TestAgents(AgentDesk):
    def test_add_list_set_remove(self):
        self.assertEqual(self.ok("agent", "list"),
                         "no agents (casectl agent add EMAIL --name NAME)\n")
        self.assertEqual(self.js("agent", "list"), [])
        sig = self.signature(b"Anna Agent\r\nShipper desk, ext. 12\r\n\r\n")
        a = self.js("agent", "add", "Anna@Desk.example", "--name",
                    "Anna Agent", "--signature-file", sig)
        self.assertEqual(a, {"address": "anna@desk.example",
                             "name": "Anna Agent",
                             "signature": "Anna Agent\nShipper desk, ext. 12",
                             "disabled": False,
                             "created": "2026-11-29T12:00:00Z"})
        err = self.fails(1, "agent", "add", "anna@desk.example", "--name",
                         "Anna again")
        self.assertIn("registered already", err)
        text = self.ok("agent", "list")
        self.assertIn("anna@desk.example  Anna Agent\n", text)
        self.assertIn("    Shipper desk, ext. 12\n", text)
        a = self.js("agent", "set", "anna@desk.example", "--name", "Anna A.",
                    "--no-signature")
        self.assertEqual((a["name"], a["signature"]), ("Anna A.", None))
        self.assertTrue(self.js("agent", "set", "anna@desk.example",
                                "--disable")["disabled"])
        self.assertIn("(disabled)", self.ok("agent", "list"))
        self.ok("agent", "set", "anna@desk.example", "--enable")
        self.assertEqual(self.ok("agent", "remove", "anna@desk.example"),
                         "removed agent anna@desk.example\n")
        self.fails(1, "agent", "remove", "anna@desk.example")
        self.fails(1, "agent", "set", "anna@desk.example", "--name", "X")

    def test_usage_errors(self):
        self.fails(EX_USAGE, "agent", "add", "anna@desk.example")
        self.fails(EX_USAGE, "agent", "add", "not-an-address", "--name", "X")
        self.fails(EX_USAGE, "agent", "set", "anna@desk.example")
        self.fails(EX_USAGE, "agent", "remove", "anna@desk.example",
                   "--name", "X")
        self.fails(EX_USAGE, "agent", "fire", "anna@desk.example")
        self.fails(EX_USAGE, "agent", "add", "x@desk.example", "--name",
                   "X", "--signature-file", os.path.join(self.dir, "none"))

    def test_names_and_signatures_are_checked(self):
        for bad in ("Anna\nBcc: evil@example.org", "Anna\rAgent", "  ",
                    "x" * 101, "Anna\x1b[2J"):
            err = self.fails(EX_USAGE, "agent", "add", "a@desk.example",
                             "--name", bad)
            self.assertIn("name", err)
        self.ok("agent", "add", "a@desk.example", "--name", "x" * 100)
        for bad in (b"x" * 4097, b"Anna\x1b[2J", b"\xff\xfe", b"a\0b"):
            err = self.fails(EX_USAGE, "agent", "add", "b@desk.example",
                             "--name", "B", "--signature-file",
                             self.signature(bad))
            self.assertIn("signature", err)
        self.ok("agent", "add", "b@desk.example", "--name", "B",
                "--signature-file", self.signature(b"x" * 4096))
        self.assertEqual(len(self.js("agent", "list")), 2)

    def test_as_must_name_a_registered_agent(self):
        # No agents yet: anyone acts, as before.
        self.create("x", env={"CASEMAIL_USER": "bob@desk.example"})
        self.ok("agent", "add", "anna@desk.example", "--name", "Anna Agent")
        # A typo is refused, not a new person on the case.
        err = self.fails(1, "--as", "anan@desk.example", "note", "CV1", "x")
        self.assertIn("anan@desk.example is not a registered agent", err)
        self.fails(1, "list", env={"CASEMAIL_USER": "bob@desk.example"})
        self.ok("--as", "ANNA@desk.example", "note", "CV1", "fine")
        self.ok("note", "CV1", "fine")          # $CASEMAIL_USER is anna
        # The agent command is the administrator's, whoever runs it.
        self.ok("--as", "bob@desk.example", "agent", "add",
                "bob@desk.example", "--name", "Bob")
        self.ok("--as", "bob@desk.example", "note", "CV1", "now bob may")
        self.ok("agent", "set", "bob@desk.example", "--disable")
        err = self.fails(1, "--as", "bob@desk.example", "list")
        self.assertIn("disabled", err)
        # Without --as (and $CASEMAIL_USER) nobody is named: as before.
        self.ok("list", env={"CASEMAIL_USER": ""})

    def test_changes_need_an_agent_once_agents_exist(self):
        # Before any agent is registered, anonymous changes go through.
        nobody = {"CASEMAIL_USER": ""}
        n1 = self.create("one", env=nobody)
        n2 = self.create("two")
        self.ok("agent", "add", "anna@desk.example", "--name", "Anna Agent",
                env=nobody)
        # After that, every change needs --as or $CASEMAIL_USER ...
        for args in (("create", "--subject", "three"), ("note", n1, "x"),
                     ("set", n1, "--priority", "high"), ("solve", n1),
                     ("assign", n1, "--owner", "anna@desk.example",
                      "--side", "shipper"),
                     ("merge", n2, "--into", n1), ("link", n1, n2),
                     ("view", "save", "hot", "--priority", "high")):
            err = self.fails(EX_USAGE, *args, env=nobody)
            self.assertIn("give --as EMAIL or set $CASEMAIL_USER", err)
        self.assertEqual(len(self.js("history", n1)), 1)
        self.assertEqual(len(self.js("list", "--view", "all")), 2)
        # ... while reading still works, and so does naming oneself.
        self.ok("show", n1, env=nobody)
        self.ok("search", "one", env=nobody)
        self.ok("status", env=nobody)
        self.ok("--as", "anna@desk.example", "note", n1, "named", env=nobody)
        self.assertEqual(self.js("history", n1)[-1]["actor"],
                         "anna@desk.example")
        # The agent command stays the administrator's.
        self.ok("agent", "add", "bob@desk.example", "--name", "Bob",
                env=nobody)

    def test_show_gives_agents_their_names(self):
        n = self.create("x")
        self.ok("assign", n, "--owner", "anna@desk.example", "--side",
                "shipper")
        self.ok("watch", n, "--user", "bob@desk.example")
        self.assertIn("owners:        shipper: anna@desk.example\n",
                      self.ok("show", n))
        self.ok("agent", "add", "anna@desk.example", "--name", "Anna Agent")
        self.ok("agent", "add", "bob@desk.example", "--name", "Bob")
        self.ok("agent", "set", "bob@desk.example", "--disable")
        out = self.ok("show", n)
        self.assertIn("owners:        shipper: Anna Agent <anna@desk.example>"
                      "\n", out)
        self.assertIn("watchers:      Bob <bob@desk.example>\n", out)
        c = self.js("show", n)
        self.assertEqual(c["owners"][0]["name"], "Anna Agent")
        self.assertEqual(c["watchers"][0]["name"], "Bob")

    def test_escalate_without_a_team_names_the_key(self):
        self.write_conf(f"templates = {TEMPLATES}\n")
        n = self.create("x")
        err = self.fails(EX_USAGE, "escalate", n, "--text", "help")
        self.assertIn("nobody to send this to (give --to EMAIL, or set "
                      "[case] escalation_address)", err)

    def test_mail_shows_the_name_and_signs(self):
        self.write_conf(f"templates = {TEMPLATES}\ndesk_name = Desk\n")
        n = self.create("Pallet crushed")
        self.ok("agent", "add", "anna@desk.example", "--name",
                "Anna \"The\" Agent, Bcc: evil@example.org", "--signature-file",
                self.signature(b"Anna Agent\nShipper desk\n"))
        self.ok("reply", n, "--text", "The driver is on his way.", "--to",
                "cust@example.com")
        self.ok("agent", "set", "anna@desk.example", "--name", "Anna Agent")
        self.ok("reply", n, "--template", "update", "--to",
                "cust@example.com")
        hostile, update = self.outbox_mails()
        # A hostile name stays a display name: one From, one address, no
        # header of its own.
        self.assertEqual(hostile["From"].addresses[0].display_name,
                         "Anna \"The\" Agent, Bcc: evil@example.org via Desk")
        self.assertEqual(hostile["From"].addresses[0].addr_spec,
                         "cases@desk.example")
        self.assertIsNone(hostile["Bcc"])
        self.assertTrue(hostile.get_content().rstrip("\n").endswith(
            "The driver is on his way.\n\n-- \nAnna Agent\nShipper desk"))
        self.assertEqual(str(update["From"]),
                         "Anna Agent via Desk <cases@desk.example>")
        self.assertIn("Kind regards,\nAnna Agent\nDesk",
                      update.get_content())
        # The case records the registered name on the stored reply.
        text = self.ok("show", n)
        self.assertIn("reply from Anna \"The\" Agent", text)

    def test_template_signature_variable(self):
        tdir = os.path.join(self.dir, "templates")
        os.makedirs(tdir)
        with open(os.path.join(tdir, "signed"), "w", encoding="utf-8") as f:
            f.write("Subject: [{{case.number}}] {{case.subject}}\n"
                    "To: participants\n\nHello.\n\n"
                    "{{#agent.signature}}{{agent.signature}}"
                    "{{/agent.signature}}{{^agent.signature}}"
                    "{{agent.name}} (no signature){{/agent.signature}}\n")
        self.write_conf(f"templates = {tdir}\n")
        n = self.create("x", "--participant", "ops@acme.test")
        out = self.ok("preview", n, "--template", "signed")
        self.assertIn("anna@desk.example (no signature)", out)
        self.ok("agent", "add", "anna@desk.example", "--name", "Anna Agent",
                "--signature-file", self.signature(b"Anna\nThe Desk\n"))
        out = self.ok("preview", n, "--template", "signed")
        self.assertIn("Hello.\n\nAnna\nThe Desk\n", out.replace("\r", ""))


class TestTimezone(AgentDesk):
    def test_desk_zone_in_text_utc_in_json(self):
        self.write_conf("timezone = Europe/Berlin\n")
        n = self.create("x", "--follow-up", "2026-12-01T09:30:00Z")
        self.ok("note", n, "hi")
        self.assertIn("2026-11-29T13:00:00+01:00", self.ok("list"))
        show = self.ok("show", n)
        self.assertIn("follow-up:     2026-12-01T10:30:00+01:00", show)
        self.assertIn("created:       2026-11-29T13:00:00+01:00", show)
        self.assertIn("--- 2026-11-29T13:00:00+01:00 note", show)
        self.assertTrue(self.ok("history", n).startswith(
            "2026-11-29T13:00:00+01:00"))
        c = self.js("show", n)
        self.assertEqual(c["created_at"], "2026-11-29T12:00:00Z")
        self.assertEqual(c["follow_up"], "2026-12-01T09:30:00Z")

    def test_default_is_the_system_zone(self):
        n = self.create("x")
        self.assertIn("2026-11-29T12:00:00Z", self.ok("list"))
        out = self.ok("show", n, env={"TZ": "America/New_York"})
        self.assertIn("created:       2026-11-29T07:00:00-05:00", out)

    def test_unknown_zone_is_a_config_error(self):
        self.write_conf("timezone = Mars/Olympus\n")
        err = self.fails(EX_CONFIG, "list")
        self.assertIn("unknown time zone 'Mars/Olympus'", err)
        self.write_conf("timezone = " + "x" * 65 + "\n")
        self.assertIn("timezone", self.fails(EX_CONFIG, "list"))


class TestFirstHour(AgentDesk):
    def test_empty_listings_say_none(self):
        empty = os.path.join(self.dir, "no-templates")
        os.makedirs(empty)
        self.write_conf(f"templates = {empty}\n")
        self.assertEqual(self.ok("list"), "no cases\n")
        self.assertEqual(self.ok("search", "pallet"), "no cases\n")
        self.assertEqual(self.ok("outbox"),
                         "outbox: none (nothing queued, retrying or "
                         "failed)\n")
        self.assertEqual(self.ok("review"),
                         "review: none (no mail held or failed)\n")
        self.assertEqual(self.ok("templates"), f"no templates in {empty}\n")
        for cmd in ("list", "outbox", "review", "templates"):
            self.assertEqual(self.js(cmd), [], cmd)

    def test_missing_config_says_where_to_start(self):
        err = self.fails(EX_CONFIG, "-c", os.path.join(self.dir, "nope.conf"),
                         "list", conf=False)
        self.assertIn("nope.conf: no such file", err)
        self.assertIn("-c FILE", err)
        self.assertIn("$CASEMAIL_CONFIG", err)
        self.assertIn("casemail.conf.example", err)
        # The default path, named in --help, is the one looked for.
        help_text = self.ok("list", "--help", conf=False)
        default = help_text.split("else ")[1].split(")")[0]
        self.assertTrue(default.endswith("/casemail/casemail.conf"), default)

    def test_permission_error_names_user_and_file(self):
        if os.getuid() != 0 or not shutil.which("setpriv"):
            self.skipTest("needs root and setpriv to drop privileges")
        self.create("x")
        os.chmod(self.conf, 0o644)
        os.chmod(self.dir, 0o700)   # as /var/lib/casemail: 0750
        argv = ["setpriv", "--reuid=65534", "--regid=65534",
                "--clear-groups", test_casectl.CASECTL, "-c", self.conf]
        # The configuration is readable; the store's directory is not.
        os.chmod(self.dir, 0o711)
        p = subprocess.run(argv + ["list"], capture_output=True, text=True,
                           env=self.env, timeout=60)
        self.assertEqual(p.returncode, EX_IOERR, p.stderr)
        self.assertIn("permission denied: user nobody may not use", p.stderr)
        self.assertIn("sudo -u root casectl", p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)


class TestServersAndGrant(AgentDesk):
    """What check, status and oauth status say about servers and the
    OAuth2 grant (no server is contacted)."""

    OAUTH = """[imap]
host = 127.0.0.1
user = cases@desk.example
auth = oauth2
[oauth2]
provider = microsoft
tenant = desk.example
client_id = 00000000-0000-0000-0000-000000000000
refresh_token_file = {dir}/refresh-token
state_file = {dir}/oauth2-state
"""

    def check(self):
        daemon = os.path.join(os.path.dirname(test_casectl.CASECTL),
                              "casemaild")
        p = subprocess.run([daemon, "-c", self.conf, "check"],
                           capture_output=True, text=True, env=self.env,
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stderr

    def test_unconfigured_servers_are_named(self):
        err = self.check()
        self.assertIn("warning: [imap] host not configured: casemaild will "
                      "not fetch mail", err)
        self.assertIn("warning: [smtp] url not configured: replies, "
                      "escalations and notifications stay queued", err)
        out = self.ok("status")
        self.assertIn("imap:               not configured", out)
        self.assertIn("smtp:               not configured (no [smtp] url): "
                      "replies and notifications stay queued\n", out)
        st = self.js("status")
        self.assertEqual((st["imap_configured"], st["smtp_configured"]),
                         (False, False))
        with open(self.conf, "a", encoding="utf-8") as f:
            f.write("[smtp]\nurl = smtp://127.0.0.1:2525\n"
                    "[imap]\nhost = 127.0.0.1\nuser = cases@desk.example\n")
        err = self.check()
        self.assertNotIn("not configured", err)
        self.assertNotIn("not configured", self.ok("status"))
        st = self.js("status")
        self.assertEqual((st["imap_configured"], st["smtp_configured"]),
                         (True, True))
        self.assertEqual(list(st).count("oauth2"), 0)

    def test_grant_shown_as_resolved(self):
        self.assertEqual(self.ok("oauth", "status"),
                         "oauth2: not configured (neither [imap] auth nor "
                         f"[smtp] auth is oauth2 in {self.conf})\n")
        self.assertEqual(self.js("oauth", "status"), {"configured": False})
        with open(self.conf, "a", encoding="utf-8") as f:
            f.write(self.OAUTH.format(dir=self.dir))
        device = "device (default for microsoft without a client_secret_file)"
        self.assertIn(f"grant:         {device}\n", self.ok("oauth", "status"))
        self.assertIn(f"(microsoft, {device})", self.ok("status"))
        err = self.check()
        self.assertIn(f"grant {device}, token endpoint", err)
        self.assertIn("warning: [oauth2] no client_secret_file: using the "
                      "device grant", err)
        secret = os.path.join(self.dir, "client.secret")
        with open(secret, "w", encoding="utf-8") as f:
            f.write("s3cret\n")
        os.chmod(secret, 0o600)
        with open(self.conf, "a", encoding="utf-8") as f:
            f.write(f"client_secret_file = {secret}\n")
        self.assertIn("grant:         client_credentials (default for "
                      "microsoft with a client_secret_file)\n",
                      self.ok("oauth", "status"))
        self.assertNotIn("device grant", self.check())
        with open(self.conf, "a", encoding="utf-8") as f:
            f.write("grant = device\n")
        self.assertIn("grant:         device\n", self.ok("oauth", "status"))
        self.assertNotIn("using the device grant", self.check())


def main():
    if len(sys.argv) < 2:
        print("usage: test_casectl_agents.py PATH/TO/casectl",
              file=sys.stderr)
        return 2
    test_casectl.CASECTL = os.path.abspath(sys.argv.pop(1))
    prog = unittest.main(exit=False, verbosity=2)
    return 0 if prog.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
