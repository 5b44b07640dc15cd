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

import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

KILLS = 30  # runs given a short random life before one may finish


def build_messages(n, rng):
    msgs, roots = [], []
    for i in range(n):
        sender = f"user{rng.randrange(20)}@shipper{rng.randrange(3)}.test"
        msgid = f"<crash{i}.{rng.randrange(1 << 30)}@mua.test>"
        parent = None
        if roots and rng.random() < 0.7:
            parent, subject = rng.choice(roots)
            subject = "Re: " + subject
        else:
            subject = f"Shipment {i} delayed"
            roots.append((msgid, subject))
        msgs.append(harness.mail(
            sender, harness.DESK, subject,
            f"Message {i}.\n" + "Lorem ipsum dolor sit amet. " * 20,
            msgid=msgid, in_reply_to=parent, references=parent))
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
    dovecot = harness.Dovecot(os.path.join(top, "imap"))
    try:
        return run(casemaild, top, dovecot.start(), n, rng)
    finally:
        dovecot.stop()
        shutil.rmtree(top, ignore_errors=True)


def run(casemaild, top, dovecot, n, rng):
    pw = harness.write_password(top, "pw")
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
port = {dovecot.port}
tls = none
user = test
password_file = {pw}
idle = no
batch = 25
""")
    msgs = build_messages(n, rng)
    imap = dovecot.login()
    for m in msgs:
        typ, _ = imap.append("INBOX", None, None, m.as_bytes())
        assert typ == "OK"

    # Short random lives first (start-up, mid-batch, mid-commit,
    # mid-move), then longer ones until a run completes and leaves the
    # mailbox empty.
    kills, rc, err = harness.kill_loop(
        [casemaild, "-c", conf, "--once"], rng, KILLS, 0.15, 5.0,
        finished=lambda: imap_count(imap, "INBOX") == 0)
    if rc is None:
        print("casemaild never finished a run")
        return 1
    if rc != 0:
        print(f"casemaild exited {rc}:\n{err}")
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
