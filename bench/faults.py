"""Run the portal under faults and count what happened to every request and message.

    python -m bench.faults [--students 40] [--seconds 60] [--workers 3]

A throwaway PostgreSQL server, gunicorn serving the portal, students signing in, booking,
cancelling and booking again from threads, two `rec send-mail` loops running at once
against a local SMTP server that refuses some recipients for good (550), some for a while
(451), has no SMTPUTF8 (an address with an accent), answers some messages late and drops the
connection after some messages' data. Meanwhile, on a timetable: a session row is locked
by another transaction, PostgreSQL is restarted, a gunicorn worker is killed, and every
portal connection is terminated. At the end the outbox is drained and the script prints:
messages queued, delivered, failed, unconfirmed, duplicated; HTTP responses by status and
whether any 5xx was a bare error (not the portal's own page); and whether any session holds
more confirmed places than it has.

Not part of the test suite: it takes a few minutes and prints figures for a person to read.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import http.client
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD = "blue-kettle-morning-42"
CAPACITY = 5
SESSIONS = 6


# ---------------------------------------------------------------- the mail server
class FaultyInbox:
    """aiosmtpd handler: refuses, delays and drops by recipient address."""

    def __init__(self, late_seconds: float):
        self.late_seconds = late_seconds
        self.received: list[tuple[str, str]] = []  # (Message-ID, recipient)
        self.seen_temp: set[str] = set()
        self.dropped: set[str] = set()
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refuse"):
            return "550 5.1.1 No such mailbox"
        if address.startswith("temp"):
            with self.lock:
                first = address not in self.seen_temp
                self.seen_temp.add(address)
            if first:
                return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        text = envelope.content.decode("utf8", errors="replace")
        match = re.search(r"^Message-ID:\s*(\S+)", text, re.M | re.I)
        message_id = match.group(1) if match else "(none)"
        rcpt = envelope.rcpt_tos[0]
        if rcpt.startswith("drop"):
            with self.lock:
                first = rcpt not in self.dropped
                self.dropped.add(rcpt)
            if first:
                # The data arrived; the connection drops before the answer. The server
                # did not keep it: a retry would be the only copy (or the message waits
                # for staff as "not confirmed").
                server.transport.close()
                return None
        if rcpt.startswith("slow"):
            await asyncio.sleep(self.late_seconds)
        with self.lock:
            self.received.append((message_id, rcpt))
        return "250 2.0.0 Accepted"


def start_smtp(late_seconds: float, port: int):
    from aiosmtpd.controller import Controller

    inbox = FaultyInbox(late_seconds)
    controller = Controller(inbox, hostname="127.0.0.1", port=port, enable_SMTPUTF8=False)
    controller.start()
    return controller, inbox


# ---------------------------------------------------------------- an HTTP client
class Browser:
    """One person's browser: a cookie, no redirects followed, every response counted."""

    def __init__(self, port: int, tally):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.tally = tally

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str, str]:
        body = urlencode(form) if form is not None else None
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf8", errors="replace")
        except (OSError, http.client.HTTPException) as exc:
            self.tally.record(method, path, None, f"{type(exc).__name__}")
            return 0, "", ""
        finally:
            conn.close()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        self.tally.record(method, path, response.status, text)
        return response.status, response.getheader("Location") or "", text

    def csrf(self, path: str) -> tuple[str | None, str]:
        status, _, text = self.request("GET", path)
        match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', text)
        return (match.group(1) if match else None), text


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.statuses: collections.Counter = collections.Counter()
        self.bare_5xx: list[tuple[str, str, int, str]] = []
        self.friendly_5xx: collections.Counter = collections.Counter()
        self.no_answer: collections.Counter = collections.Counter()

    def record(self, method, path, status, text):
        with self.lock:
            if status is None:
                self.no_answer[text] += 1
                return
            self.statuses[status] += 1
            if status >= 500:
                # The portal's own pages (error, busy) carry its NHS.UK header.
                if "nhsuk-header" in text:
                    self.friendly_5xx[status] += 1
                else:
                    self.bare_5xx.append((method, re.sub(r"\d+", "N", path), status, text[:120]))


# ---------------------------------------------------------------- set-up
def env_for(database_url: str, smtp_port: int) -> dict:
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": database_url,
        "REC_ENV": "development",
        "SECRET_KEY": "faults-run-secret-key",
        "REC_RATELIMIT_ENABLED": "0",
        "REC_SMTP_HOST": "127.0.0.1",
        "REC_SMTP_PORT": str(smtp_port),
        "REC_SMTP_STARTTLS": "0",
        "REC_SMTP_TIMEOUT": "2",
        "REC_SMTP_DATA_TIMEOUT": "30",
        "REC_LOG_LEVEL": "WARNING",
    })
    return env


def flask(env, *args, check=True, timeout=300):
    return subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout, check=check)


