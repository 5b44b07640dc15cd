#!/usr/bin/python3
"""casectl report, show's due times and list --breaching, end to end.

Usage: test_report.py PATH/TO/casectl

The real binary on a temporary desk (test_casectl.Desk), at fixed times
($CASEMAIL_NOW): the three output forms of report agree with each other
and with the cases made, the service-level lines of show (text and JSON)
and the breaching view.
"""

import csv
import io
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_casectl  # noqa: E402
from test_casectl import Desk, EX_USAGE  # noqa: E402

# Monday 7 December 2026, 00:00 UTC.
MON = 1796601600
H = 3600

SLA = """types = damaged, =sum, other
timezone = UTC
[sla]
first_response = urgent 1h, normal 4h
resolution = urgent 8h, normal 16h
hours = mon-fri 08:00-18:00
"""


class ReportDesk(Desk):
    def setUp(self):
        super().setUp()
        with open(self.conf, encoding="utf-8") as f:
            text = f.read()
        # [case] keys go after its header; [sla] follows at the end.
        text = text.replace("[store]", SLA.split("[sla]")[0] + "[store]")
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(text + "[sla]" + SLA.split("[sla]")[1])

    def at(self, t, *args):
        return self.ok(*args, env={"CASEMAIL_NOW": str(t)})

    def desk(self):
        """Two cases on Monday: one answered in time, one urgent and late."""
        self.at(MON + 8 * H, "create", "--subject", "fine", "--type",
                "other")
        self.at(MON + 9 * H, "note", "--public", "CV000001", "on it")
        self.at(MON + 12 * H, "solve", "CV000001")
        self.at(MON + 10 * H, "create", "--subject", "late", "--type",
                "=sum", "--priority", "urgent")
        self.at(MON + 10 * H, "assign", "CV000002", "--owner",
                "anna@desk.example", "--side", "shipper")


