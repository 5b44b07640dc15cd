#!/usr/bin/python3
"""Crash safety of the sender: SIGKILL `casemaild send` mid-queue.

Usage: test_outbox_crash.py CASEMAILD CASECTL [MAILS] [SEED]

Mail arriving on a case with several watchers queues notifications
(`casemaild ingest` from a Maildir, no IMAP needed).  `casemaild send` is
started again and again against a local SMTP receiver and killed with
SIGKILL after a random delay, until a run finishes on its own.  Then every
queued mail must have reached the receiver (at least once: a kill between
the SMTP transaction and its commit resends with the same Message-ID),
and the outbox must be empty.
"""

import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness  # noqa: E402

KILLS = 25


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    casemaild, casectl = map(os.path.abspath, sys.argv[1:3])
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 150
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else int(time.time())
    rng = random.Random(seed)
    print(f"outbox crash test: {n} mails, seed {seed}")
    top = tempfile.mkdtemp(prefix="casemail-obcrash.")
    sink = harness.Sink(os.path.join(top, "sink")).start()
    try:
        return run(casemaild, casectl, top, sink, n, rng)
    finally:
        sink.stop()
        shutil.rmtree(top, ignore_errors=True)


def write_maildir(md, msgs):
    """A fresh Maildir at md holding msgs in new/, in order."""
    shutil.rmtree(md, ignore_errors=True)
    for sub in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(md, sub))
    for i, m in enumerate(msgs):
        with open(os.path.join(md, "new", f"{i:04d}.eml"), "wb") as f:
            f.write(m.as_bytes())


def run(casemaild, casectl, top, sink, n, rng):
    conf = os.path.join(top, "casemail.conf")
    with open(conf, "w") as f:
        f.write(f"""[case]
address = cases@desk.example
organization_domains = desk.example
templates = {os.path.join(HERE, "..", "..", "templates")}
max_messages_per_hour = 100000
[store]
database = {top}/cases.db
attachments = {top}/att
[smtp]
url = smtp://127.0.0.1:{sink.port}
limit_per_case_hour = 100000
limit_global_hour = 1000000
""")
    env = dict(os.environ, CASEMAIL_USER="anna@desk.example")
    md = os.path.join(top, "md")
    write_maildir(md, [harness.mail("sam@acme.test", harness.DESK,
                                    "Damaged pallets", "Opening the case.",
                                    msgid="<root@acme.test>", date=False)])
    subprocess.run([casemaild, "-c", conf, "ingest", md], check=True,
                   env=env, capture_output=True)
    for w in range(3):
        subprocess.run([casectl, "-c", conf, "watch", "CV1", "--user",
                        f"watcher{w}@desk.example"], check=True, env=env,
                       capture_output=True)
    write_maildir(md, [harness.mail("sam@acme.test", harness.DESK,
                                    f"Re: [CV000001] update {i}",
                                    f"Update {i}.",
                                    msgid=f"<upd{i}@acme.test>", date=False)
                       for i in range(n)])
    subprocess.run([casemaild, "-c", conf, "ingest", md], check=True,
                   env=env, capture_output=True)
    db = sqlite3.connect(os.path.join(top, "cases.db"))
    queued = {r[0] for r in db.execute("SELECT message_id FROM outbox")}
    db.close()
    print(f"{len(queued)} mails queued")

    kills, rc, err = harness.kill_loop([casemaild, "-c", conf, "send"], rng,
                                       KILLS, 0.08, 10.0)
    if rc:
        print(f"casemaild send exited {rc}:\n{err}")
        return 1
    print(f"{kills} runs killed with SIGKILL before one finished")

    got = {}
    for j in sink.envelopes():
        head = harness.eml_of(j).split(b"\n\n", 1)[0].decode(errors="replace")
        for line in head.replace("\r", "").split("\n"):
            if line.lower().startswith("message-id:"):
                mid = line.split(":", 1)[1].strip()
                got[mid] = got.get(mid, 0) + 1
    missing = queued - set(got)
    dups = sum(c - 1 for c in got.values())
    db = sqlite3.connect(os.path.join(top, "cases.db"))
    left = db.execute("SELECT count(*) FROM outbox WHERE state = 'queued'"
                      ).fetchone()[0]
    pending = db.execute("SELECT count(*) FROM outbox_rcpts WHERE state <>"
                         " 'sent'").fetchone()[0]
    print(f"received {len(got)} distinct mails, {dups} resent after a kill; "
          f"{left} still queued, {pending} recipients not sent")
    if missing:
        print(f"FAIL: {len(missing)} queued mails never arrived, e.g. "
              f"{sorted(missing)[:3]}")
    return 1 if missing or left or pending else 0


if __name__ == "__main__":
    sys.exit(main())
