#!/usr/bin/env python3
"""test_webapi.py - casemail-web's JSON API end to end (issue 17, item 4).

The real casemail-web on 127.0.0.1, called as another system would, with
urllib: a client made by `casectl api-client add` opens a case by API,
reads and searches it, notes, replies with the `update` template (the
mail reaches the SMTP receiver after `casemaild send`) and solves it;
errors are JSON with their codes; a body just over [web] max_body is
refused; and a revoked token stops working at once.  And the reports
page, signed in, with its SVG charts.

usage: test_webapi.py casemail-web casemaild casectl templates
"""

import json
import os
import subprocess
import sys
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_web  # noqa: E402  (its server start and stop, its port)
from harness import AGENT  # noqa: E402

CUSTOMER = "sam@acme.test"
MAX_BODY = 4096


class WebApi(harness.DeskTest):
    start_web = test_web.Web.start_web
    stop_web = test_web.Web.stop_web

    def setUp(self):
        self.desk_setup("casemail-webapi-")
        self.sink = self.start_sink()
        self.port = test_web.free_port()
        self.base = f"http://127.0.0.1:{self.port}/api/v1"
        self.web = None
        self.write_desk_conf(
            case=f"templates = {harness.TEMPLATES}\nsides = none\n",
            smtp_port=self.sink.port,
            tail=f"[web]\nlisten = 127.0.0.1:{self.port}\n"
                 f"secure_cookies = no\nmax_body = {MAX_BODY}\n")
        self.ctl("agent", "add", AGENT, "--name", "Anna Agent",
                 json_out=False)
        self.token = self.ctl("api-client", "add", "shop", "--agent", AGENT,
                              json_out=False).strip()
        self.assertTrue(self.token.startswith("cm_"), self.token)
        self.start_web()

    def tearDown(self):
        self.stop_web()
        self.sink.stop()
        self.desk_teardown()

    def call(self, method, path, body=None, token=True, raw=None):
        """(status, parsed JSON) of one request; body a dict, or raw
        bytes."""
        data = raw if raw is not None else \
            json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = "Bearer " + (
                self.token if token is True else token)
        req = urllib.request.Request(self.base + path, data=data,
                                     method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, ctype, text = r.status, r.headers["Content-Type"], \
                    r.read()
        except urllib.error.HTTPError as e:
            status, ctype, text = e.code, e.headers["Content-Type"], e.read()
        self.assertEqual(ctype, "application/json", text)
        return status, json.loads(text)

    def assert_error(self, answer, status, code):
        self.assertEqual(answer[0], status, answer[1])
        self.assertEqual(answer[1]["error"]["code"], code, answer[1])

    def test_case_by_api(self):
        status, case = self.call("POST", "/cases", {
            "subject": "Pallet crushed at the dock", "type": "damaged",
            "shipment": "SHP-4711", "requester": CUSTOMER,
            "requester_name": "Sam"})
        self.assertEqual(status, 201, case)
        num = case["number"]
        self.assertEqual(case["source"], "api")
        self.assertEqual(case["creator"], AGENT)
        # casectl sees the same case.
        self.assertEqual(self.ctl("show", num)["source"], "api")
        status, shown = self.call("GET", f"/cases/{num}")
        self.assertEqual(status, 200)
        self.assertEqual(shown["requester"]["address"], CUSTOMER)
        self.assertIn("events", shown)
        status, found = self.call("GET", "/cases?q=SHP-4711&view=all")
        self.assertEqual([c["number"] for c in found["cases"]], [num])
        status, found = self.call("GET", "/cases?type=damaged,lost")
        self.assertEqual(found["count"], 1)
        status, _ = self.call("POST", f"/cases/{num}/notes",
                              {"text": "Depot called back."})
        self.assertEqual(status, 201)
        # Reply with the update template: it reaches the receiver.
        status, _ = self.call("POST", f"/cases/{num}/replies", {
            "template": "update", "set": {"note": "A new pallet ships."}})
        self.assertEqual(status, 202)
        self.assertEqual(self.sink.received(), [])
        subprocess.run([harness.CASEMAILD, "-c", self.conf, "send"],
                       check=True, capture_output=True, env=self.env,
                       timeout=120)
        got = self.sink.received()
        self.assertEqual([e["rcpt_tos"] for e, _ in got], [[CUSTOMER]])
        msg = got[0][1]
        self.assertEqual(msg["Subject"],
                         f"[{num}] Update: Pallet crushed at the dock")
        body = msg.get_content()
        self.assertIn("A new pallet ships.", body)
        self.assertIn("Anna Agent", body)
        # Solve; again is a conflict.
        status, solved = self.call("POST", f"/cases/{num}/solve")
        self.assertEqual((status, solved["status"]), (200, "solved"))
        self.assert_error(self.call("POST", f"/cases/{num}/solve"), 409,
                          "conflict")
        history = [e["what"] for e in self.ctl("history", num)]
        self.assertIn("status", history)

    def test_errors(self):
        self.assert_error(self.call("GET", "/cases", token=False), 401,
                          "unauthorized")
        self.assert_error(self.call("GET", "/cases", token="cm_nope"), 401,
                          "unauthorized")
        self.assert_error(self.call("GET", "/cases/CV999999"), 404,
                          "not_found")
        self.assert_error(self.call("POST", "/cases", raw=b'{"subject":'),
                          400, "bad_request")
        self.assert_error(self.call("POST", "/cases", {"subject": "x",
                                                       "source": "email"}),
                          403, "forbidden")
        # [web] max_body: at the limit read, one byte more refused (JSON
        # may hold any amount of white space).
        head = '{"subject": "at the limit"'
        body = head + " " * (MAX_BODY - len(head) - 1) + "}"
        self.assertEqual(len(body), MAX_BODY)
        status, _ = self.call("POST", "/cases", raw=body.encode())
        self.assertEqual(status, 201)
        self.assert_error(self.call("POST", "/cases",
                                    raw=(body + " ").encode()),
                          413, "bad_request")
        self.assertEqual(len(self.ctl("list", "--view", "all")), 1)

    def test_revoked_token(self):
        status, _ = self.call("GET", "/cases")
        self.assertEqual(status, 200)
        self.ctl("api-client", "revoke", "shop", json_out=False)
        self.assert_error(self.call("GET", "/cases"), 401, "unauthorized")
        self.assert_error(self.call("POST", "/cases", {"subject": "x"}), 401,
                          "unauthorized")
        self.assertEqual(self.ctl("list", "--view", "all"), [])
        # casectl shows it revoked; the token was never stored.
        client, = self.ctl("api-client", "list")
        self.assertIsNotNone(client["revoked"])
        self.assertIsNotNone(client["last_used"])
        with self.db() as db:
            rows = db.execute("SELECT * FROM api_clients").fetchall()
        self.assertNotIn(self.token, repr(rows))
        self.assertNotIn(self.token[3:], repr(rows))


    def test_reports_page(self):
        for subject, typ in (("Lost <b>box</b>", "lost"),
                             ("Broken", "damaged"), ("Dented", "damaged")):
            status, _ = self.call("POST", "/cases", {"subject": subject,
                                                     "type": typ})
            self.assertEqual(status, 201)
        p = subprocess.run([harness.CASECTL, "-c", self.conf, "agent",
                            "password", AGENT],
                           input=test_web.PASSWORDS[AGENT] + "\n", text=True,
                           capture_output=True, env=self.env, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        web = test_web.Client(f"http://127.0.0.1:{self.port}")
        self.assertEqual(web.request("/reports")[0], 303)  # not signed in
        web.login(AGENT)
        status, headers, page = web.request("/reports?period=7d&by=type")
        self.assertEqual(status, 200, page)
        self.assertIn("<title>Cases by type</title>", page)
        self.assertIn("<title>Active cases per owner</title>", page)
        self.assertIn('<th scope="row">damaged</th><td>2</td>', page)
        self.assertIn('<option value="7d" selected>', page)
        self.assertNotIn("style=", page)
        self.assertEqual(web.request("/reports?period=forever")[0], 400)


if __name__ == "__main__":
    if len(sys.argv) < 5:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    test_web.WEB = os.path.abspath(sys.argv.pop(1))
    if not harness.take_args(__doc__, 3):
        sys.exit(2)
    sys.exit(harness.unittest_main())
