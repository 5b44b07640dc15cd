#!/usr/bin/python3
"""casectl end to end: the real binary on temporary stores.

Usage: test_casectl.py PATH/TO/casectl

Each test gets a fresh directory with its own casemail.conf and store, runs
casectl as a subprocess and checks its output, its JSON and its exit status
(the sysexits-style codes documented in casectl(1)).  Only the standard
library is used so the test runs on a bare Debian 12.
"""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import unittest

CASECTL = None

CONF = """[case]
address = cases@desk.example
organization_domains = desk.example
[store]
database = cases.db
attachments = attachments
busy_timeout_ms = 200
"""

EX_USAGE, EX_DATAERR, EX_SOFTWARE = 2, 65, 70
EX_IOERR, EX_TEMPFAIL, EX_CONFIG = 74, 75, 78


class Desk(unittest.TestCase):
    """A temporary case desk: config + store in a private directory."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="casectl-test.")
        self.conf = os.path.join(self.dir, "casemail.conf")
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(CONF)
        self.env = dict(os.environ)
        self.env.pop("CASEMAIL_CONFIG", None)
        self.env["CASEMAIL_USER"] = "anna@desk.example"
        self.env["TZ"] = "UTC"
        self.env.pop("CASEMAIL_NOW", None)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def run_ctl(self, *args, conf=True, env=None, preexec=None):
        argv = [CASECTL]
        if conf:
            argv += ["-c", self.conf]
        argv += list(args)
        e = dict(self.env)
        if env:
            e.update(env)
        p = subprocess.run(argv, capture_output=True, text=True, env=e,
                           timeout=60, preexec_fn=preexec)
        return p.returncode, p.stdout, p.stderr

    def ok(self, *args, **kw):
        rc, out, err = self.run_ctl(*args, **kw)
        self.assertEqual(rc, 0, f"casectl {' '.join(args)}: rc={rc} {err}")
        return out

    def fails(self, code, *args, **kw):
        rc, out, err = self.run_ctl(*args, **kw)
        self.assertEqual(rc, code,
                         f"casectl {' '.join(args)}: rc={rc} out={out} err={err}")
        # One clear line on stderr, never a silent failure.
        self.assertTrue(err.strip(), "an error must say why")
        return err

    def js(self, *args, **kw):
        return json.loads(self.ok("--json", *args, **kw))

    def create(self, subject, *args, **kw):
        out = self.ok("create", "--subject", subject, *args, **kw).strip()
        self.assertRegex(out, r"^[A-Z]+\d+$")
        return out

    def numbers(self, *args, **kw):
        return [c["number"] for c in self.js(*args, **kw)]


class TestCreateShow(Desk):
    def test_create_numbers_are_sequential_and_padded(self):
        self.assertEqual(self.create("first"), "CV000001")
        self.assertEqual(self.create("second"), "CV000002")

    def test_show_all_fields(self):
        n = self.create("Pallet crushed", "--type", "damaged",
                        "--priority", "high", "--kind", "driver",
                        "--source", "api", "--shipment", "1Z999",
                        "--crm-shipper", "SF-1", "--crm-carrier", "FT-2",
                        "--follow-up", "2030-01-02T09:30",
                        "--participant", "Ops@Acme.test")
        c = self.js("show", n)
        self.assertEqual(c["number"], n)
        self.assertEqual(c["subject"], "Pallet crushed")
        self.assertEqual(c["type"], "damaged")
        self.assertEqual(c["priority"], "high")
        self.assertEqual(c["kind"], "driver")
        self.assertEqual(c["source"], "api")
        self.assertEqual(c["shipment"], "1Z999")
        self.assertEqual(c["crm_shipper"], "SF-1")
        self.assertEqual(c["crm_carrier"], "FT-2")
        self.assertEqual(c["follow_up"], "2030-01-02T09:30:00Z")
        self.assertEqual(c["status"], "active")
        self.assertEqual(c["creator"], "anna@desk.example")
        self.assertIsNone(c["solved_at"])
        self.assertEqual([p["address"] for p in c["participants"]],
                         ["ops@acme.test"])
        self.assertEqual(c["events"][0]["what"], "created")
        text = self.ok("show", n)
        self.assertIn("Pallet crushed", text)
        self.assertIn("1Z999", text)

    def test_case_number_forms(self):
        n = self.create("x")
        for form in ("CV000001", "cv1", "CV1", "cv000001"):
            self.assertEqual(self.js("show", form)["number"], n, form)

    def test_unknown_case_is_not_found(self):
        self.create("x")
        err = self.fails(1, "show", "CV000099")
        self.assertIn("CV000099", err)

    def test_default_type_and_priority(self):
        c = self.js("show", self.create("x"))
        self.assertEqual(c["type"], "other")
        self.assertEqual(c["priority"], "normal")
        self.assertEqual(c["kind"], "client")
        self.assertEqual(c["source"], "user")

    def test_configured_types_and_prefix(self):
        with open(self.conf, "a", encoding="utf-8") as f:
            pass
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(CONF.replace("[case]\n",
                                 "[case]\nprefix = TK\ndigits = 4\n"
                                 "types = claim, late\n"))
        self.assertEqual(self.create("x", "--type", "late"), "TK0001")
        self.fails(EX_USAGE, "create", "--subject", "y", "--type", "damaged")


class TestBadInput(Desk):
    def test_usage_errors(self):
        self.fails(EX_USAGE, "create")
        self.fails(EX_USAGE, "create", "--subject", "x", "--type", "bogus")
        self.fails(EX_USAGE, "create", "--subject", "x", "--priority", "max")
        self.fails(EX_USAGE, "create", "--subject", "x", "--follow-up",
                   "next blue moon")
        self.fails(EX_USAGE, "list", "--view", "bogus")
        self.fails(EX_USAGE, "frobnicate")
        self.fails(EX_USAGE, "assign", "CV1")
        self.fails(EX_USAGE, "create", "--subject", "x", "--participant",
                   "not-an-address")

    def test_malformed_case_numbers(self):
        self.create("x")
        for bad in ("XY000001", "CV", "CV12a", "CV-1", "000001", ""):
            err = self.fails(EX_USAGE, "show", bad)
            self.assertIn("case number", err)

    def test_missing_database_directory(self):
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(CONF.replace("database = cases.db",
                                 "database = nowhere/cases.db"))
        err = self.fails(EX_IOERR, "create", "--subject", "x")
        self.assertIn("nowhere", err)

    def test_hostile_text_is_stored_verbatim(self):
        subject = "x'); DROP TABLE cases; -- \u00e9\u4e2d"
        n = self.create(subject)
        self.assertEqual(self.js("show", n)["subject"], subject)
        self.assertEqual(len(self.numbers("list", "--view", "all")), 1)
        # FTS query syntax in user input is data, not syntax.
        self.ok("search", 'DROP" OR *')

    def test_control_characters_refused_in_subject(self):
        self.fails(EX_USAGE, "create", "--subject", "a\nBcc: x@evil.test")

    def test_help(self):
        out = self.ok("--help", conf=False)
        for cmd in ("create", "show", "list", "search", "assign", "unassign",
                    "watch", "unwatch", "note", "solve", "reopen", "set",
                    "history"):
            self.assertIn(cmd, out)
            rc, sub, _ = self.run_ctl(cmd, "--help", conf=False)
            self.assertEqual(rc, 0, cmd)
            self.assertIn("usage: casectl " + cmd, sub)
            rc, sub2, _ = self.run_ctl("help", cmd, conf=False)
            self.assertEqual((rc, sub2), (0, sub), cmd)
        # The general help names the configuration file it would read.
        self.assertRegex(out, r"-c, --config FILE .*else /\S+/casemail/"
                              r"casemail\.conf\)")
        self.assertEqual(self.ok("help", conf=False), out)
        rc, _, err = self.run_ctl("help", "nope", conf=False)
        self.assertEqual(rc, EX_USAGE)
        self.assertIn("unknown command 'nope'", err)


class TestModel(Desk):
    def test_solve_and_reopen_are_audited(self):
        n = self.create("x")
        self.ok("solve", n)
        c = self.js("show", n)
        self.assertEqual(c["status"], "solved")
        self.assertIsNotNone(c["solved_at"])
        self.fails(1, "solve", n)  # already solved
        self.ok("reopen", n)
        c = self.js("show", n)
        self.assertEqual(c["status"], "active")
        self.assertIsNone(c["solved_at"])
        changes = [(e["what"], e["old"], e["new"])
                   for e in self.js("history", n)]
        self.assertIn(("status", "active", "solved"), changes)
        self.assertIn(("status", "solved", "active"), changes)

    def test_one_owner_per_side(self):
        n = self.create("x")
        self.ok("assign", n, "--owner", "anna@desk.example", "--side",
                "shipper")
        self.ok("assign", n, "--owner", "disp@trucks.test", "--side",
                "carrier")
        err = self.fails(1, "assign", n, "--owner", "other@trucks.test",
                         "--side", "carrier")
        self.assertIn("carrier", err)
        owners = {o["side"]: o["address"] for o in self.js("show", n)["owners"]}
        self.assertEqual(owners, {"shipper": "anna@desk.example",
                                  "carrier": "disp@trucks.test"})
        self.ok("unassign", n, "--side", "carrier")
        self.ok("assign", n, "--owner", "other@trucks.test", "--side",
                "carrier")
        owners = {o["side"]: o["address"] for o in self.js("show", n)["owners"]}
        self.assertEqual(owners["carrier"], "other@trucks.test")

    def test_watch_note_set_history(self):
        n = self.create("x")
        self.ok("watch", n, "--user", "lead@desk.example")
        self.ok("watch", n)  # the acting agent
        watchers = sorted(w["address"] for w in self.js("show", n)["watchers"])
        self.assertEqual(watchers, ["anna@desk.example", "lead@desk.example"])
        self.ok("unwatch", n, "--user", "lead@desk.example")
        self.ok("note", n, "Asked", "the", "carrier", "for", "the", "POD")
        self.ok("set", n, "--priority", "urgent", "--shipment", "ABC123")
        c = self.js("show", n)
        self.assertEqual(c["priority"], "urgent")
        self.assertEqual(c["shipment"], "ABC123")
        self.assertEqual([w["address"] for w in c["watchers"]],
                         ["anna@desk.example"])
        self.assertEqual(len(c["messages"]), 1)
        whats = [e["what"] for e in self.js("history", n)]
        for w in ("created", "watcher", "note", "priority", "shipment"):
            self.assertIn(w, whats)
        self.ok("set", n, "--shipment", "")
        self.assertIsNone(self.js("show", n)["shipment"])

    def test_actor_defaults_to_login_name(self):
        n = self.create("x")
        self.ok("note", n, "hi", env={"CASEMAIL_USER": ""})
        actor = self.js("history", n)[-1]["actor"]
        self.assertTrue(actor.startswith("cli:"), actor)


class TestViews(Desk):
    def setUp(self):
        super().setUp()
        self.a = self.create("Crushed pallet Rotterdam", "--type", "damaged",
                             "--shipment", "SHIP-1", "--crm-shipper",
                             "SF-77", "--follow-up", "-2h")
        self.b = self.create("Where is order 4471", "--type", "wismo",
                             "--follow-up", "+3d")
        self.c = self.create("Refused at the gate", "--type", "refused",
                             "--priority", "urgent")
        self.ok("assign", self.a, "--owner", "anna@desk.example", "--side",
                "shipper")
        self.ok("watch", self.b, "--user", "anna@desk.example")
        self.ok("assign", self.c, "--owner", "bob@desk.example", "--side",
                "shipper")
        self.ok("solve", self.c)

    def test_views(self):
        self.assertEqual(sorted(self.numbers("list")), [self.a, self.b])
        self.assertEqual(sorted(self.numbers("list", "--view", "all")),
                         [self.a, self.b, self.c])
        self.assertEqual(self.numbers("list", "--view", "mine"), [self.a])
        # mine and watched hold Active cases unless --status says otherwise
        self.assertEqual(self.numbers("list", "--view", "mine", "--as",
                                      "bob@desk.example"), [])
        self.assertEqual(self.numbers("list", "--view", "mine", "--as",
                                      "bob@desk.example", "--status",
                                      "solved"), [self.c])
        self.assertEqual(self.numbers("list", "--view", "watched"), [self.b])
        self.assertEqual(self.numbers("list", "--view", "new"), [self.b])
        self.assertEqual(self.numbers("list", "--view", "overdue"), [self.a])

    def test_filters(self):
        self.assertEqual(self.numbers("list", "--view", "all", "--status",
                                      "solved"), [self.c])
        self.assertEqual(self.numbers("list", "--view", "all", "--type",
                                      "wismo"), [self.b])
        self.assertEqual(self.numbers("list", "--view", "all", "--priority",
                                      "urgent"), [self.c])
        # Filters take any letter case, as create and set do.
        self.assertEqual(self.numbers("list", "--view", "all", "--priority",
                                      "URGENT", "--type", "Refused"),
                         [self.c])
        self.assertEqual(self.numbers("list", "--view", "all", "--owner",
                                      "bob@desk.example"), [self.c])
        self.assertEqual(self.numbers("list", "--view", "all", "--shipment",
                                      "SHIP-1"), [self.a])
        self.assertEqual(self.numbers("list", "--view", "all", "--crm",
                                      "SF-77"), [self.a])
        self.assertEqual(len(self.numbers("list", "--view", "all",
                                          "--limit", "2")), 2)
        self.assertEqual(self.numbers("list", "--view", "all",
                                      "--created-until", "2000-01-01"), [])
        self.assertEqual(len(self.numbers("list", "--view", "all",
                                          "--created-since", "-1h")), 3)

    def test_search(self):
        self.assertEqual(self.numbers("search", "rotterdam"), [self.a])
        self.assertEqual(self.numbers("search", "crush"), [self.a])  # prefix
        self.assertEqual(self.numbers("search", "SHIP-1"), [self.a])
        self.assertEqual(self.numbers("search", "SF-77"), [self.a])
        self.assertEqual(self.numbers("search", "gate", "--status",
                                      "active"), [])
        self.ok("note", self.b, "The consignee moved to Hoofddorp")
        self.assertEqual(self.numbers("search", "hoofddorp"), [self.b])
        self.assertEqual(self.numbers("search", "nothingmatches"), [])

    def test_text_list(self):
        out = self.ok("list", "--view", "all")
        self.assertEqual(len(out.strip().splitlines()), 3)
        self.assertIn("Refused at the gate", out)


class TestConfigErrors(Desk):
    def write(self, text):
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(text)

    def test_missing_file(self):
        err = self.fails(EX_CONFIG, "-c", os.path.join(self.dir, "nope"),
                         "list", conf=False)
        self.assertIn("nope", err)

    def test_unknown_key_names_file_group_key(self):
        self.write(CONF + "colour = blue\n")
        err = self.fails(EX_CONFIG, "list")
        self.assertIn(self.conf, err)
        self.assertIn("[store]", err)
        self.assertIn("colour", err)

    def test_unknown_group(self):
        self.write(CONF + "[weird]\nx = 1\n")
        err = self.fails(EX_CONFIG, "list")
        self.assertIn("weird", err)

    def test_bad_value(self):
        self.write(CONF.replace("[case]\n", "[case]\ndigits = many\n"))
        err = self.fails(EX_CONFIG, "list")
        self.assertIn("digits", err)

    def test_bad_escape_is_an_error(self):
        self.write(CONF.replace("[case]\n", "[case]\nprefix = C\\qV\n"))
        err = self.fails(EX_CONFIG, "list")
        self.assertIn("prefix", err)

    def test_control_characters_in_strings(self):
        self.write(CONF + "[imap]\nmailbox = IN\\nBOX\n")
        err = self.fails(EX_CONFIG, "list")
        self.assertIn("mailbox", err)

    def test_env_config(self):
        n = self.create("x")
        rc, out, _ = self.run_ctl("--json", "list", conf=False,
                                  env={"CASEMAIL_CONFIG": self.conf})
        self.assertEqual(rc, 0)
        self.assertEqual([c["number"] for c in json.loads(out)], [n])

    def test_relative_paths_resolve_against_config(self):
        self.create("x")
        self.assertTrue(os.path.exists(os.path.join(self.dir, "cases.db")))


class TestStoreFailures(Desk):
    def test_busy_store_is_a_temporary_failure(self):
        n = self.create("x")
        db = sqlite3.connect(os.path.join(self.dir, "cases.db"),
                             isolation_level=None)
        try:
            db.execute("BEGIN IMMEDIATE")
            err = self.fails(EX_TEMPFAIL, "note", n, "blocked")
            self.assertIn("busy", err)
        finally:
            db.execute("ROLLBACK")
            db.close()
        self.ok("note", n, "now it works")

    def test_corrupt_store(self):
        path = os.path.join(self.dir, "cases.db")
        with open(path, "wb") as f:
            f.write(b"this is not an sqlite database at all" * 200)
        err = self.fails(EX_IOERR, "list")
        self.assertIn("cases.db", err)

    def test_unwritable_store_dir(self):
        if os.getuid() != 0 or not shutil.which("setpriv"):
            self.skipTest("needs root and setpriv to drop privileges")
        self.create("x")
        os.chmod(self.dir, 0o755)
        os.chmod(self.conf, 0o644)
        for name in os.listdir(self.dir):
            os.chmod(os.path.join(self.dir, name), 0o644)
        # As nobody the store can be read but not written.
        argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                CASECTL, "-c", self.conf]
        p = subprocess.run(argv + ["--json", "list", "--view", "all"],
                           capture_output=True, text=True, env=self.env,
                           timeout=60)
        if p.returncode == 0:
            self.assertEqual(len(json.loads(p.stdout)), 1)
        else:
            # WAL needs a writable directory for its -shm; then reading
            # fails with a clear store error rather than a crash.
            self.assertEqual(p.returncode, EX_IOERR, p.stderr)
        p = subprocess.run(argv + ["note", "CV1", "x"], capture_output=True,
                           text=True, env=self.env, timeout=60)
        self.assertEqual(p.returncode, EX_IOERR, p.stderr)
        self.assertIn("read-only", p.stderr + "cannot open")


def main():
    global CASECTL
    if len(sys.argv) < 2:
        print("usage: test_casectl.py PATH/TO/casectl", file=sys.stderr)
        return 2
    CASECTL = os.path.abspath(sys.argv.pop(1))
    prog = unittest.main(exit=False, verbosity=2)
    return 0 if prog.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
