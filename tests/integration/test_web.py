#!/usr/bin/env python3
"""test_web.py - casemail-web in a real browser (issue 17, item 5).

Debian's chromium, driven by chromedriver through python3-selenium, on
127.0.0.1: an agent signs in, opens a view and a case, replies with the
`update` template (preview, then send) and the reply reaches the SMTP
receiver; solves the case.  And the security basics over plain HTTP: a
POST without the session's CSRF token is refused, a hostile subject is
shown as text, one agent's session cannot be used with another's form
token, a signed-out session stays out, and the SSO header counts only
from the trusted proxy.

With CASEMAIL_SCREENSHOTS=DIR the case list and a case page are saved as
DIR/case-list.png and DIR/case-page.png (docs/screenshots/ holds the
committed ones).

usage: test_web.py casemail-web casemaild casectl templates
"""

import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import AGENT, DESK  # noqa: E402

WEB = None
BOB = "bob@desk.example"
PASSWORDS = {AGENT: "anna-password-1", BOB: "bob-password-22"}
CUSTOMER = "sam@acme.test"
HOSTILE = ("<script>document.title='owned'</script>"
           "<img src=x onerror=\"document.title='owned'\"> & \"quotes\"")

try:
    from selenium import webdriver
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
except ImportError:  # reported by browser() below
    webdriver = None

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class Client:
    """A plain HTTP client with its own cookies, redirects not followed:
    what another browser, or an attacker's script, could send."""

    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def request(self, path, form=None, headers=None):
        data = urllib.parse.urlencode(form).encode() if form is not None \
            else None
        req = urllib.request.Request(self.base + path, data=data,
                                     headers=headers or {})
        try:
            with self.opener.open(req, timeout=30) as r:
                return r.status, r.headers, r.read().decode(errors="replace")
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read().decode()

    def cookie(self, name):
        return next((c.value for c in self.jar if c.name == name), None)

    def login(self, who):
        _, _, page = self.request("/login")
        tok = re.search(r'name="login_csrf" value="([0-9a-f]+)"', page)[1]
        status, headers, _ = self.request("/login", {
            "email": who, "password": PASSWORDS[who], "login_csrf": tok})
        assert status == 303 and headers["Location"] == "/cases", status

    def csrf(self, path="/cases"):
        _, _, page = self.request(path)
        return re.search(r'name="csrf" value="([0-9a-f]+)"', page)[1]


