#!/usr/bin/env python3
"""test_imap_errors.py - an administrator's first `casemaild --once`
against a server that is not there (issue 15, item 7): the error says which
of unknown host / refused / timed out / TLS / no greeting happened, and no
poll summary is printed as if the poll had worked.  Every server here is a
socket of the test's own on 127.0.0.1, or none.

usage: test_imap_errors.py PATH/TO/casemaild PATH/TO/casectl
"""

import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

EX_TEMPFAIL = 75


class Listener:
    """A TCP socket on 127.0.0.1 that accepts and then, by mode, keeps the
    connection silent ("silent") or closes it at once ("close")."""

    def __init__(self, mode):
        self.mode = mode
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            if self.mode == "close":
                conn.close()
            else:
                self.conns.append(conn)

    def close(self):
        self.sock.close()
        for c in self.conns:
            c.close()


def closed_port():
    """A port on 127.0.0.1 that nothing listens on (bound, then freed)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class ImapConnectErrors(harness.DeskTest):
    def setUp(self):
        self.desk_setup("casemail-imaperr-")
        self.listener = None

    def tearDown(self):
        if self.listener is not None:
            self.listener.close()
        self.desk_teardown()

    def imap_conf(self, port, tls="none", host=None, timeout=1):
        self.write_desk_conf(imap_port=port, tls=tls,
                             imap=f"timeout = {timeout}\ntls_verify = no\n")
        if host is not None:
            with open(self.conf, encoding="utf-8") as f:
                text = f.read()
            with open(self.conf, "w", encoding="utf-8") as f:
                f.write(text.replace("host = 127.0.0.1", f"host = {host}"))

    def failed_once(self, *words):
        err = self.once(expect=EX_TEMPFAIL)
        lines = [l for l in err.splitlines() if "connect failed" in l]
        self.assertEqual(len(lines), 1, err)
        for w in words:
            self.assertIn(w, lines[0])
        # Nothing was fetched: no summary as if the poll had worked.
        self.assertNotIn(" stored, ", err)
        return lines[0]

    def test_refused(self):
        port = closed_port()
        self.imap_conf(port)
        line = self.failed_once(f"127.0.0.1:{port}: connect failed: "
                                "connection refused")
        self.assertNotIn("unknown host", line)

    def test_unknown_host(self):
        # RFC 2606: .invalid never resolves.  TLS, so no cleartext check.
        self.imap_conf(993, tls="imaps", host="imap.casemail-test.invalid")
        self.failed_once("imap.casemail-test.invalid:993: connect failed: "
                         "unknown host")

    def test_timeout(self):
        self.listener = Listener("silent")
        self.imap_conf(self.listener.port, timeout=1)
        start = time.monotonic()
        self.failed_once("connect failed: timed out",
                         "no answer within 1 s")
        self.assertLess(time.monotonic() - start, 30)

    def test_timeout_in_tls(self):
        self.listener = Listener("silent")
        self.imap_conf(self.listener.port, tls="imaps", timeout=1)
        self.failed_once("connect failed: timed out")

    def test_tls_handshake(self):
        self.listener = Listener("close")
        self.imap_conf(self.listener.port, tls="imaps", timeout=5)
        self.failed_once("connect failed: TLS handshake failed")

    def test_no_greeting(self):
        self.listener = Listener("close")
        self.imap_conf(self.listener.port, timeout=5)
        self.failed_once("connect failed: connected, but no IMAP greeting")


if __name__ == "__main__":
    if not harness.take_args(__doc__.strip().splitlines()[-1], 2):
        sys.exit(2)
    sys.exit(harness.unittest_main())
