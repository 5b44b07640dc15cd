#!/usr/bin/python3
"""Service-level warnings from the running casemaild, across restarts.

Usage: test_sla.py CASEMAILD CASECTL TEMPLATES_DIR

The desk of test_service.py (a private Dovecot and SMTP receiver on
127.0.0.1) with a 30-second first-response target around the clock: the
owner and the desk lead get exactly one warning before the breach and one
at it, though casemaild is stopped and started again between them and
after them.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_service  # noqa: E402

SLA = """[sla]
first_response = urgent 30s
resolution = urgent 1h
hours =
warn_before = 15
check_interval = 1
"""


class TestSlaWarnings(test_service.Service):
    def write_conf(self, extra_case="", broken=False):
        self.write_desk_conf(
            case=f"templates = {harness.TEMPLATES}\ndigest_hour = 23\n"
            "timezone = UTC\ndesk_lead = lead@desk.example\n" + extra_case,
            imap_port=self.dovecot.port, imap="idle = yes",
            smtp_port=self.sink.port, smtp="retry_min = 1", tail=SLA)

    def mails(self):
        return self.sink.envelopes()

    def subjects(self):
        return [harness.eml_of(j).split(b"\nSubject: ", 1)[1]
                .split(b"\n", 1)[0].decode() for j in self.mails()]

    def test_one_before_one_at_across_restarts(self):
        number = self.ctl("create", "--subject", "Pallet", "--priority",
                          "urgent", json_out=False).strip()
        self.ctl("assign", number, "--owner", "o1@desk.example", "--side",
                 "shipper", json_out=False)
        created = time.time()
        self.start()
        # Before: from 15 s on (owner and desk lead).
        self.assertTrue(self.wait(lambda: len(self.mails()) == 2, 40),
                        self.logtext())
        self.assertLess(time.time() - created, 31, "the early warning "
                        "came only after the breach")
        self.stop()
        self.assertTrue(all("due soon" in s for s in self.subjects()))
        self.start()
        self.assertTrue(self.wait(lambda: len(self.mails()) == 4, 40),
                        self.logtext())
        self.stop()
        self.start()
        time.sleep(7)  # several looks at the case
        self.stop()
        got = [harness.read_json(j) for j in self.mails()]
        self.assertEqual(len(got), 4, self.subjects())
        self.assertEqual(sorted(r for g in got for r in g["rcpt_tos"]),
                         ["lead@desk.example"] * 2 + ["o1@desk.example"] * 2)
        self.assertEqual(sum("breached" in s for s in self.subjects()), 2)
        rows = self.db().execute("SELECT target, stage FROM sla_warnings "
                                 "ORDER BY stage").fetchall()
        self.assertEqual(rows, [("first_response", "at"),
                                ("first_response", "before")])
        history = self.ctl("history", number)
        self.assertEqual(sum(e["what"] == "sla warning" for e in history), 2)


def main():
    if not harness.take_args(__doc__, 3):
        return 2
    return harness.unittest_main()


if __name__ == "__main__":
    sys.exit(main())
