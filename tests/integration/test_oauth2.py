#!/usr/bin/python3
"""OAuth2 end to end: casemaild and casectl against real servers.

Usage: test_oauth2.py CASEMAILD CASECTL TEMPLATES_DIR

The test's own OAuth2 authorization server (oauthsrv.py, in a thread of
this process), a private Dovecot whose oauth2 passdb asks that server's
introspection endpoint about every XOAUTH2 token, and the SMTP receiver
(smtpsink.py --oauth2) checking its tokens the same way, all on
127.0.0.1.  casemaild logs in to both with [imap]/[smtp] auth = oauth2
and the generic provider pointed at the test server; `casectl oauth
login` runs the device and authorization-code grants.  Covered: each
grant, refresh before expiry while the daemon idles, refresh after a
refused token, a rotated refresh token saved and used after a restart, a
revoked refresh token (one clear line, no spinning), a token endpoint
that is down (bounded retries, resumes), and that no token ever shows in
casemaild's stderr or in casectl's output.
"""

import os
import re
import signal
import stat
import subprocess
import sys
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import DESK, mail  # noqa: E402

DOVECOT = None  # the run's harness.Dovecot, its passdb asking OAUTH
OAUTH = None    # the run's harness.OAuthServer
SECRET_CLIENT = ("casemail-test", "test-secret")  # oauthsrv's defaults
PUBLIC_CLIENT = "casemail-public"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
TOKEN = re.compile(r"cm[ar]t-[A-Za-z0-9_-]{20,}")  # oauthsrv's tokens