class TestReport(ReportDesk):
    def report(self, *args):
        return self.at(MON + 7 * 24 * H, "report", "--from",
                       "2026-12-07", "--to", "2026-12-14", *args)

    def test_json(self):
        self.desk()
        r = json.loads(self.report("--json", "--by", "owner"))
        self.assertEqual(r["by"], "owner")
        self.assertEqual(r["from"], "2026-12-07T00:00:00Z")
        self.assertEqual(r["total"]["cases"], 2)
        self.assertEqual(r["total"]["solved"], 1)
        fr = r["total"]["first_response"]
        self.assertEqual((fr["n"], fr["median_secs"], fr["p90_secs"]),
                         (1, H, H))
        self.assertEqual((fr["with_target"], fr["met"]), (2, 1))
        self.assertEqual(r["total"]["resolution"]["median_secs"], 4 * H)
        keys = {g["key"]: g["cases"] for g in r["groups"]}
        self.assertEqual(keys, {"anna@desk.example": 1, "(none)": 1})
        self.assertEqual(len(r["backlog"]), 7)
        self.assertEqual(r["backlog"][0]["open"], 1)
        self.assertEqual(r["backlog"][0]["age_0_1d"], 1)
        self.assertEqual({c["key"]: c["cases"] for c in r["by_type"]},
                         {"other": 1, "=sum": 1})
        self.assertEqual(r["load"][0],
                         {"owner": "anna@desk.example", "active": 1,
                          "created": 1, "solved": 0})

    def test_csv_matches_json(self):
        self.desk()
        r = json.loads(self.report("--json"))
        text = self.report("--csv")
        sections = [s for s in text.split("\n\n") if s.strip()]
        self.assertEqual(len(sections), 4)
        times = list(csv.DictReader(io.StringIO(sections[0])))
        self.assertEqual(times[0]["key"], "(all)")
        self.assertEqual(int(times[0]["cases"]), r["total"]["cases"])
        self.assertEqual(int(times[0]["first_response_median_secs"]),
                         r["total"]["first_response"]["median_secs"])
        backlog = list(csv.DictReader(io.StringIO(sections[1])))
        self.assertEqual([int(b["open"]) for b in backlog],
                         [b["open"] for b in r["backlog"]])
        # A key a spreadsheet would run as a formula stays text.
        self.assertIn("type,\"'=sum\",1", sections[2])

    def test_text_table(self):
        self.desk()
        out = self.report("--by", "priority")
        lines = out.splitlines()
        self.assertTrue(lines[0].startswith(
            "Cases created 2026-12-07T00:00:00Z .. 2026-12-14T00:00:00Z"))
        head = next(l for l in lines if l.startswith("GROUP"))
        total = next(l for l in lines if l.startswith("(all)"))
        # Aligned: the figures end in the header's columns.
        self.assertEqual(len(head.rstrip()), len(total.rstrip()))
        self.assertIn(" 50% 1/2", total)
        self.assertTrue(any(l.startswith("urgent ") for l in lines))
        self.assertIn("BACKLOG at the end of each day", out)
        self.assertIn("LOAD PER OWNER", out)

    def test_periods_and_usage(self):
        self.desk()
        r = json.loads(self.at(MON + 3 * 24 * H, "--json", "report",
                               "--period", "7d"))
        self.assertEqual(r["to"], "2026-12-10T00:00:00Z")
        self.assertEqual(r["total"]["cases"], 2)
        r = json.loads(self.at(MON + 3 * 24 * H, "--json", "report",
                               "--period", "month"))
        self.assertEqual(r["from"], "2026-12-01T00:00:00Z")
        r = json.loads(self.at(MON + 3 * 24 * H, "--json", "report",
                               "--period", "40d"))
        self.assertEqual(r["step_secs"], 7 * 24 * H)
        self.fails(EX_USAGE, "report", "--period", "0d")
        self.fails(EX_USAGE, "report", "--period", "3661d")
        self.fails(EX_USAGE, "report", "--period", "week")
        self.fails(EX_USAGE, "report", "--by", "colour")
        self.fails(EX_USAGE, "report", "--csv", "--json")
        self.fails(EX_USAGE, "report", "--period", "7d", "--from", "today")
        self.fails(EX_USAGE, "report", "--from", "2026-12-14", "--to",
                   "2026-12-07")


class TestDueTimes(ReportDesk):
    def test_show_and_breaching(self):
        self.desk()
        now = str(MON + 12 * H)
        out = self.ok("show", "CV000002", env={"CASEMAIL_NOW": now})
        self.assertIn("first reply:   due 2026-12-07T11:00:00Z, breached "
                      "(2h of 1h business time)", out)
        self.assertIn("resolution:    due 2026-12-07T18:00:00Z, running",
                      out)
        c = self.js("show", "CV000001", env={"CASEMAIL_NOW": now})
        self.assertEqual(c["sla"]["first_response"]["state"], "met")
        self.assertEqual(c["sla"]["first_response"]["used_secs"], H)
        self.assertEqual(c["sla"]["resolution"]["done"],
                         "2026-12-07T12:00:00Z")
        self.assertEqual(self.numbers("list", "--breaching",
                                      env={"CASEMAIL_NOW": now}),
                         ["CV000002"])
        self.assertEqual(self.numbers("list", "--view", "breaching",
                                      env={"CASEMAIL_NOW": now}),
                         ["CV000002"])
        # Ten minutes after creation nothing is due yet.
        early = str(MON + 10 * H + 600)
        self.assertEqual(self.numbers("list", "--breaching",
                                      env={"CASEMAIL_NOW": early}), [])

    def test_no_targets_no_sla(self):
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(test_casectl.CONF)
        self.create("plain")
        self.assertNotIn("sla", self.js("show", "CV000001"))
        self.assertEqual(self.numbers("list", "--breaching"), [])


def main():
    if len(sys.argv) < 2:
        print("usage: test_report.py PATH/TO/casectl", file=sys.stderr)
        return 2
    test_casectl.CASECTL = os.path.abspath(sys.argv.pop(1))
    prog = unittest.main(exit=False, verbosity=2)
    return 0 if prog.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