def make_people(database_url: str, students: int) -> tuple[str, list[str]]:
    """One course with a few small sessions in three days; students whose addresses ask
    the mail server for each fault."""
    os.environ["DATABASE_URL"] = database_url
    from rec_portal import create_app
    from rec_portal.passwords import hash_password
    from rec_portal.extensions import db
    from rec_portal.models import Course, CourseSession, User, UserRole
    from rec_portal.timeutil import utcnow

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "REC_SMTP_HOST": None})
    kinds = ["student", "student", "student", "refuse", "temp", "slow", "drop", "zoë"]
    emails = [f"{kinds[i % len(kinds)]}{i}@example.org" for i in range(students)]
    with app.app_context():
        password_hash = hash_password(PASSWORD)
        course = Course(slug="staying-safe-faults", title="Staying Safe", summary="A day course.",
                        status="published")
        db.session.add(course)
        db.session.flush()
        start = (utcnow() + timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
        for n in range(SESSIONS):
            db.session.add(CourseSession(course_id=course.id, starts_at=start + timedelta(days=7 * n),
                                         ends_at=start + timedelta(days=7 * n, hours=5),
                                         capacity=CAPACITY, venue="Room 1"))
        for i, email in enumerate(emails):
            user = User(email=email, full_name=f"Student {i}", preferred_name=f"S{i}",
                        password_hash=password_hash, privacy_consent_at=utcnow())
            user.roles = [UserRole(role="student")]
            db.session.add(user)
        db.session.commit()
        db.engine.dispose()
    return "staying-safe-faults", emails


# ---------------------------------------------------------------- what students do
def student_loop(port: int, email: str, slug: str, deadline: float, tally: Tally, rng: random.Random):
    b = Browser(port, tally)
    for _ in range(5):  # the database may be restarting: try to sign in a few times
        token, _ = b.csrf("/login")
        if token:
            status, location, _ = b.request("POST", "/login", {"csrf_token": token, "email": email,
                                                               "password": PASSWORD})
            if status == 302:
                break
        time.sleep(1)
    else:
        return
    while time.time() < deadline:
        token, page = b.csrf(f"/courses/{slug}")
        sessions = re.findall(r'action="/sessions/(\d+)/book"', page)
        if token and sessions:
            b.request("POST", f"/sessions/{rng.choice(sessions)}/book",
                      {"csrf_token": token, "same_course": "keep"})
        if rng.random() < 0.5:
            token, page = b.csrf("/my/courses")
            cancels = re.findall(r'href="/my/courses/(\d+)/cancel"', page)
            if token and cancels:
                b.request("POST", f"/my/courses/{rng.choice(cancels)}/cancel", {"csrf_token": token})
        time.sleep(rng.uniform(0.05, 0.3))


def mail_loop(env, stop: threading.Event, outputs: list):
    while not stop.is_set():
        result = flask(env, "rec", "send-mail", check=False, timeout=600)
        outputs.append(result.stdout.strip() or result.stderr.strip()[-200:])
        stop.wait(1)


# ---------------------------------------------------------------- faults
def lock_a_session(database_url: str, seconds: float, log):
    import psycopg

    url = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as conn:
        conn.execute("SELECT id FROM course_sessions ORDER BY id LIMIT 1 FOR UPDATE")
        log(f"locked the first session row for {seconds:.0f} s")
        time.sleep(seconds)
        conn.rollback()
    log("lock released")


def terminate_connections(database_url: str, log):
    import psycopg

    url = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as conn:
        n = conn.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                         "WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchone()[0]
    log(f"terminated {n} portal connections")


def restart_postgres(pg, log):
    cmd = [str(pg.bindir / "pg_ctl"), "-D", str(pg.datadir), "-m", "fast", "-w", "restart",
           "-l", str(pg.log)]
    if pg.as_root:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    started = time.time()
    subprocess.run(cmd, capture_output=True, timeout=60, check=True)
    log(f"restarted PostgreSQL in {time.time() - started:.1f} s")


def kill_a_worker(master_pid: int, log):
    children = subprocess.run(["pgrep", "-P", str(master_pid)], capture_output=True, text=True).stdout.split()
    if children:
        os.kill(int(children[0]), signal.SIGKILL)
        log(f"killed gunicorn worker {children[0]}")


def timetable(pg, database_url, master_pid, seconds, log):
    start = time.time()

    def at(t):
        time.sleep(max(0.0, start + t * seconds - time.time()))

    at(0.15)
    threading.Thread(target=lock_a_session, args=(database_url, 0.15 * seconds, log), daemon=True).start()
    at(0.40)
    restart_postgres(pg, log)
    at(0.60)
    kill_a_worker(master_pid, log)
    at(0.75)
    terminate_connections(database_url, log)


# ---------------------------------------------------------------- the count
def count(database_url: str, inbox: FaultyInbox) -> dict:
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        statuses = dict(conn.execute(sa.text("SELECT status, count(*) FROM outbox_messages GROUP BY status")).all())
        queued = sum(statuses.values())
        columns = {c["name"] for c in sa.inspect(conn).get_columns("outbox_messages")}
        sent_ids = set()
        if "message_id" in columns:
            sent_ids = {r[0] for r in conn.execute(sa.text(
                "SELECT message_id FROM outbox_messages WHERE status = 'sent'"))}
        sent_per_address = collections.Counter(dict(conn.execute(sa.text(
            "SELECT to_address, count(*) FROM outbox_messages WHERE status = 'sent' GROUP BY to_address")).all()))
        unconfirmed_per_address = collections.Counter(dict(conn.execute(sa.text(
            "SELECT to_address, count(*) FROM outbox_messages WHERE status NOT IN ('sent', 'pending') "
            "GROUP BY to_address")).all()))
        over = conn.execute(sa.text(
            "SELECT s.id, s.capacity, count(b.id) FROM course_sessions s JOIN bookings b "
            "ON b.session_id = s.id AND b.status = 'confirmed' GROUP BY s.id, s.capacity "
            "HAVING count(b.id) > s.capacity")).all()
        bookings = dict(conn.execute(sa.text("SELECT status, count(*) FROM bookings GROUP BY status")).all())
    engine.dispose()
    received = inbox.received
    per_id = collections.Counter(mid for mid, _ in received)
    per_address = collections.Counter(rcpt for _, rcpt in received)
    # A message received more often than the outbox says it was sent to that address.
    extra = sum(max(0, n - sent_per_address[a]) for a, n in per_address.items())
    return {
        "queued": queued, "statuses": statuses, "received": len(received),
        "duplicated (same Message-ID received twice)": sum(n - 1 for n in per_id.values() if n > 1),
        "received beyond what the outbox sent, per address": extra,
        "sent but never received": len(sent_ids - set(per_id)) if sent_ids else "n/a",
        "addresses with messages not sent": dict(unconfirmed_per_address),
        "sessions over capacity": over, "bookings": bookings,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from tests.pgserver import ThrowawayPostgres, free_port, create_database

    started = time.time()

    def log(text):
        print(f"[{time.time() - started:6.1f} s] {text}", flush=True)

    pg = ThrowawayPostgres()
    admin_url = pg.start()
    controller = gunicorn = None
    try:
        database_url = create_database(admin_url, "faults")
        controller, inbox = start_smtp(late_seconds=4, port=free_port())
        env = env_for(database_url, controller.port)
        flask(env, "db", "upgrade")
        slug, emails = make_people(database_url, args.students)
        log(f"PostgreSQL on {pg.port}, SMTP on {controller.port}, {len(emails)} students, "
            f"{SESSIONS} sessions of {CAPACITY} places")
        port = free_port()
        gunicorn = subprocess.Popen(
            [str(BIN / "gunicorn"), "--workers", str(args.workers), "--bind", f"127.0.0.1:{port}",
             "--timeout", "30", "--graceful-timeout", "5", "wsgi:app"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open("/tmp/faults-gunicorn.log", "w"),
        )
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/")
                break
            except OSError:
                time.sleep(0.2)
        log(f"gunicorn ({args.workers} workers) on {port}")

        tally = Tally()
        deadline = time.time() + args.seconds
        stop_mail = threading.Event()
        mail_outputs: list[str] = []
        mailers = [threading.Thread(target=mail_loop, args=(env, stop_mail, mail_outputs)) for _ in range(2)]
        for m in mailers:
            m.start()
        students = [threading.Thread(target=student_loop,
                                     args=(port, e, slug, deadline, tally, random.Random(args.seed + i)))
                    for i, e in enumerate(emails)]
        for s in students:
            s.start()
        faults = threading.Thread(target=timetable, args=(pg, database_url, gunicorn.pid, args.seconds, log))
        faults.start()
        for s in students:
            s.join()
        faults.join()
        stop_mail.set()
        for m in mailers:
            m.join()
        log("students stopped; draining the outbox (retries made due at once)")
        import sqlalchemy as sa

        engine = sa.create_engine(database_url)
        for _ in range(12):
            with engine.begin() as conn:
                pending = conn.execute(sa.text(
                    "UPDATE outbox_messages SET next_attempt_at = now() AT TIME ZONE 'utc' "
                    "WHERE status = 'pending' RETURNING id")).all()
            if not pending:
                break
            # Two runs at once, as two timers could.
            runs = [threading.Thread(target=lambda: mail_outputs.append(
                flask(env, "rec", "send-mail", check=False).stdout.strip())) for _ in range(2)]
            for r in runs:
                r.start()
            for r in runs:
                r.join()
        engine.dispose()
        result = count(database_url, inbox)
        print()
        print("HTTP responses by status:", dict(sorted(tally.statuses.items())))
        print("  no answer at all (connection refused or reset):", dict(tally.no_answer))
        print("  5xx shown as the portal's own page (error or busy):", dict(tally.friendly_5xx))
        print("  bare 5xx (not the portal's page):", len(tally.bare_5xx))
        for bare in tally.bare_5xx[:10]:
            print("   ", bare)
        print("Messages:")
        for key, value in result.items():
            print(f"  {key}: {value}")
        print("send-mail runs:", len(mail_outputs), "; last:", mail_outputs[-1] if mail_outputs else "")
    finally:
        if gunicorn:
            gunicorn.terminate()
            try:
                gunicorn.wait(10)
            except subprocess.TimeoutExpired:
                gunicorn.kill()
        if controller:
            controller.stop()
        pg.stop()


if __name__ == "__main__":
    main()