class OAuth2Test(harness.DeskTest):
    """A fresh desk, mailbox and receiver; the server reset."""

    grant = "client_credentials"

    def setUp(self):
        OAUTH.admin("reset")
        self.desk_setup("casemail-oauth2.")
        self.box = self.own_mailbox("A")
        self.sink = harness.Sink(os.path.join(self.dir, "sink"),
                                 oauth2_url=OAUTH.introspect_url,
                                 oauth2_mechs="XOAUTH2").start()
        self.rt_file = os.path.join(self.dir, "oauth2-refresh-token")
        self.write_conf()
        self.imap = DOVECOT.login()
        self.imap.create(self.box)
        self.proc = None
        self.shippers = 0
        self.log = open(os.path.join(self.dir, "daemon.log"), "w+",
                        encoding="utf-8")

    def tearDown(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        self.sink.stop()
        harness.logout(self.imap)
        self.desk_teardown()

    def write_conf(self):
        secret = os.path.join(self.dir, "client.secret")
        with open(secret, "w", encoding="utf-8") as f:
            f.write(SECRET_CLIENT[1] + "\n")
        os.chmod(secret, 0o600)
        public = self.grant != "client_credentials"
        self.write_desk_conf(
            case=f"templates = {harness.TEMPLATES}\n", imap_port=DOVECOT.port,
            imap=f"auth = oauth2\nmailbox = {self.box}\n"
            f"processed_mailbox = {self.box}-Processed\n"
            f"review_mailbox = {self.box}-Review\n"
            "idle = yes\npoll_interval = 1\n",
            smtp_port=self.sink.port,
            smtp="auth = oauth2\nuser = test\nretry_min = 1\n",
            tail=f"""[oauth2]
provider = generic
grant = {self.grant}
client_id = {PUBLIC_CLIENT if public else SECRET_CLIENT[0]}
{"" if public else "client_secret_file = client.secret"}
scopes = mail offline_access
token_url = {OAUTH.url}/token
device_url = {OAUTH.url}/devicecode
authorize_url = {OAUTH.url}/authorize
refresh_token_file = {self.rt_file}
state_file = {os.path.join(self.dir, "oauth2-state")}
""")

    # ---- helpers ------------------------------------------------------

    def new_mail(self, subject):
        """A new shipper writes to the desk: a new case and an
        acknowledgement over SMTP (each from another address: a sender
        acknowledged a moment ago is not acknowledged again)."""
        self.shippers += 1
        return self.append(mail(f"Shipper <sam{self.shippers}@acme.test>",
                                DESK, subject, "Where is it?"))

    def cases_now(self):
        p = subprocess.run([harness.CASECTL, "-c", self.conf, "--json",
                            "list", "--view", "all", "--limit", "0"],
                           capture_output=True, text=True, env=self.env,
                           timeout=60)
        return None if p.returncode != 0 else p.stdout.count('"number"')

    def acks(self):
        """The mails the receiver took, with who authenticated each."""
        return [harness.read_json(j) for j in self.sink.envelopes()]

    def start(self):
        self.proc = subprocess.Popen([harness.CASEMAILD, "-c", self.conf],
                                     env=self.env, stdout=subprocess.DEVNULL,
                                     stderr=self.log)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            rc = "hung"
        self.assertEqual(rc, 0, self.logtext())

    def logtext(self):
        self.log.flush()
        with open(self.log.name, encoding="utf-8") as f:
            return f.read()

    def wait(self, pred, secs=20, what=""):
        self.assertTrue(harness.wait_for(pred, secs, 0.2),
                        f"{what}\n{self.logtext()}")

    def issued(self):
        """Every token the server handed out (access and refresh)."""
        st = OAUTH.stats()
        return st["active_refresh_tokens"] + \
            [st["last"][k] for k in ("access_token", "refresh_token")
             if st["last"][k]]

    def assert_no_token(self, text, where):
        self.assertIsNone(TOKEN.search(text), where)
        for t in self.issued():
            self.assertNotIn(t, text, where)

    def assert_status_clean(self):
        """casectl status and oauth status: the state, never a token."""
        for args in (["status"], ["oauth", "status"], ["--json", "status"],
                     ["--json", "oauth", "status"]):
            p = subprocess.run([harness.CASECTL, "-c", self.conf] + args,
                               capture_output=True, text=True, env=self.env,
                               timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("oauth2", p.stdout)
            self.assert_no_token(p.stdout + p.stderr, f"casectl {args}")

    def calls(self, grant=None, since=0.0):
        return OAUTH.token_calls(grant, since)

    def login(self, expect=0, approve=True):
        """`casectl oauth login` for self.grant, playing the user: approve
        (or refuse) the device code at the server, or open the
        authorization URL (whose 302 lands on casectl's listener).  Its
        stdout."""
        p = subprocess.Popen([harness.CASECTL, "-c", self.conf, "oauth",
                              "login"], env=self.env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            out = p.stdout.readline()
            self.assertTrue(out.startswith("open: "), out)
            url = out[len("open: "):].strip()
            if self.grant == "device":
                code = p.stdout.readline()
                out += code
                self.assertTrue(code.startswith("code: "), code)
                time.sleep(1.2)  # casectl polls meanwhile: pending
                OAUTH.admin("approve" if approve else "deny",
                            user_code=code[6:].strip())
            else:
                self.assertTrue(url.startswith(OAUTH.url + "/authorize?"),
                                url)
                with urllib.request.urlopen(url, timeout=20) as f:
                    f.read()
            rest, err = p.communicate(timeout=60)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        out += rest
        self.assertEqual(p.returncode, expect, out + err)
        self.assert_no_token(out + err, "casectl oauth login")
        return out

    def kick(self):
        """End every IMAP session of the user test (doveadm kick), ours
        too, which is opened again."""
        subprocess.run(["doveadm", "-c",
                        os.path.join(DOVECOT.dir, "dovecot.conf"), "kick",
                        "test"], check=True, stdout=subprocess.DEVNULL,
                       timeout=30)
        harness.logout(self.imap)
        self.imap = DOVECOT.login()

    def refused_imap_logins(self):
        """XOAUTH2 logins Dovecot refused so far (its log)."""
        with open(os.path.join(DOVECOT.dir, "dovecot.log"),
                  encoding="utf-8") as f:
            return sum(1 for line in f
                       if "auth failed" in line and "XOAUTH2" in line)

    def refresh_token(self):
        with open(self.rt_file, encoding="utf-8") as f:
            return f.read().strip()

    def assert_saved(self):
        """The refresh token file holds the server's newest refresh
        token, mode 0600."""
        st = os.stat(self.rt_file)
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
        self.assertEqual(self.refresh_token(),
                         OAUTH.stats()["last"]["refresh_token"])


class TestGrants(OAuth2Test):
    def test_client_credentials_once(self):
        self.new_mail("Pallet crushed")
        err = self.once()
        self.assertEqual(self.cases_now(), 1)
        self.assertEqual(self.count(self.box), 0)
        (ack,) = self.acks()
        self.assertEqual((ack["auth_user"], ack["auth_mech"]),
                         ("test", "XOAUTH2"))
        self.assertEqual(ack["rcpt_tos"], ["sam1@acme.test"])
        self.assertGreaterEqual(self.calls("client_credentials"), 1)
        self.assertEqual(self.calls("refresh_token"), 0)
        # Dovecot took the token through its oauth2 passdb.
        with open(os.path.join(DOVECOT.dir, "dovecot.log"),
                  encoding="utf-8") as f:
            self.assertIn("method=XOAUTH2", f.read())
        self.assert_no_token(err, "casemaild --once")
        self.assert_status_clean()
        # client_credentials needs no login, and says so.
        p = subprocess.run([harness.CASECTL, "-c", self.conf, "oauth",
                            "login"], capture_output=True, text=True,
                           env=self.env, timeout=60)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("no login", p.stdout + p.stderr)

    def test_check_connect(self):
        p = subprocess.run([harness.CASEMAILD, "-c", self.conf, "check",
                            "--connect"], capture_output=True, text=True,
                           env=self.env, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stderr, r"check: imap .*logged in as test "
                         r"\(oauth2\)")
        self.assertRegex(p.stderr, r"check: smtp .*logged in \(oauth2\)")
        self.assert_no_token(p.stderr, "casemaild check --connect")


class TestDevice(OAuth2Test):
    grant = "device"

    def test_device_login_then_once(self):
        self.assertFalse(os.path.exists(self.rt_file))
        out = self.login()
        self.assertIn(f"saved refresh token to {self.rt_file}", out)
        self.assert_saved()
        self.assertGreaterEqual(
            OAUTH.stats()["token_by_grant"][DEVICE_GRANT].get(
                "authorization_pending", 0), 1)
        self.new_mail("Device grant")
        err = self.once()
        self.assertEqual(self.cases_now(), 1)
        self.assertEqual(len(self.acks()), 1)
        self.assertGreaterEqual(self.calls("refresh_token"), 1)
        self.assert_no_token(err, "casemaild --once")
        self.assert_status_clean()

    def test_device_login_refused(self):
        out = self.login(expect=1, approve=False)
        self.assertNotIn("saved refresh token", out)
        self.assertFalse(os.path.exists(self.rt_file))
        self.assertEqual(OAUTH.stats()["token_by_grant"][DEVICE_GRANT]
                         .get("access_denied"), 1)

    def test_rotated_refresh_token_saved_and_used_after_restart(self):
        self.login()
        first = self.refresh_token()
        OAUTH.admin("config", rotate=True)
        self.new_mail("Rotation one")
        self.once()
        self.assertEqual(self.cases_now(), 1)
        # The server rotated it and retired the old one: the file holds
        # the new one (written atomically, still 0600).
        self.assertNotEqual(self.refresh_token(), first)
        self.assert_saved()
        self.assertNotIn(first, OAUTH.stats()["active_refresh_tokens"])
        # A restart reads the new one; the old one would be refused.
        self.new_mail("Rotation two")
        since = time.time()
        err = self.once()
        self.assertEqual(self.cases_now(), 2)
        self.assertEqual(len(self.acks()), 2)
        self.assertEqual(OAUTH.stats()["token_by_grant"]["refresh_token"]
                         .get("invalid_grant", 0), 0)
        self.assertGreaterEqual(self.calls("refresh_token", since), 1)
        self.assert_saved()
        self.assert_no_token(err, "casemaild --once")

    def idle_with_short_tokens(self):
        """The daemon idles with 2 s access tokens; once they are dead,
        both sessions end (an idle session outlives its token) and a mail
        comes, so it must log in again to each.  The time before that."""
        self.login()
        OAUTH.admin("config", access_lifetime=2)
        self.start()
        self.new_mail("Short tokens one")
        self.wait(lambda: self.cases_now() == 1, what="first case")
        self.wait(lambda: len(self.acks()) == 1, what="first ack")
        since = time.time()
        time.sleep(5)  # every token issued so far is dead now
        self.kick()
        self.sink.stop()
        self.sink.start(self.sink.port)
        self.new_mail("Short tokens two")
        self.wait(lambda: self.cases_now() == 2, what="second case")
        self.wait(lambda: len(self.acks()) == 2, what="second ack")
        return since

    def test_refresh_before_expiry_while_idle(self):
        refused = self.refused_imap_logins()
        since = self.idle_with_short_tokens()
        # New tokens came from the refresh grant, and Dovecot refused none:
        # a 2 s token is refreshed before use.
        self.assertGreaterEqual(self.calls("refresh_token", since), 2)
        self.assertEqual(self.refused_imap_logins(), refused)
        self.assertEqual(self.acks()[1]["auth_user"], "test")
        self.assert_status_clean()
        self.stop()
        self.assert_no_token(self.logtext(), "casemaild's stderr")

    # Every login offers the token oauth2_token() would hand out then
    # (smtp_connection_lost(), smtp_quit()).
    def test_smtp_login_again_takes_a_fresh_token(self):
        self.idle_with_short_tokens()
        self.assertTrue(all(a["ok"] for a in self.sink.auths()),
                        f"{self.sink.auths()}\n{self.logtext()}")

    def test_revoked_refresh_token_stops_without_spinning(self):
        self.login()
        OAUTH.admin("revoke", all="both")
        self.start()
        self.wait(lambda: "run casectl oauth login" in self.logtext(),
                  what="no rejection line")
        # One clear line, and no more calls while the file is unchanged.
        since = time.time()
        time.sleep(6)
        self.assertLessEqual(self.calls(since=since), 1, self.logtext())
        text = self.logtext()
        lines = [l for l in text.splitlines()
                 if "refresh token rejected" in l]
        self.assertEqual(len(lines), 1, text)
        self.assertIn("invalid_grant", lines[0])
        self.assertIsNone(self.proc.poll())
        status = self.ctl("status", json_out=False)
        self.assertIn("rejected", status)
        # A new login resumes the daemon without a restart.
        self.login()
        self.new_mail("After the new login")
        self.wait(lambda: self.cases_now() == 1, secs=40,
                  what="not resumed after the new login")
        self.stop()
        self.assert_no_token(self.logtext(), "casemaild's stderr")


class TestAuthorizationCode(OAuth2Test):
    grant = "authorization_code"

    def test_loopback_login_then_once(self):
        out = self.login()
        self.assertIn(f"saved refresh token to {self.rt_file}", out)
        self.assert_saved()
        by_grant = OAUTH.stats()["token_by_grant"]
        self.assertEqual(by_grant["authorization_code"], {"ok": 1})
        self.new_mail("Loopback grant")
        err = self.once()
        self.assertEqual(self.cases_now(), 1)
        self.assertEqual(self.acks()[0]["auth_user"], "test")
        self.assert_no_token(err, "casemaild --once")


class TestDaemon(OAuth2Test):
    def test_refresh_after_refused_token(self):
        self.start()
        self.new_mail("Before the revocation")
        self.wait(lambda: len(self.acks()) == 1, what="first ack")
        before = self.calls("client_credentials")
        # The server forgets every access token; casemaild still holds
        # one.  Kicking the IMAP session makes it log in again.
        OAUTH.admin("revoke", all="access")
        self.kick()
        self.new_mail("After the revocation")
        self.wait(lambda: self.cases_now() == 2, secs=30,
                  what="second case")
        self.wait(lambda: len(self.acks()) == 2, secs=30,
                  what="second ack")
        self.assertGreater(self.calls("client_credentials"), before)
        self.assertEqual(self.acks()[1]["auth_user"], "test")
        self.stop()
        self.assert_no_token(self.logtext(), "casemaild's stderr")

    def test_smtp_receiver_restart_opens_a_new_session(self):
        # The kept SMTP session's token is current, but its connection is
        # gone: the session does not connect (and log in) again by itself
        # (smtp_connection_lost()); the outbox opens a new one at once.
        self.start()
        self.new_mail("Before the receiver restart")
        self.wait(lambda: len(self.acks()) == 1, what="first ack")
        self.sink.stop()
        self.sink.start(self.sink.port)
        self.new_mail("After the receiver restart")
        self.wait(lambda: len(self.acks()) == 2, secs=30, what="second ack")
        text = self.logtext()
        self.assertTrue(all(a["ok"] for a in self.sink.auths()),
                        f"{self.sink.auths()}\n{text}")
        self.assertNotIn("SMTP sessions", text)
        self.assertNotIn("mail stays queued", text)
        self.stop()

    def test_token_endpoint_down_backs_off_and_resumes(self):
        OAUTH.admin("config", down=True)
        self.start()
        self.wait(lambda: self.calls() >= 1, what="no /token call")
        since = time.time()
        time.sleep(8)
        n = self.calls(since=since)
        # Backoff from 2 s doubling: 8 s hold at most 3 or 4 tries, a
        # busy loop hundreds.
        self.assertLessEqual(n, 4, self.logtext())
        self.assertIsNone(self.proc.poll())
        OAUTH.admin("config", down=False)
        self.new_mail("After the outage")
        # The next try comes within the capped backoff (16 s here).
        self.wait(lambda: self.cases_now() == 1, secs=45,
                  what="not resumed after the outage")
        self.wait(lambda: len(self.acks()) == 1, secs=20, what="no ack")
        self.stop()
        text = self.logtext()
        self.assertIn("access token obtained", text)
        self.assert_no_token(text, "casemaild's stderr")


def main():
    global DOVECOT, OAUTH
    if not harness.take_args("usage: test_oauth2.py CASEMAILD CASECTL "
                             "TEMPLATES", 3):
        return 2
    OAUTH = harness.OAuthServer().start()
    try:
        with harness.dovecot_for_run("casemail-oauth2-imap.",
                                     OAUTH.introspect_url) as DOVECOT:
            return harness.unittest_main()
    finally:
        OAUTH.stop()


if __name__ == "__main__":
    sys.exit(main())
