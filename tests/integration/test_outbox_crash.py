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

import email.message
import email.utils
import glob
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SINK = os.path.join(HERE, "smtpsink.py")
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
    sink = os.path.join(top, "sink")
    os.makedirs(sink)
    subprocess.run(["/usr/bin/python3", SINK, sink, "--daemon"], check=True,
                   timeout=60)
    try:
        return run(casemaild, casectl, top, sink, n, rng)
    finally:
        subprocess.run(["/usr/bin/python3", SINK, sink, "--stop"], timeout=60)
        shutil.rmtree(top, ignore_errors=True)


def run(casemaild, casectl, top, sink, n, rng):
    with open(os.path.join(sink, "port")) as f:
        port = f.read().strip()
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
url = smtp://127.0.0.1:{port}
limit_per_case_hour = 100000
limit_global_hour = 1000000
""")
    env = dict(os.environ, CASEMAIL_USER="anna@desk.example")
    md = os.path.join(top, "md")
    for sub in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(md, sub))
    first = email.message.EmailMessage()
    first["From"] = "sam@acme.test"
    first["To"] = "cases@desk.example"
    first["Subject"] = "Damaged pallets"
    first["Message-ID"] = "<root@acme.test>"
    first.set_content("Opening the case.")
    with open(os.path.join(md, "new", "0000.eml"), "wb") as f:
        f.write(first.as_bytes())
    subprocess.run([casemaild, "-c", conf, "ingest", md], check=True,
                   env=env, capture_output=True)
    for w in range(3):
        subprocess.run([casectl, "-c", conf, "watch", "CV1", "--user",
                        f"watcher{w}@desk.example"], check=True, env=env,
                       capture_output=True)
    shutil.rmtree(md)
    for sub in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(md, sub))
    for i in range(n):
        m = email.message.EmailMessage()
        m["From"] = "sam@acme.test"
        m["To"] = "cases@desk.example"
        m["Subject"] = f"Re: [CV000001] update {i}"
        m["Message-ID"] = f"<upd{i}@acme.test>"
        m.set_content(f"Update {i}.")
        with open(os.path.join(md, "new", f"{i + 1:04d}.eml"), "wb") as f:
            f.write(m.as_bytes())
    subprocess.run([casemaild, "-c", conf, "ingest", md], check=True,
                   env=env, capture_output=True)
    db = sqlite3.connect(os.path.join(top, "cases.db"))
    queued = {r[0] for r in db.execute("SELECT message_id FROM outbox")}
    db.close()
    print(f"{len(queued)} mails queued")

    kills = 0
    for attempt in range(1000):
        p = subprocess.Popen([casemaild, "-c", conf, "send"],
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
        delay = rng.uniform(0.0, 0.08 if attempt < KILLS else 10.0)
        try:
            p.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGKILL)
            p.wait()
            kills += 1
            continue
        err = p.stderr.read()
        if p.returncode != 0:
            print(f"casemaild send exited {p.returncode}:\n{err}")
            return 1
        break
    print(f"{kills} runs killed with SIGKILL before one finished")

    got = {}
    for j in glob.glob(os.path.join(sink, "mail", "*.json")):
        with open(j[:-5] + ".eml", "rb") as f:
            head = f.read().split(b"\n\n", 1)[0].decode(errors="replace")
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
