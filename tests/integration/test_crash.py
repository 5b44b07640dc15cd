#!/usr/bin/python3
"""Crash safety: SIGKILL casemaild at random moments while it ingests.

Usage: test_crash.py CASEMAILD [MESSAGES] [SEED]

A private Dovecot on 127.0.0.1 gets MESSAGES mails (new conversations and
replies threaded by In-Reply-To).  `casemaild --once` is started again and
again and killed with SIGKILL after a random delay, until one run finishes
on its own.  Then every Message-ID must be stored exactly once (on a case
or held for review), the mailbox must be empty, and Processed + Review
must hold each message exactly once.
"""

import email.message
import email.utils
import imaplib
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
DOVECOT_SH = os.path.join(HERE, "dovecot.sh")
KILLS = 30  # runs given a short random life before one may finish


def build_messages(n, rng):
    msgs, roots = [], []
    for i in range(n):
        m = email.message.EmailMessage()
        sender = f"user{rng.randrange(20)}@shipper{rng.randrange(3)}.test"
        m["From"] = sender
        m["To"] = "cases@desk.example"
        m["Date"] = email.utils.formatdate()
        m["Message-ID"] = f"<crash{i}.{rng.randrange(1 << 30)}@mua.test>"
        if roots and rng.random() < 0.7:
            root = rng.choice(roots)
            m["Subject"] = "Re: " + root[1]
            m["In-Reply-To"] = root[0]
            m["References"] = root[0]
        else:
            m["Subject"] = f"Shipment {i} delayed"
            roots.append((m["Message-ID"], m["Subject"]))
        m.set_content(f"Message {i}.\n" + "Lorem ipsum dolor sit amet. " * 20)
        msgs.append(m)
    return msgs


def imap_count(imap, box):
    typ, data = imap.select(box, readonly=True)
    assert typ == "OK", (box, data)
    return int(data[0])


def imap_message_ids(imap, box):
    imap.select(box, readonly=True)
    typ, data = imap.uid("FETCH", "1:*", "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
    ids = []
    for item in data:
        if isinstance(item, tuple):
            line = item[1].decode().strip()
            if line:
                ids.append(line.split(":", 1)[1].strip())
    return ids


def main():
    if len(sys.argv) < 2:
        print("usage: test_crash.py CASEMAILD [MESSAGES] [SEED]",
              file=sys.stderr)
        return 2
    casemaild = os.path.abspath(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else int(time.time())
    rng = random.Random(seed)
    print(f"crash test: {n} messages, seed {seed}")
    top = tempfile.mkdtemp(prefix="casemail-crash.")
    os.chmod(top, 0o755)  # Dovecot's processes must traverse it
    imapdir = os.path.join(top, "imap")
    subprocess.run([DOVECOT_SH, "start", imapdir], check=True,
                   stdout=subprocess.DEVNULL, timeout=120)
    try:
        return run(casemaild, top, imapdir, n, rng)
    finally:
        subprocess.run([DOVECOT_SH, "stop", imapdir], timeout=60)
        shutil.rmtree(top, ignore_errors=True)


def run(casemaild, top, imapdir, n, rng):
    env = {}
    with open(os.path.join(imapdir, "env"), encoding="utf-8") as f:
        for line in f:
            k, _, v = line.strip().partition("=")
            env[k] = v
    pw = os.path.join(top, "pw")
    with open(pw, "w", encoding="utf-8") as f:
        f.write("secret\n")
    os.chmod(pw, 0o600)
    conf = os.path.join(top, "casemail.conf")
    with open(conf, "w", encoding="utf-8") as f:
        f.write(f"""[case]
address = cases@desk.example
organization_domains = desk.example
accept_from = anyone
max_messages_per_hour = 100000
[store]
database = {top}/cases.db
attachments = {top}/attachments
[imap]
host = 127.0.0.1
port = {env["IMAP_PORT"]}
tls = none
user = test
password_file = {pw}
idle = no
batch = 25
""")
    msgs = build_messages(n, rng)
    imap = imaplib.IMAP4("127.0.0.1", int(env["IMAP_PORT"]))
    imap.login("test", "secret")
    for m in msgs:
        typ, _ = imap.append("INBOX", None, None, m.as_bytes())
        assert typ == "OK"

    kills = 0
    for attempt in range(1000):
        p = subprocess.Popen([casemaild, "-c", conf, "--once"],
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
        # Short random lives first (start-up, mid-batch, mid-commit,
        # mid-move), then longer ones until a run completes.
        delay = rng.uniform(0.0, 0.15 if attempt < KILLS else 5.0)
        try:
            p.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGKILL)
            p.wait()
            kills += 1
            continue
        err = p.stderr.read()
        if p.returncode != 0:
            print(f"casemaild exited {p.returncode}:\n{err}")
            return 1
        if imap_count(imap, "INBOX") == 0:
            break
    else:
        print("casemaild never finished a run")
        return 1
    print(f"{kills} runs killed with SIGKILL before one finished")

    db = sqlite3.connect(os.path.join(top, "cases.db"))
    rows = db.execute("SELECT message_id, state FROM messages").fetchall()
    stored = {}
    for mid, state in rows:
        stored[mid] = stored.get(mid, 0) + 1
    want = [m["Message-ID"] for m in msgs]
    problems = []
    for mid in want:
        if stored.get(mid, 0) != 1:
            problems.append(f"{mid} stored {stored.get(mid, 0)} times")
    extra = set(stored) - set(want)
    if extra:
        problems.append(f"unexpected messages stored: {sorted(extra)[:5]}")
    on_server = (imap_message_ids(imap, "Processed") +
                 imap_message_ids(imap, "Review"))
    if sorted(on_server) != sorted(want):
        problems.append(f"Processed+Review hold {len(on_server)} messages "
                        f"({len(set(on_server))} distinct), expected {n}")
    if imap_count(imap, "INBOX") != 0:
        problems.append("INBOX is not empty")
    cases = db.execute("SELECT count(*) FROM cases").fetchone()[0]
    print(f"{len(rows)} messages stored on {cases} cases; "
          f"{len(on_server)} moved on the server")
    imap.logout()
    for p in problems[:20]:
        print("FAIL:", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
