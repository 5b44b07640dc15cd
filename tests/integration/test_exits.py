#!/usr/bin/env python3
"""test_exits.py - `casemaild ingest` as a mail transfer agent's pipe
(issue 13, item 5): 0 when the message is kept, 65 only when its content is
refused, 75 for every other failure, so that Postfix and Exim defer the
mail instead of bouncing it.

usage: test_exits.py PATH/TO/casemaild PATH/TO/casectl
"""

import os
import shutil
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

EX_DATAERR, EX_TEMPFAIL = 65, 75


class IngestExits(harness.DeskTest):
    def setUp(self):
        self.desk_setup("casemail-exits-")
        os.chmod(self.dir, 0o755)
        self.write_desk_conf(tail="[store]\nbusy_timeout_ms = 100\n")

    def tearDown(self):
        self.desk_teardown()

    def pipe(self, raw, expect, conf=None, prefix=()):
        """Feed raw to `casemaild -c CONF ingest` on stdin, as Postfix's
        pipe(8) does; the exit status must be expect.  Returns stderr."""
        argv = list(prefix) + [harness.CASEMAILD, "-c", conf or self.conf,
                               "ingest"]
        p = subprocess.run(argv, input=raw, capture_output=True,
                           env=self.env, timeout=60)
        err = p.stderr.decode(errors="replace")
        self.assertEqual(p.returncode, expect, f"rc={p.returncode}\n{err}")
        return err

    def message(self, subject="Damaged pallet"):
        return harness.verified(harness.mail(harness.SHIPPER, harness.DESK,
                                             subject))

    def stored(self):
        db = sqlite3.connect(os.path.join(self.dir, "cases.db"))
        try:
            return db.execute("SELECT count(*) FROM messages").fetchone()[0]
        finally:
            db.close()

    def conf_with_db(self, database):
        """A second configuration naming another database."""
        path = os.path.join(self.dir, "other.conf")
        with open(self.conf, encoding="utf-8") as f:
            text = f.read()
        text = text.replace("database = cases.db", f"database = {database}")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def test_kept_is_0(self):
        self.pipe(self.message(), 0)
        self.assertEqual(self.stored(), 1)
        # Held, duplicate: kept all the same.
        raw = self.message("again")
        self.pipe(raw, 0)
        self.pipe(raw, 0)

    def test_refused_content_is_65(self):
        err = self.pipe(b"", EX_DATAERR)
        self.assertIn("not an RFC 5322 message", err)
        self.pipe(b"no header here\r\n" * 10, EX_DATAERR)

    def test_missing_config_is_75(self):
        err = self.pipe(self.message(), EX_TEMPFAIL,
                        conf=os.path.join(self.dir, "nope.conf"))
        self.assertIn("nope.conf", err)

    def test_bad_config_is_75(self):
        with open(self.conf, "a", encoding="utf-8") as f:
            f.write("[case]\nno_such_key = 1\n")
        self.pipe(self.message(), EX_TEMPFAIL)

    def test_bad_option_is_75(self):
        p = subprocess.run([harness.CASEMAILD, "--bogus", "-c", self.conf,
                            "ingest"], input=self.message(),
                           capture_output=True, env=self.env, timeout=60)
        self.assertEqual(p.returncode, EX_TEMPFAIL, p.stderr)

    def test_missing_database_directory_is_75(self):
        conf = self.conf_with_db(os.path.join(self.dir, "gone", "x.db"))
        err = self.pipe(self.message(), EX_TEMPFAIL, conf=conf)
        self.assertIn("gone", err)
        # Once the directory is back, the retried message is kept.
        os.mkdir(os.path.join(self.dir, "gone"))
        self.pipe(self.message(), 0, conf=conf)

    def test_database_is_a_directory_is_75(self):
        # Fails for root as well: nobody can open a directory as a
        # database (permissions alone do not stop root).
        os.mkdir(os.path.join(self.dir, "dir.db"))
        conf = self.conf_with_db(os.path.join(self.dir, "dir.db"))
        self.pipe(self.message(), EX_TEMPFAIL, conf=conf)

    def test_database_under_a_file_is_75(self):
        # A path through a regular file: ENOTDIR, for root too.
        open(os.path.join(self.dir, "plain"), "w").close()
        conf = self.conf_with_db(os.path.join(self.dir, "plain", "x.db"))
        self.pipe(self.message(), EX_TEMPFAIL, conf=conf)

    def test_locked_store_is_75(self):
        self.pipe(self.message(), 0)
        db = sqlite3.connect(os.path.join(self.dir, "cases.db"),
                             isolation_level=None)
        try:
            db.execute("BEGIN EXCLUSIVE")
            err = self.pipe(self.message("second"), EX_TEMPFAIL)
            self.assertIn("busy", err)
        finally:
            db.close()
        self.pipe(self.message("second"), 0)
        self.assertEqual(self.stored(), 2)

    def test_read_only_store_is_75(self):
        """A store the pipe's user cannot write: before, exit 74 (Postfix:
        a bounce, 5.3.0).  Root ignores file modes, so as root the
        command runs as nobody (setpriv); otherwise the modes suffice."""
        self.pipe(self.message(), 0)
        prefix = ()
        if os.getuid() == 0:
            if not shutil.which("setpriv"):
                self.skipTest("root without setpriv: cannot drop privileges")
            prefix = ("setpriv", "--reuid=65534", "--regid=65534",
                      "--clear-groups")
        os.chmod(self.conf, 0o644)
        for name in os.listdir(self.dir):
            path = os.path.join(self.dir, name)
            os.chmod(path, 0o755 if os.path.isdir(path) else 0o444)
        os.chmod(self.dir, 0o555)
        try:
            err = self.pipe(self.message("second"), EX_TEMPFAIL,
                            prefix=prefix)
            self.assertRegex(err, "read-only|cannot open|unable to open|"
                             "permission|Permission")
        finally:
            os.chmod(self.dir, 0o755)
        self.assertEqual(self.stored(), 1)

    def test_unreadable_operand_is_75(self):
        # Not a message's content: try again, never bounce.
        p = subprocess.run([harness.CASEMAILD, "-c", self.conf, "ingest",
                            os.path.join(self.dir, "missing.eml")],
                           capture_output=True, env=self.env, timeout=60)
        self.assertEqual(p.returncode, EX_TEMPFAIL, p.stderr)


def main():
    if not harness.take_args(__doc__.strip().splitlines()[-1], 2):
        return 2
    return harness.unittest_main()


if __name__ == "__main__":
    sys.exit(main())
