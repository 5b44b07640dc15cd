#!/usr/bin/python3
"""casectl merge, link, custom fields, filters and saved views, end to end.

Usage: test_casectl_merge.py PATH/TO/casectl

The real casectl on temporary stores (the Desk fixture of
test_casectl.py), with custom fields declared in the configuration.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_casectl  # noqa: E402  (the shared fixture)
from test_casectl import Desk, EX_USAGE  # noqa: E402

FIELDS = """[field.product]
type = choice
choices = Tracking Portal, Billing API
label = Product
[field.due]
type = date
[field.weight]
type = number
[field.driver]
type = text
label = Driver
"""

TEMPLATE = """Subject: [{{case.number}}] {{case.subject}}
To: requester
Description: a test of custom fields

Product: {{case.field.product}}
{{#case.field.driver}}Driver: {{case.field.driver}}
{{/case.field.driver}}{{^case.field.driver}}No driver yet.
{{/case.field.driver}}"""


class MergeDesk(Desk):
    def setUp(self):
        super().setUp()
        tdir = os.path.join(self.dir, "templates")
        os.mkdir(tdir)
        with open(os.path.join(tdir, "fields"), "w", encoding="utf-8") as f:
            f.write(TEMPLATE)
        with open(self.conf, "a", encoding="utf-8") as f:
            f.write("[case]\n")  # GKeyFile merges the group
            f.write("templates = templates\n")
            f.write(FIELDS)

    def numbers(self, *args, **kw):
        return [c["number"]
                for c in self.js("list", "--limit", "0", *args, **kw)]


class TestMerge(MergeDesk):
    def test_merge_moves_and_points(self):
        self.ok("create", "--subject", "Pallet crushed", "--shipment",
                "ORD-1")
        self.ok("create", "--subject", "Pallet crushed again")
        self.ok("note", "CV2", "the carrier called")
        self.ok("watch", "CV2", "--user", "walt@desk.example")
        self.ok("set", "CV2", "--field", "driver=Bob")
        out = self.ok("merge", "CV2", "--into", "CV1")
        self.assertIn("CV000002 merged into CV000001", out)
        one = self.js("show", "CV1")
        self.assertEqual(one["merged_from"], ["CV000002"])
        self.assertEqual([w["address"] for w in one["watchers"]],
                         ["walt@desk.example"])
        self.assertEqual(one["fields"], {"driver": "Bob"})
        self.assertIn("the carrier called",
                      [m["body"] for m in one["messages"]])
        whats = [e["what"] for e in one["events"]]
        self.assertIn("merged from", whats)
        two = self.js("show", "CV2")
        self.assertEqual(two["merged_into"], "CV000001")
        self.assertEqual(two["status"], "solved")
        self.assertEqual(two["messages"], [])
        self.assertIn("merged into:   CV000001", self.ok("show", "CV2"))
        self.assertIn("merged into",
                      [e["what"] for e in self.js("history", "CV2")])

    def test_merge_refusals_and_chain(self):
        for s in ("a", "b", "c"):
            self.ok("create", "--subject", s)
        self.assertIn("itself", self.fails(1, "merge", "CV1", "--into",
                                           "CV1"))
        self.fails(1, "merge", "CV1", "--into", "CV9")
        self.fails(EX_USAGE, "merge", "CV1")
        self.ok("merge", "CV2", "--into", "CV1")
        self.assertIn("already", self.fails(1, "merge", "CV2", "--into",
                                            "CV3"))
        # Into a merged case: the chain is followed to the one standing.
        self.assertIn("CV000003 merged into CV000001",
                      self.ok("merge", "CV3", "--into", "CV2"))
        self.assertIn("merged into it",
                      self.fails(1, "merge", "CV1", "--into", "CV3"))
        # Still everything there, in one piece.
        self.assertEqual(self.js("show", "CV1")["merged_from"],
                         ["CV000002", "CV000003"])

    def test_link_both_ways(self):
        self.ok("create", "--subject", "a")
        self.ok("create", "--subject", "b")
        self.assertIn("linked", self.ok("link", "CV1", "CV2"))
        self.assertIn("already", self.ok("link", "CV2", "CV1"))
        self.assertEqual(self.js("show", "CV1")["links"], ["CV000002"])
        self.assertEqual(self.js("show", "CV2")["links"], ["CV000001"])
        self.assertIn("linked:", self.ok("show", "CV2"))
        self.fails(1, "link", "CV1", "CV1")
        self.assertIn("unlinked", self.ok("unlink", "CV1", "CV2"))
        self.assertEqual(self.js("show", "CV2")["links"], [])

    def test_create_same_shipment(self):
        self.ok("create", "--subject", "a", "--shipment", "ORD-77")
        err = self.fails(1, "create", "--subject", "b", "--shipment",
                         "ord-77")
        self.assertIn("CV000001", err)
        self.assertIn("--force", err)
        self.assertEqual(self.numbers("--view", "all"), ["CV000001"])
        self.ok("create", "--subject", "b", "--shipment", "ord-77",
                "--force")
        self.assertIn("shipment shared",
                      [e["what"] for e in self.js("history", "CV1")])
        # A Solved case's reference is free again.
        self.ok("solve", "CV1")
        self.ok("solve", "CV2")
        self.ok("create", "--subject", "c", "--shipment", "ORD-77")


class TestFields(MergeDesk):
    def test_set_show_find_filter_template(self):
        self.ok("create", "--subject", "a", "--field",
                "product=tracking portal", "--field", "weight=12.5")
        self.ok("create", "--subject", "b")
        self.fails(EX_USAGE, "set", "CV2", "--field", "product=Nope")
        self.fails(EX_USAGE, "set", "CV2", "--field", "due=2026-02-30")
        self.fails(EX_USAGE, "set", "CV2", "--field", "weight=ten")
        err = self.fails(EX_USAGE, "set", "CV2", "--field", "colour=red")
        self.assertIn("product, due, weight, driver", err)
        self.assertIn("1 field changed",
                      self.ok("set", "CV2", "--field", "due=2026-03-01"))
        self.assertEqual(self.js("show", "CV1")["fields"],
                         {"product": "Tracking Portal", "weight": "12.5"})
        self.assertIn("Product:       Tracking Portal", self.ok("show", "CV1"))
        self.assertEqual(self.numbers("--field", "product=TRACKING PORTAL"),
                         ["CV000001"])
        self.assertEqual(self.numbers("--not-field", "product=Tracking Portal"),
                         ["CV000002"])
        self.assertEqual(self.numbers("--field", "due=2026-03-01,2026-03-02"),
                         ["CV000002"])
        found = [c["number"] for c in self.js("search", "tracking portal")]
        self.assertEqual(found, ["CV000001"])
        self.assertIn("fields", self.js("list")[0])
        # Templates: the value, and a section on an unset field.
        out = self.ok("preview", "CV1", "--template", "fields", "--to",
                      "x@example.com")
        self.assertIn("Product: Tracking Portal", out)
        self.assertIn("No driver yet.", out)
        self.ok("set", "CV1", "--field", "driver=Bob D")
        out = self.ok("preview", "CV1", "--template", "fields", "--to",
                      "x@example.com")
        self.assertIn("Driver: Bob D", out)
        # NAME= clears.
        self.ok("set", "CV1", "--field", "driver=")
        self.assertNotIn("driver", self.js("show", "CV1")["fields"])

    def test_bad_field_config(self):
        with open(self.conf, "a", encoding="utf-8") as f:
            f.write("[field.colour]\ntype = colour\n")
        err = self.fails(78, "list")
        self.assertIn("field.colour", err)


class TestFilters(MergeDesk):
    def setUp(self):
        super().setUp()
        self.ok("create", "--subject", "a", "--type", "damaged")
        self.ok("create", "--subject", "b", "--type", "lost")
        self.ok("create", "--subject", "c", "--type", "delayed")
        self.ok("solve", "CV3")
        self.ok("assign", "CV1", "--owner", "anna@desk.example", "--side",
                "shipper")

    def test_several_values(self):
        self.assertEqual(sorted(self.numbers("--status", "active,solved")),
                         ["CV000001", "CV000002", "CV000003"])
        # The same option twice adds values too.
        self.assertEqual(sorted(self.numbers("--status", "active",
                                             "--status", "solved")),
                         ["CV000001", "CV000002", "CV000003"])
        self.assertEqual(sorted(self.numbers("--view", "all", "--type",
                                             "damaged,Delayed")),
                         ["CV000001", "CV000003"])
        self.fails(EX_USAGE, "list", "--status", "active,closed")

    def test_negated(self):
        self.assertEqual(self.numbers("--not-owner", "anna@desk.example"),
                         ["CV000002"])
        self.assertEqual(self.numbers("--view", "all", "--not-type",
                                      "damaged,lost"), ["CV000003"])
        self.assertEqual(self.numbers("--view", "all", "--not-status",
                                      "active"), ["CV000003"])

    def test_latest_by_me(self):
        self.ok("reply", "CV2", "--text", "on it", "--to",
                "c@example.com")
        self.assertEqual(self.numbers("--latest-by-me"), ["CV000002"])
        self.assertEqual(self.numbers("--latest-by-me",
                                      env={"CASEMAIL_USER": "o@desk.example"}),
                         [])
        rc, _, err = self.run_ctl("list", "--latest-by-me",
                                  env={"CASEMAIL_USER": ""})
        self.assertEqual(rc, EX_USAGE, err)

    def test_saved_views(self):
        self.assertIn("no saved views", self.ok("view", "list"))
        self.ok("view", "save", "not-mine", "--view", "all",
                "--not-owner", "anna@desk.example")
        self.assertEqual(sorted(self.numbers("--view", "not-mine")),
                         ["CV000002", "CV000003"])
        # Filters given with the view add to its own.
        self.assertEqual(self.numbers("--view", "not-mine", "--status",
                                      "solved"), ["CV000003"])
        views = self.js("view", "list")
        self.assertEqual(views[0]["name"], "not-mine")
        self.assertEqual(views[0]["args"],
                         ["--view", "all", "--not-owner", "anna@desk.example"])
        self.fails(EX_USAGE, "view", "save", "broken", "--status", "nope")
        self.fails(EX_USAGE, "view", "save", "active", "--status", "active")
        self.fails(EX_USAGE, "view", "save", "x" * 33, "--status", "active")
        self.fails(EX_USAGE, "list", "--view", "nosuch")
        self.ok("view", "delete", "not-mine")
        self.fails(1, "view", "delete", "not-mine")
        self.fails(EX_USAGE, "list", "--view", "not-mine")


def main():
    if len(sys.argv) < 2:
        print("usage: test_casectl_merge.py PATH/TO/casectl",
              file=sys.stderr)
        return 2
    test_casectl.CASECTL = os.path.abspath(sys.argv.pop(1))
    prog = unittest.main(exit=False, verbosity=2)
    return 0 if prog.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
