#!/usr/bin/env python3
"""test_agents.py - agents as people through the real programs (issue 15,
item 6): a registered agent's reply and public note reach the SMTP
receiver From "NAME via DESK", the reply signed; the digest shows times in
the desk's zone ([case] timezone), while casectl --json stays UTC.

usage: test_agents.py PATH/TO/casemaild PATH/TO/casectl PATH/TO/templates
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import AGENT, DESK  # noqa: E402

NOW = 1795953600     # 2026-11-29T12:00:00Z, 13:00 in Berlin
OPS = "ops@acme.test"


class Agents(harness.DeskTest):
    def setUp(self):
        self.desk_setup("casemail-agents-")
        self.env["CASEMAIL_NOW"] = str(NOW)
        self.sink = self.start_sink()
        self.write_desk_conf(case=f"desk_name = Case Desk\n"
                             f"templates = {harness.TEMPLATES}\n"
                             "timezone = Europe/Berlin\n",
                             smtp_port=self.sink.port)
        sig = os.path.join(self.dir, "anna.sig")
        with open(sig, "w", encoding="utf-8") as f:
            f.write("Anna Agent\nShipper desk, ext. 12\n")
        self.ctl("agent", "add", AGENT, "--name", "Anna Agent",
                 "--signature-file", sig)

    def tearDown(self):
        self.sink.stop()
        self.desk_teardown()

    def casemaild(self, *mode):
        p = subprocess.run([harness.CASEMAILD, "-c", self.conf] + list(mode),
                           capture_output=True, text=True, env=self.env,
                           timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_mail_from_an_agent(self):
        number = self.ctl("create", "--subject", "Pallet crushed",
                          "--participant", OPS, json_out=False).strip()
        self.ctl("reply", number, "--text", "The driver is on his way.",
                 "--to", OPS, json_out=False)
        self.ctl("note", number, "--public", "Redelivery on Friday.",
                 json_out=False)
        self.casemaild("send")
        got = self.sink.received()
        self.assertEqual(len(got), 2, [m["Subject"] for _, m in got])
        for env, msg in got:
            self.assertEqual(env["rcpt_tos"], [OPS])
            self.assertEqual(msg["From"].addresses[0].display_name,
                             "Anna Agent via Case Desk")
            self.assertEqual(msg["From"].addresses[0].addr_spec, DESK)
        # Two SMTP sessions send side by side: find the reply by its text.
        texts = [m.get_content().replace("\r\n", "\n") for _, m in got]
        reply = next((t for t in texts if "driver is on his way" in t),
                     texts)
        self.assertIn("The driver is on his way.\n\n-- \nAnna Agent\n"
                      "Shipper desk, ext. 12", reply)
        # A typo in --as is refused, not a new person on the case.
        err = self.ctl("--as", "anan@desk.example", "note", number, "x",
                       expect=1)
        self.assertIn("not a registered agent", err)

    def test_digest_in_the_desk_zone(self):
        number = self.ctl("create", "--subject", "Late truck",
                          "--follow-up", "2026-11-28T09:30:00Z",
                          json_out=False).strip()
        self.ctl("assign", number, "--owner", AGENT, "--side", "shipper",
                 json_out=False)
        self.assertEqual(self.ctl("show", number)["follow_up"],
                         "2026-11-28T09:30:00Z")
        self.casemaild("digest")
        (env, msg), = self.sink.received()
        self.assertEqual(env["rcpt_tos"], [AGENT])
        self.assertIn(f"{number}  Late truck  (follow-up was due "
                      "2026-11-28T10:30:00+01:00)", msg.get_content())


if __name__ == "__main__":
    if not harness.take_args(__doc__.strip().splitlines()[-1], 3):
        sys.exit(2)
    sys.exit(harness.unittest_main())
