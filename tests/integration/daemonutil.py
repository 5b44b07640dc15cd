"""daemonutil.py - what the test servers smtpsink.py and oauthsrv.py share.

Each runs detached with --daemon (stdio to a log file) and writes
DIR/port once it accepts connections and DIR/pid while it runs; --stop
sends SIGTERM to DIR/pid and waits until the process is gone.  Standard
library only.
"""

import os
import signal
import sys
import time

START_TIMEOUT_SECS = 10
STOP_TIMEOUT_SECS = 10


def write_atomic(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def remove_quietly(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def daemonize(directory, log_name):
    """Fork; the parent exits 0 once DIR/port exists, 1 if the child died
    or took too long.  The child goes on detached, stdout and stderr
    appended to DIR/log_name."""
    pid = os.fork()
    if pid > 0:
        deadline = time.monotonic() + START_TIMEOUT_SECS
        while time.monotonic() < deadline:
            if os.path.exists(os.path.join(directory, "port")):
                os._exit(0)
            if os.waitpid(pid, os.WNOHANG)[0] != 0:
                os._exit(1)
            time.sleep(0.02)
        os._exit(1)
    os.setsid()
    null = os.open(os.devnull, os.O_RDONLY)
    log = os.open(os.path.join(directory, log_name),
                  os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(null)
    os.close(log)


def stop_daemon(directory, name):
    """SIGTERM to DIR/pid, then wait until it is gone: 0, or 1 when it
    did not stop in time (name says who, on stderr)."""
    try:
        with open(os.path.join(directory, "pid")) as f:
            pid = int(f.read())
        os.kill(pid, signal.SIGTERM)
    except (FileNotFoundError, ProcessLookupError, ValueError):
        return 0
    deadline = time.monotonic() + STOP_TIMEOUT_SECS
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return 0
        time.sleep(0.02)
    print("%s: pid %d did not stop" % (name, pid), file=sys.stderr)
    return 1