class Web(harness.DeskTest):
    def setUp(self):
        self.desk_setup("casemail-web-")
        self.sink = self.start_sink()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.web = None
        self.driver = None
        self.write_conf()
        for who, name in ((AGENT, "Anna Agent"), (BOB, "Bob Builder")):
            self.ctl("agent", "add", who, "--name", name, json_out=False)
            p = subprocess.run([harness.CASECTL, "-c", self.conf, "agent",
                                "password", who],
                               input=PASSWORDS[who] + "\n", text=True,
                               capture_output=True, env=self.env, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
        self.case = self.ctl("create", "--subject", "Pallet crushed at the "
                             "dock", "--type", "damaged", "--requester",
                             CUSTOMER, "--shipment", "SHP-4711",
                             json_out=False).strip()

    def tearDown(self):
        if self.driver is not None:
            self.driver.quit()
        self.stop_web()
        self.sink.stop()
        self.desk_teardown()

    def write_conf(self, web="", case=""):
        self.write_desk_conf(
            case=f"templates = {harness.TEMPLATES}\nsides = none\n{case}",
            smtp_port=self.sink.port,
            tail=f"[web]\nlisten = 127.0.0.1:{self.port}\n"
                 f"secure_cookies = no\n{web}")

    def start_web(self):
        self.web = subprocess.Popen([WEB, "-c", self.conf], env=self.env,
                                    stderr=subprocess.PIPE, text=True)

        def up():
            try:
                with socket.create_connection(("127.0.0.1", self.port), 1):
                    return True
            except OSError:
                return False
        self.assertTrue(harness.wait_for(up), "casemail-web did not start")

    def stop_web(self):
        """Stop casemail-web; its stderr."""
        err = ""
        if self.web is not None:
            self.web.terminate()
            _, err = self.web.communicate(timeout=30)
            if os.environ.get("VERBOSE"):
                sys.stderr.write(err)
            self.assertEqual(self.web.returncode, 0, err)
            self.web = None
        return err

    def browser(self):
        if webdriver is None or CHROMIUM is None or CHROMEDRIVER is None:
            self.skipTest("the browser tests need Debian's chromium, "
                          "chromium-driver and python3-selenium "
                          "(scripts/deps.sh installs them)")
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu",
                  "--disable-dev-shm-usage", "--window-size=1280,900",
                  f"--user-data-dir={os.path.join(self.dir, 'chromium')}"):
            opts.add_argument(a)
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER),
                                       options=opts)
        self.driver.implicitly_wait(5)
        return self.driver

    def sign_in(self, d, who=AGENT):
        d.get(self.base + "/")
        self.assertTrue(d.current_url.endswith("/login"), d.current_url)
        form = d.find_element(By.CSS_SELECTOR, "form#login")
        form.find_element(By.NAME, "email").send_keys(who)
        form.find_element(By.NAME, "password").send_keys(PASSWORDS[who])
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        self.assertTrue(harness.wait_for(
            lambda: d.current_url.endswith("/cases"), secs=20),
            d.current_url + d.page_source)

    def screenshot(self, d, name):
        out = os.environ.get("CASEMAIL_SCREENSHOTS")
        if out:
            os.makedirs(out, exist_ok=True)
            d.save_screenshot(os.path.join(out, name))

    def more_cases(self):
        """A desk's morning, for the screenshots."""
        for subj, typ, prio in (
                ("Where is my order 88213?", "wismo", "normal"),
                ("Delivery refused: wrong address on label", "refused",
                 "high"),
                ("Invoice 2026-114 charged twice", "billing", "low"),
                ("Driver could not reach the loading bay", "driver-issue",
                 "urgent")):
            self.ctl("create", "--subject", subj, "--type", typ,
                     "--priority", prio, "--requester", CUSTOMER,
                     json_out=False)

    def test_desk_day(self):
        self.more_cases()
        self.start_web()
        d = self.browser()
        self.sign_in(d)
        d.get(self.base + "/cases?view=active")
        rows = d.find_elements(By.CSS_SELECTOR, "table.cases tr.case")
        self.assertEqual(len(rows), 5)
        self.screenshot(d, "case-list.png")
        link = d.find_element(By.XPATH, "//a[@class='case-link' and "
                              f"text()='{self.case}']")
        link.click()
        self.assertEqual(d.find_element(By.CSS_SELECTOR,
                                        "h1 .case-number").text, self.case)
        # Reply with the template: preview first, nothing sent yet.
        form = d.find_element(By.CSS_SELECTOR, "form#reply")
        Select(form.find_element(By.NAME, "template")).select_by_value(
            "update")
        form.find_element(By.NAME, "preview").click()
        preview = d.find_element(By.CSS_SELECTOR, "pre.preview").text
        self.assertIn("specialist team", preview)
        self.assertIn("shipment SHP-4711", preview)
        self.assertEqual(self.ctl("outbox"), [])
        d.find_element(By.CSS_SELECTOR, "form#reply button[name=send]") \
            .click()
        self.assertIn("Reply queued",
                      d.find_element(By.CSS_SELECTOR, "p.notice").text)
        self.assertIn("specialist team",
                      d.find_element(By.CSS_SELECTOR, "div.thread").text)
        p = subprocess.run([harness.CASEMAILD, "-c", self.conf, "send"],
                           capture_output=True, text=True, env=self.env,
                           timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        got = self.sink.received()
        self.assertEqual([e["rcpt_tos"] for e, _ in got], [[CUSTOMER]])
        msg = got[0][1]
        self.assertEqual(msg["Subject"],
                         f"[{self.case}] Update: Pallet crushed at the dock")
        self.assertIn("Anna Agent", msg.get_content())
        # A note, then solve.
        d.find_element(By.CSS_SELECTOR, "form#note textarea[name=text]") \
            .send_keys("Photos requested from the driver.")
        d.find_element(By.CSS_SELECTOR, "form#note button").click()
        self.assertTrue(harness.wait_for(
            lambda: "Note added" in d.page_source), d.page_source)
        self.assertIn("Photos requested",
                      d.find_element(By.CSS_SELECTOR, "div.thread").text)
        self.screenshot(d, "case-page.png")
        # The reports page: charts drawn on the server, no script.
        d.find_element(By.LINK_TEXT, "Reports").click()
        self.assertTrue(harness.wait_for(lambda: "/reports" in d.current_url))
        self.assertTrue(d.find_elements(By.CSS_SELECTOR, "main svg"))
        self.assertEqual(d.find_elements(By.CSS_SELECTOR, "script"), [])
        self.screenshot(d, "reports.png")
        d.back()
        d.find_element(By.CSS_SELECTOR, "form#solve button").click()
        self.assertTrue(harness.wait_for(lambda: "Solved." in d.page_source))
        self.assertEqual(self.ctl("show", self.case)["status"], "solved")
        self.assertTrue(d.find_elements(By.CSS_SELECTOR, "form#reopen"))

    def test_edit_case_and_remove_people(self):
        """The edit form: priority and follow-up (typed in the desk's
        zone) reach the store as casectl shows them, audited; an owner
        and a watcher come off with their Remove buttons."""
        self.write_conf(case="timezone = Europe/Berlin\n")
        # Anna made the case, so she owns it; Bob watches.
        self.ctl("watch", self.case, "--user", BOB, json_out=False)
        before = self.ctl("show", self.case)
        self.assertEqual(before["priority"], "normal")
        self.start_web()
        d = self.browser()
        self.sign_in(d)
        d.get(self.base + "/case/" + self.case)
        form = d.find_element(By.CSS_SELECTOR, "form#edit")
        self.assertEqual(Select(form.find_element(By.NAME, "type"))
                         .first_selected_option.text, "damaged")
        Select(form.find_element(By.NAME, "priority")).select_by_value(
            "high")
        when = form.find_element(By.NAME, "follow_up")
        self.assertEqual(when.get_attribute("type"), "datetime-local")
        # Typing into a datetime-local depends on the browser's locale:
        # set the value the picker would.
        d.execute_script("arguments[0].value = '2026-12-24T09:30'", when)
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        self.assertTrue(harness.wait_for(
            lambda: "Case updated" in d.page_source), d.page_source)
        after = self.ctl("show", self.case)
        self.assertEqual(after["priority"], "high")
        self.assertEqual(after["type"], "damaged")
        # 09:30 in Berlin in winter is 08:30 UTC.
        self.assertEqual(after["follow_up"], "2026-12-24T08:30:00Z")
        self.assertEqual(d.find_element(By.NAME, "follow_up")
                         .get_attribute("value"), "2026-12-24T09:30")
        history = self.ctl("history", self.case, json_out=False)
        self.assertRegex(history, r"priority.*normal.*high")
        self.assertIn("follow_up", history)
        # Saving again with the follow-up untouched changes nothing.
        d.find_element(By.CSS_SELECTOR,
                       "form#edit button[type=submit]").click()
        self.assertTrue(harness.wait_for(
            lambda: "Case updated" in d.page_source))
        self.assertEqual(self.ctl("history", self.case, json_out=False),
                         history)
        # Remove the owner, then the watcher, with their buttons.
        for action, field, who, role, notice in (
                ("unassign", "owner", AGENT, "owners", "Owner removed"),
                ("unwatch", "user", BOB, "watchers", "Watcher removed")):
            self.assertIn(who, [p["address"] for p in after[role]])
            d.find_element(By.XPATH, f"//form[contains(@class,'{action}')]"
                           f"[input[@name='{field}' and @value='{who}']]"
                           "/button").click()
            self.assertTrue(harness.wait_for(
                lambda: notice in d.page_source), d.page_source)
            after = self.ctl("show", self.case)
            self.assertNotIn(who, [p["address"] for p in after[role]])
        history = self.ctl("history", self.case, json_out=False)
        self.assertRegex(history, rf"owner.*{re.escape(AGENT)}")
        self.assertRegex(history, rf"watcher.*{re.escape(BOB)}")
        # A bad follow-up is refused and changes nothing.
        c = Client(self.base)
        c.login(AGENT)
        status, _, _ = c.request(f"/case/{self.case}/edit", {
            "csrf": c.csrf(), "priority": "low",
            "follow_up": "2026-13-40T99:99", "follow_up_was": ""})
        self.assertEqual(status, 400)
        self.assertEqual(self.ctl("show", self.case)["priority"], "high")

    def test_sign_in_limits(self):
        """[web] login_failures per account and login_client_failures per
        client address, through the real server: refused with the page a
        wrong password gets, logged without the password."""
        self.write_conf(web="login_failures = 3\n"
                        "login_client_failures = 6\n")
        self.start_web()

        def attempt(who, password):
            c = Client(self.base)
            _, _, page = c.request("/login")
            tok = re.search(r'name="login_csrf" value="([0-9a-f]+)"',
                            page)[1]
            status, headers, page = c.request("/login", {
                "email": who, "password": password, "login_csrf": tok})
            return status, page

        wrong_status, wrong_page = attempt(AGENT, "wrong-guess-1")
        self.assertEqual(wrong_status, 401)
        self.assertIn("Wrong email or password", wrong_page)
        attempt(AGENT, "wrong-guess-2")
        # Two failures: the third try, at the limit, is still checked.
        self.assertEqual(attempt(AGENT, "wrong-guess-3")[0], 401)
        # Three: now even the right password is refused, the same way.
        status, page = attempt(AGENT, PASSWORDS[AGENT])
        self.assertEqual(status, 401)
        self.assertIn("Wrong email or password", page)
        # Another account from this client still signs in (4 of 6).
        self.assertEqual(attempt(BOB, PASSWORDS[BOB])[0], 303)
        attempt("nobody@desk.example", "wrong-guess-4")
        self.assertEqual(attempt(BOB, "wrong-guess-5")[0], 401)
        # Six from this address: it may not sign in as anyone.
        self.assertEqual(attempt(BOB, PASSWORDS[BOB])[0], 401)
        err = self.stop_web()
        self.assertRegex(err, rf"sign-in for {re.escape(AGENT)} from "
                         r"127\.0\.0\.1 refused: too many failed "
                         r"sign-ins for this account")
        self.assertRegex(err, rf"sign-in for {re.escape(BOB)} from "
                         r"127\.0\.0\.1 refused: .* client address")
        self.assertNotIn("wrong-guess", err)
        self.assertNotIn(PASSWORDS[AGENT], err)
        # A restart clears the counts (they are kept in memory only).
        self.start_web()
        Client(self.base).login(AGENT)

    def test_hostile_subject_is_text(self):
        hostile = self.ctl("create", "--subject", HOSTILE,
                           json_out=False).strip()
        self.start_web()
        d = self.browser()
        self.sign_in(d)
        d.get(self.base + "/case/" + hostile)
        h1 = d.find_element(By.CSS_SELECTOR, "h1").text
        self.assertIn("<script>document.title='owned'</script>", h1)
        self.assertNotEqual(d.title, "owned")
        self.assertEqual(d.find_elements(By.CSS_SELECTOR, "main script"),
                         [])
        self.assertEqual(d.find_elements(By.CSS_SELECTOR, "main img"), [])
        with self.assertRaises(NoAlertPresentException):
            d.switch_to.alert.text
        d.get(self.base + "/cases?view=all")
        self.assertNotEqual(d.title, "owned")
        self.assertIn(HOSTILE, d.find_element(By.CSS_SELECTOR,
                                              "table.cases").text)

    def test_csrf_refused(self):
        self.start_web()
        c = Client(self.base)
        c.login(AGENT)
        path = f"/case/{self.case}/solve"
        self.assertEqual(c.request(path, {})[0], 403)
        self.assertEqual(c.request(path, {"csrf": "0" * 64})[0], 403)
        self.assertEqual(self.ctl("show", self.case)["status"], "active")
        # The page's own token works.
        status, headers, _ = c.request(path, {"csrf": c.csrf()})
        self.assertEqual(status, 303)
        self.assertEqual(self.ctl("show", self.case)["status"], "solved")
        # The login form wants its own token too.
        status, _, _ = Client(self.base).request("/login", {
            "email": AGENT, "password": PASSWORDS[AGENT]})
        self.assertEqual(status, 403)

    def test_sessions_stay_with_their_agent(self):
        self.start_web()
        anna, bob = Client(self.base), Client(self.base)
        anna.login(AGENT)
        bob.login(BOB)
        self.assertNotEqual(anna.cookie("cm_session"),
                            bob.cookie("cm_session"))
        # Bob's form token is no good with Anna's session.
        status, _, _ = anna.request(f"/case/{self.case}/solve",
                                    {"csrf": bob.csrf()})
        self.assertEqual(status, 403)
        # Anna signs out: her cookie, copied anywhere, is dead.
        stolen = anna.cookie("cm_session")
        token = anna.csrf()
        self.assertEqual(anna.request("/logout", {"csrf": token})[0], 303)
        thief = Client(self.base)
        hdr = {"Cookie": f"cm_session={stolen}"}
        status, headers, _ = thief.request("/cases", headers=hdr)
        self.assertEqual((status, headers["Location"]), (303, "/login"))
        status, _, _ = thief.request(f"/case/{self.case}/solve",
                                     {"csrf": token}, headers=hdr)
        self.assertEqual(status, 403)
        self.assertEqual(self.ctl("show", self.case)["status"], "active")
        # A wrong password signs nobody in.
        _, _, page = thief.request("/login")
        tok = re.search(r'name="login_csrf" value="([0-9a-f]+)"', page)[1]
        status, _, _ = thief.request("/login", {
            "email": AGENT, "password": "guess", "login_csrf": tok})
        self.assertEqual(status, 401)
        self.assertIsNone(thief.cookie("cm_session"))
        # The cookie is HttpOnly and SameSite=Strict.
        c = Client(self.base)
        _, _, page = c.request("/login")
        tok = re.search(r'name="login_csrf" value="([0-9a-f]+)"', page)[1]
        _, headers, _ = c.request("/login", {
            "email": BOB, "password": PASSWORDS[BOB], "login_csrf": tok})
        cookie = [v for k, v in headers.items()
                  if k == "Set-Cookie" and "cm_session=" in v][0]
        self.assertIn("HttpOnly", cookie)
        self.assertIn("SameSite=Strict", cookie)

    def test_trusted_header_only_from_the_proxy(self):
        hdr = {"X-Remote-User": AGENT}
        self.write_conf("trusted_proxy = 127.0.0.2\n")
        self.start_web()
        status, headers, _ = Client(self.base).request("/cases", headers=hdr)
        self.assertEqual((status, headers["Location"]), (303, "/login"))
        self.stop_web()
        self.write_conf("trusted_proxy = 127.0.0.1\n")
        self.start_web()
        status, _, page = Client(self.base).request("/cases", headers=hdr)
        self.assertEqual(status, 200)
        self.assertIn("Anna Agent", page)
        status, _, _ = Client(self.base).request(
            "/cases", headers={"X-Remote-User": "nobody@desk.example"})
        self.assertEqual(status, 303)

    def test_api_token_until_revoked(self):
        token = self.ctl("api-client", "add", "tms", "--agent", AGENT,
                         json_out=False).split()[0]
        self.start_web()
        c = Client(self.base)
        auth = {"Authorization": "Bearer " + token}
        status, headers, body = c.request("/api/v1/cases?view=all",
                                          headers=auth)
        self.assertEqual(status, 200, body)
        self.assertEqual(headers["Content-Type"], "application/json")
        self.assertIn(self.case, body)
        status, _, body = c.request("/api/v1/cases")
        self.assertEqual(status, 401, body)
        self.assertIn('"unauthorized"', body)
        self.ctl("api-client", "revoke", "tms", json_out=False)
        status, _, body = c.request("/api/v1/cases", headers=auth)
        self.assertEqual(status, 401, body)
        # A browser session is no API credential.
        c.login(AGENT)
        self.assertEqual(c.request("/api/v1/cases")[0], 401)

    def test_breaching_view_and_due_times(self):
        self.write_conf("[sla]\nfirst_response = urgent 30m\nhours =\n")
        env = dict(self.env, CASEMAIL_NOW=str(int(time.time()) - 3600))
        p = subprocess.run([harness.CASECTL, "-c", self.conf, "create",
                            "--subject", "Truck stuck at the border",
                            "--priority", "urgent"], env=env, text=True,
                           capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        late = p.stdout.strip()
        self.start_web()
        c = Client(self.base)
        c.login(AGENT)
        _, _, page = c.request("/cases?view=breaching")
        self.assertIn(f'href="/case/{late}"', page)
        self.assertNotIn(f'href="/case/{self.case}"', page)
        _, _, page = c.request("/case/" + late)
        self.assertIn("First response", page)
        self.assertIn('class="sla sla-breached"', page)

    def test_mail_attachments_and_full_text(self):
        msg = harness.mail(
            "Sam Shipper <sam@acme.test>", DESK, f"Re: [{self.case}] photos",
            body="Photos attached.\n\nOn Monday the desk wrote:\n"
                 "> Please send photos of the pallet.\n",
            attach=[('evil"; filename=x.txt; \u00fcber.html',
                     b"<script>alert(1)</script>", "text/html"),
                    ("pallet.png", b"\x89PNG\r\n\x1a\nfake", "image/png")])
        path = os.path.join(self.dir, "in.eml")
        with open(path, "wb") as f:
            f.write(harness.verified(msg))
        p = subprocess.run([harness.CASEMAILD, "-c", self.conf, "ingest",
                            path], capture_output=True, text=True,
                           env=self.env, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.start_web()
        c = Client(self.base)
        c.login(AGENT)
        _, _, page = c.request("/case/" + self.case)
        self.assertIn("Photos attached.", page)
        self.assertNotIn("Please send photos", page)
        full = re.search(r'class="full-text" href="([^"]+)"', page)[1]
        _, _, page = c.request(full.split("#")[0].replace("&amp;", "&"))
        self.assertIn("Please send photos", page)
        links = re.findall(r'href="(/attachment/\d+/\d+)"', page)
        self.assertEqual(len(links), 2, page)
        got = {}
        for link in links:
            status, headers, _ = c.request(link)
            self.assertEqual(status, 200)
            got[headers["Content-Type"]] = headers["Content-Disposition"]
            self.assertEqual(headers["X-Content-Type-Options"], "nosniff")
        # HTML is never served as HTML; the name cannot break the header.
        disp = got["application/octet-stream"]
        self.assertEqual(disp, 'attachment; filename="evil__ filename=x.txt_'
                         ' __ber.html"; filename*=UTF-8\'\'evil_%3B%20'
                         'filename%3Dx.txt%3B%20%C3%BCber.html')
        self.assertIn("image/png", got)
        self.assertTrue(got["image/png"].startswith(
            'attachment; filename="pallet.png"'))
        # Not signed in: no attachment.
        self.assertEqual(Client(self.base).request(links[0])[0], 303)

    def test_headers_and_attachment_rules(self):
        self.start_web()
        c = Client(self.base)
        c.login(AGENT)
        status, headers, _ = c.request("/case/" + self.case)
        self.assertEqual(status, 200)
        self.assertIn("script-src 'none'",
                      headers["Content-Security-Policy"])
        self.assertEqual(headers["X-Content-Type-Options"], "nosniff")
        self.assertEqual(c.request("/attachment/999/0")[0], 404)
        self.assertEqual(c.request("/case/CV999999")[0], 404)


if __name__ == "__main__":
    if len(sys.argv) < 5:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    WEB = os.path.abspath(sys.argv.pop(1))
    if not harness.take_args(__doc__, 3):
        sys.exit(2)
    sys.exit(harness.unittest_main())
