"""Measure the portal against issue 18's table, on PostgreSQL, through gunicorn, with wrk.

    python -m bench.run [--scale 1.0] [--seconds 15] [--rounds 3] [--quick]

By itself: starts a throwaway PostgreSQL server (as the tests do), loads the DESIGN.md
data set into it (bench/generate.py), serves the portal with gunicorn (2 sync workers,
production settings) and a bare Flask "hello" app (bench/hello.py) on the same settings,
then measures with Debian's ``wrk -t1 -c8 -d15s --latency`` after a warm-up, in rounds
interleaved (round 1: hello, the course page, /courses..., round 2: the same...), so
that whatever else the machine is doing falls on every measure alike. Throughput is
stated as a ratio to that round's hello. Then: booking one at a time, 200 students booking
20 places at once (a separate gunicorn with 4 workers), the PDFs, and worker memory.
Indico's event page and registration, when bench/indico.py can start Indico.

``--quick`` (scale 0.05, 3 s rounds) is for developing the benchmark, not for figures.
Not part of the test suite: it takes minutes and prints figures for a person to read.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WRK = shutil.which("wrk") or "/usr/bin/wrk"
WORKERS = 2
STORM_WORKERS = 4
STORM_STUDENTS = 200
STORM_PLACES = 20
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def log(text: str) -> None:
    print(text, flush=True)


# --- servers ----------------------------------------------------------------------------------------

def portal_env(database_url: str, port: int) -> dict:
    env = dict(os.environ)
    env.update({
        "REC_ENV": "production",
        "SECRET_KEY": "bench-secret-key-" + "x" * 32,
        "REC_BASE_URL": f"http://127.0.0.1:{port}",
        "DATABASE_URL": database_url,
        "REC_RATELIMIT_ENABLED": "0",
        "REC_SECURE_COOKIES": "0",
        "REC_HSTS": "0",
        "REC_LOG_LEVEL": "WARNING",
    })
    env.pop("REC_SMTP_HOST", None)
    return env


class Gunicorn:
    """``gunicorn -w N -k sync`` serving ``app`` on a free loopback port."""

    def __init__(self, app: str, workers: int, env: dict | None = None, name: str = "gunicorn"):
        from tests.pgserver import free_port

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(env or os.environ)
        if "REC_BASE_URL" in env:
            env["REC_BASE_URL"] = self.url
        self.log = Path(tempfile.gettempdir()) / f"rec-bench-{name}.log"
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-w", str(workers), "-k", "sync", "-b", f"127.0.0.1:{self.port}",
             "--timeout", "900", "--log-level", "warning", app],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(self.log, "w"),
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                requests.get(self.url + "/", timeout=5)
                if len(self.workers()) == workers:
                    return
            except requests.RequestException:
                pass
            if self.process.poll() is not None:
                break
            time.sleep(0.3)
        raise RuntimeError(f"{name} did not start; see {self.log}:\n{self.log.read_text()[-2000:]}")

    def workers(self) -> list[int]:
        try:
            text = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        except OSError:
            return []
        return [int(p) for p in text.split()]

    def rss_mb(self) -> list[float]:
        sizes = []
        for pid in self.workers():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            kb = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
            sizes.append(kb / 1024)
        return sizes

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


# --- a signed-in person -----------------------------------------------------------------------------

def csrf_of(text: str) -> str:
    match = CSRF.search(text)
    if not match:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1)


def sign_in(base: str, email: str, password: str) -> requests.Session:
    browser = requests.Session()
    token = csrf_of(browser.get(base + "/login", timeout=30).text)
    response = browser.post(base + "/login", data={"csrf_token": token, "email": email, "password": password},
                            allow_redirects=False, timeout=60)
    if response.status_code != 302 or "/login" in response.headers.get("Location", ""):
        raise RuntimeError(f"could not sign in as {email}: {response.status_code}")
    return browser


def cookie_header(browser: requests.Session) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in browser.cookies)


# --- wrk --------------------------------------------------------------------------------------------

def _seconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def wrk(url: str, seconds: float, cookie: str | None = None) -> dict:
    cmd = [WRK, "-t1", "-c8", f"-d{max(1, round(seconds))}s", "--latency", "--timeout", "10s"]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, timeout=seconds + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return {"rps": rps, "p99": _seconds(p99.group(1)) if p99 else None,
            "bad": int(bad.group(1)) if bad else 0, "errors": errors.group(0) if errors else ""}


# --- the data for the write tests -------------------------------------------------------------------

def add_booking_courses(database_url: str) -> dict:
    """Through the ORM, after the bulk load (so this also proves the id sequences): a course
    with a roomy session for booking one at a time, and one with 20 places for the storm,
    both at times no other session overlaps."""
    from rec_portal.extensions import db
    from rec_portal.models import Course, CourseSession, SessionDate
    from rec_portal.timeutil import utcnow

    from bench.generate import make_app

    app = make_app(database_url)
    made = {}
    with app.app_context():
        base = utcnow().replace(hour=6, minute=0, second=0, microsecond=0)
        for key, slug, days, capacity in (("one", "bench-booking", 200, 100_000), ("storm", "bench-storm", 210,
                                                                                   STORM_PLACES)):
            course = Course(slug=slug, title=f"Benchmark {key}", summary="A course for the benchmark.",
                            status="published")
            db.session.add(course)
            db.session.flush()
            start = base + timedelta(days=days)
            end = start + timedelta(hours=1)
            session = CourseSession(course_id=course.id, starts_at=start, ends_at=end, capacity=capacity,
                                    venue="Room 9", dates=[SessionDate(starts_at=start, ends_at=end)])
            db.session.add(session)
            db.session.flush()
            made[key] = {"slug": slug, "session_id": session.id}
        # Students for the storm and for booking one at a time: no bookings of these courses.
        rows = db.session.execute(db.text(
            "SELECT u.email FROM users u JOIN user_roles r ON r.user_id = u.id AND r.role = 'student' "
            "WHERE u.email LIKE 's%@example.org' ORDER BY u.id LIMIT :n"), {"n": STORM_STUDENTS + 1}).scalars().all()
        made["booker"], made["storm_students"] = rows[0], rows[1:]
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return made


def sql(database_url: str, text: str, **params):
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text(text), params).all()
    engine.dispose()
    return rows


# --- the measures -----------------------------------------------------------------------------------

def book_one_at_a_time(base: str, database_url: str, email: str, password: str, slug: str, session_id: int,
                       times: int) -> list[float]:
    """Wall time of each booking POST (the client's view), each booking then cancelled."""
    browser = sign_in(base, email, password)
    page = browser.get(f"{base}/courses/{slug}", timeout=30).text
    if f"/sessions/{session_id}/book" not in page:
        raise RuntimeError("the booking course's page has no booking button")
    token = csrf_of(page)
    took = []
    for _ in range(times):
        started = time.perf_counter()
        response = browser.post(f"{base}/sessions/{session_id}/book", data={"csrf_token": token},
                                allow_redirects=False, timeout=60)
        took.append(time.perf_counter() - started)
        if response.status_code != 302:
            raise RuntimeError(f"booking answered {response.status_code}")
        (booking_id,), = sql(database_url, "SELECT b.id FROM bookings b JOIN users u ON u.id = b.student_id "
                             "WHERE u.email = :e AND b.session_id = :s AND b.status = 'confirmed'",
                             e=email, s=session_id)
        response = browser.post(f"{base}/my/courses/{booking_id}/cancel", data={"csrf_token": token},
                                allow_redirects=False, timeout=60)
        if response.status_code != 302:
            raise RuntimeError(f"cancelling answered {response.status_code}")
    return took


def storm(database_url: str, env: dict, made: dict, password: str) -> dict:
    """200 signed-in students press Book on a session with 20 places at the same moment."""
    server = Gunicorn("wsgi:app", STORM_WORKERS, env, name="storm")
    try:
        slug, session_id = made["storm"]["slug"], made["storm"]["session_id"]
        students = []
        lock = threading.Lock()

        def prepare(emails):
            for email in emails:
                browser = sign_in(server.url, email, password)
                token = csrf_of(browser.get(f"{server.url}/courses/{slug}", timeout=60).text)
                with lock:
                    students.append((browser, token))

        emails = made["storm_students"]
        preparing = [threading.Thread(target=prepare, args=(emails[i::4],)) for i in range(4)]
        for t in preparing:
            t.start()
        for t in preparing:
            t.join()
        if len(students) != STORM_STUDENTS:
            raise RuntimeError(f"only {len(students)} students signed in")
        gate = threading.Barrier(STORM_STUDENTS + 1)
        statuses: list[int] = []
        finished: list[float] = []

        def press(browser, token):
            gate.wait()
            response = browser.post(f"{server.url}/sessions/{session_id}/book", data={"csrf_token": token},
                                    allow_redirects=False, timeout=120)
            with lock:
                statuses.append(response.status_code)
                finished.append(time.perf_counter())

        threads = [threading.Thread(target=press, args=s) for s in students]
        for t in threads:
            t.start()
        gate.wait()
        started = time.perf_counter()
        for t in threads:
            t.join()
        wall = max(finished) - started
        counts = dict(sql(database_url, "SELECT status, count(*) FROM bookings WHERE session_id = :s "
                          "GROUP BY status", s=session_id))
        return {"wall": wall, "counts": counts, "statuses": sorted(set(statuses)),
                "exact": counts.get("confirmed") == STORM_PLACES
                and counts.get("waitlisted") == STORM_STUDENTS - STORM_PLACES}
    finally:
        server.stop()


PDF_TIMEOUT = 240.0


def floor_measures(stack: str, stack_cookie: str, layout: str, layout_cookie: str) -> list[tuple]:
    """The wrk measures of what the stack allows (bench/floor.py), named as the table
    prints them."""
    return [("Flask-Login + SQLAlchemy, signed in, 1 statement", stack + "/signed-in", stack_cookie),
            ("Flask-Login + SQLAlchemy, signed in, 5 statements", stack + "/signed-in/5", stack_cookie),
            ("portal layout only, signed out", layout + "/floor", None),
            ("portal layout only, signed in", layout + "/floor", layout_cookie)]


class TooSlow(Exception):
    pass


def timed_get(browser, url: str) -> float:
    started = time.perf_counter()
    try:
        response = browser.get(url, timeout=PDF_TIMEOUT)
    except requests.Timeout as exc:
        raise TooSlow(f"> {PDF_TIMEOUT:.0f} s (no answer yet)") from exc
    took = time.perf_counter() - started
    if response.status_code != 200 or not response.content.startswith(b"%PDF"):
        raise RuntimeError(f"{url}: {response.status_code} {response.headers.get('Content-Type')}")
    return took


# --- printing ---------------------------------------------------------------------------------------

def spread(values: list[float], fmt: str = "{:.3f}") -> str:
    return " / ".join(fmt.format(v) for v in (min(values), statistics.median(values), max(values)))


def row(measure: str, figure: str, target: str, met: bool | None) -> None:
    verdict = {True: "met", False: "NOT met", None: ""}[met]
    print(f"{measure:52} {figure:34} {target:16} {verdict}", flush=True)


def main():
    global PDF_TIMEOUT
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seconds", type=float, default=15, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--bookings", type=int, default=50, help="bookings made one at a time")
    parser.add_argument("--pdf-timeout", type=float, default=PDF_TIMEOUT,
                        help="seconds to wait for one PDF before calling it too slow")
    parser.add_argument("--indico", default=str(Path(tempfile.gettempdir()) / "rec-bench-indico"),
                        help="folder for Indico's virtualenv (kept between runs); 'off' to leave Indico out")
    parser.add_argument("--quick", action="store_true", help="scale 0.05, 3 s rounds: for developing this script")
    parser.add_argument("--cache", choices=("redis", "memory"), default="redis",
                        help="redis (as in production with several workers; the default when redis-server "
                             "is installed) or memory (each worker its own)")
    args = parser.parse_args()
    PDF_TIMEOUT = args.pdf_timeout
    if args.quick:
        args.scale, args.seconds, args.bookings = 0.05, 3, 20
    if not Path(WRK).exists():
        sys.exit("wrk is not installed: apt-get install wrk (Debian's package)")
    sys.path.insert(0, str(ROOT))
    from tests.pgserver import ThrowawayPostgres, create_database

    from bench.generate import ADMIN_EMAIL, EIGHT_DATES_SLUG, PASSWORD, STUDENT_EMAIL, generate

    began = time.time()
    load_before = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    pg = ThrowawayPostgres()
    admin_url = pg.start()
    servers: list[Gunicorn] = []
    indico = redis = None
    try:
        if args.cache == "redis":
            from tests.redisserver import RedisUnavailable, ThrowawayRedis

            try:
                redis = ThrowawayRedis()
                redis_url = redis.start()
            except RedisUnavailable as exc:
                log(f"Redis not available ({exc}): each worker keeps its own cache")
                redis = None
        database_url = create_database(admin_url, "rec_bench")
        started = time.perf_counter()
        counts = generate(database_url, args.scale)
        log(f"PostgreSQL on port {pg.port}; data set at scale {args.scale}: {counts} "
            f"(loaded in {time.perf_counter() - started:.0f} s)")
        made = add_booking_courses(database_url)
        env = portal_env(database_url, 0)
        if redis:
            env["REC_REDIS_URL"] = redis_url
        portal = Gunicorn("wsgi:app", WORKERS, env, name="portal")
        servers.append(portal)
        hello = Gunicorn("bench.hello:app", WORKERS, name="hello")
        servers.append(hello)
        # What the stack itself allows (bench/floor.py): the same gunicorn settings.
        stack = Gunicorn("bench.floor:stack_app()", WORKERS, env, name="stack")
        servers.append(stack)
        layout = Gunicorn("bench.floor:portal_app()", WORKERS, env, name="layout")
        servers.append(layout)
        indico = start_indico(args.indico, admin_url) if args.indico != "off" else None

        student = sign_in(portal.url, STUDENT_EMAIL, PASSWORD)
        admin = sign_in(portal.url, ADMIN_EMAIL, PASSWORD)
        course = f"{portal.url}/courses/{EIGHT_DATES_SLUG}"
        # Check what the pages show before timing them: a signed-in page, not the sign-in form.
        mine = student.get(portal.url + "/my/courses", timeout=60)
        if mine.status_code != 200 or "Sign out" not in mine.text:
            raise RuntimeError(f"/my/courses for the bench student: {mine.status_code}")
        page = requests.get(course, timeout=60).text
        dates = len(re.findall(r'action="/sessions/\d+/book"', student.get(course, timeout=60).text))
        log(f"course page: {len(page) // 1024} KB signed out, {dates} booking buttons signed in")

        stack_user = requests.Session()
        (student_id,), = sql(database_url, "SELECT id FROM users WHERE email = :email", email=STUDENT_EMAIL)
        stack_user.get(f"{stack.url}/sign-in?id={student_id}", timeout=60)
        layout_user = sign_in(layout.url, STUDENT_EMAIL, PASSWORD)
        if "Sign out" not in layout_user.get(layout.url + "/floor", timeout=60).text:
            raise RuntimeError("the layout-only page is not signed in")
        if stack_user.get(stack.url + "/signed-in", timeout=60).status_code != 200:
            raise RuntimeError("the Flask-Login app did not sign in")

        measures = [("hello", hello.url + "/", None),
                    ("course page (8 dates), signed out", course, None),
                    ("course page, signed in", course, cookie_header(student)),
                    ("/courses, signed out", portal.url + "/courses", None),
                    ("/my/courses (21 bookings)", portal.url + "/my/courses", cookie_header(student)),
                    *floor_measures(stack.url, cookie_header(stack_user), layout.url, cookie_header(layout_user))]
        if indico:
            measures.append(("Indico event page", indico["event_url"], None))
        log(f"warm-up, then {args.rounds} rounds of wrk -t1 -c8 -d{args.seconds:g}s on each, interleaved")
        for _, url, cookie in measures:
            wrk(url, max(1, args.seconds / 3), cookie)
        results: dict[str, list[dict]] = {name: [] for name, _, _ in measures}
        for n in range(args.rounds):
            for name, url, cookie in measures:
                results[name].append(wrk(url, args.seconds, cookie))
            log(f"  round {n + 1}: " + ", ".join(f"{k} {v[-1]['rps']:.0f}/s" for k, v in results.items()))
        # The cookie wrk sent must still be a signed-in session (wrk counts a redirect to the
        # sign-in page as a success).
        after = requests.get(portal.url + "/my/courses", headers={"Cookie": cookie_header(student)},
                             allow_redirects=False, timeout=60)
        if after.status_code != 200 or "Sign out" not in after.text:
            log(f"  WARNING: the signed-in cookie answered {after.status_code} after the rounds: "
                "the signed-in figures are not of signed-in pages")
        for name, runs in results.items():
            if any(r["bad"] or r["errors"] for r in runs):
                log(f"  WARNING {name}: non-2xx/3xx {[r['bad'] for r in runs]} {[r['errors'] for r in runs]}")

        log("booking one at a time")
        failed: dict[str, str] = {}  # a measure that could not be made: why
        booking = indico_booking = None
        try:
            booking = book_one_at_a_time(portal.url, database_url, made["booker"], PASSWORD, made["one"]["slug"],
                                         made["one"]["session_id"], args.bookings)
            log(f"  median {statistics.median(booking) * 1000:.1f} ms")
        except Exception as exc:  # noqa: BLE001 - say so in the table and measure the rest
            failed["booking"] = f"failed: {exc}"
        if indico and indico.get("registration_url"):
            try:
                indico_booking = indico_registration_times(indico, args.bookings)
            except Exception as exc:  # noqa: BLE001
                log(f"  Indico registration failed: {exc}")

        log("PDFs")
        rss_before = portal.rss_mb()
        pdfs = {}
        today = time.strftime("%Y-%m-%d")
        year_ago = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 365 * 86400))
        anonymous = requests.Session()
        for key, browser, url in (
                ("prospectus", anonymous, "/prospectus.pdf"),
                ("term", admin, "/admin/reports/term.pdf"),
                ("roster", admin, f"/admin/rosters.pdf?from={year_ago}&to={today}"),
                ("data", student, "/my/account/data.pdf")):
            # 20 PDFs in all (5 of each), fewer of one that takes minutes.
            pdfs[key] = []
            try:
                pdfs[key].append(timed_get(browser, portal.url + url))
                while len(pdfs[key]) < 5 and sum(pdfs[key]) < 60:
                    pdfs[key].append(timed_get(browser, portal.url + url))
            except Exception as exc:  # noqa: BLE001 - say so in the table and measure the rest
                failed[key] = str(exc) if isinstance(exc, TooSlow) else f"failed: {exc}"
            log(f"  {key}: {', '.join(f'{t:.2f}' for t in pdfs[key])} s {failed.get(key, '')}")
        rss_after = portal.rss_mb()
        log(f"  worker memory {rss_before} -> {rss_after} MB")
        log("WeasyPrint alone: a bare table the size of the year's roster")
        from bench.floor import weasyprint_seconds

        (roster_rows,), = sql(database_url, "SELECT count(*) FROM course_sessions "
                              "WHERE starts_at >= :first AND starts_at < :last", first=year_ago, last=today)
        weasyprint_floor = weasyprint_seconds(roster_rows, 5)
        log(f"  {roster_rows} rows: {weasyprint_floor:.2f} s")

        log("200 students booking 20 places at once (4 workers)")
        stormed = None
        try:
            stormed = storm(database_url, env, made, PASSWORD)
        except Exception as exc:  # noqa: BLE001
            failed["storm"] = f"failed: {exc}"

        # --- the table
        ratios = {name: [r["rps"] / h["rps"] for r, h in zip(runs, results["hello"])]
                  for name, runs in results.items()}
        print()
        print(f"Issue 18 benchmark: PostgreSQL, data set at scale {args.scale} ({counts['students']} students, "
              f"{counts['bookings']} bookings), gunicorn -w {WORKERS} -k sync, wrk -t1 -c8 -d{args.seconds:g}s, "
              f"{args.rounds} rounds interleaved; cache: {'Redis' if redis else 'in each worker'}; "
              f"{os.cpu_count()} cores, load average before {load_before}; min / median / max")
        print(f"{'measure':52} {'figure':34} {'target':16}")
        hello_rps = [r["rps"] for r in results["hello"]]
        row("bare Flask hello, requests/s", spread(hello_rps, "{:.0f}"), "", None)
        for name, target in (("course page (8 dates), signed out", 0.30), ("course page, signed in", 0.10),
                             ("/courses, signed out", 0.20), ("/my/courses (21 bookings)", 0.10)):
            rps = [r["rps"] for r in results[name]]
            row(f"{name}, requests/s", spread(rps, "{:.0f}"), "", None)
            row(f"{name} ÷ hello", spread(ratios[name]), f"≥ {target:.2f}", statistics.median(ratios[name]) >= target)
        p99 = [r["p99"] * 1000 for r in results["course page (8 dates), signed out"]]
        row("course page p99 at 8 connections, ms", spread(p99, "{:.0f}"), "≤ 50 ms", statistics.median(p99) <= 50)
        if indico:
            over = [c["rps"] / i["rps"] for c, i in zip(results["course page (8 dates), signed out"],
                                                        results["Indico event page"])]
            row("Indico event page, requests/s", spread([r["rps"] for r in results["Indico event page"]], "{:.0f}"),
                "", None)
            row("course page ÷ Indico event page", spread(over, "{:.1f}×"), "≥ 20×", statistics.median(over) >= 20)
        else:
            print("Indico: not available (see bench/indico.py)")
        if booking:
            row(f"booking POST, one at a time ({len(booking)}), ms", spread([t * 1000 for t in booking], "{:.1f}"),
                "median ≤ 15 ms", statistics.median(booking) * 1000 <= 15)
        else:
            row("booking POST, one at a time, ms", failed["booking"][:34], "median ≤ 15 ms", False)
        if booking and indico_booking:
            ratio = statistics.median(booking) / statistics.median(indico_booking)
            row("Indico registration POST, ms", spread([t * 1000 for t in indico_booking], "{:.1f}"), "", None)
            row("booking POST ÷ Indico registration (time)", f"{ratio:.2f}×", "", None)
        if stormed:
            row("200 students booking 20 places, 4 workers",
                f"{stormed['wall']:.2f} s, " + ("exact" if stormed["exact"] else f"NOT exact {stormed['counts']}"),
                "exact, < 3 s", stormed["exact"] and stormed["wall"] < 3)
        else:
            row("200 students booking 20 places, 4 workers", failed["storm"][:34], "exact, < 3 s", False)
        first, later = pdfs["prospectus"][:1], pdfs["prospectus"][1:]
        row("prospectus PDF, first request, s", f"{first[0]:.2f}" if first else failed["prospectus"], "", None)
        row("prospectus PDF, later requests, s", spread(later, "{:.2f}") if later else failed.get("prospectus", ""),
            "< 1 s", bool(later) and max(later) < 1 and "prospectus" not in failed)
        for key, name, limit in (("term", "term report PDF", 1.5), ("roster", "roster PDF for a year", 1.5),
                                 ("data", '"download my data" PDF', 0.5)):
            times = pdfs[key]
            figure = " ".join(x for x in (spread(times, "{:.2f}") if times else "", failed.get(key, "")) if x)
            row(f"{name}, s", figure[:60], f"< {limit:g} s",
                bool(times) and key not in failed and statistics.median(times) < limit)
        row(f"worker memory before → after {sum(map(len, pdfs.values()))} PDFs, MB",
            " ".join(f"{a:.0f}→{b:.0f}" for a, b in zip(rss_before, rss_after)), "≤ 160 MB",
            bool(rss_after) and max(rss_after) <= 160)
        print()
        print("What the stack itself allows here, same run (bench/floor.py; no targets: read the targets against it)")
        for name, _, _ in floor_measures("", "", "", ""):
            row(f"{name} ÷ hello", spread(ratios[name]), "", None)
        row(f"WeasyPrint, bare table {roster_rows} rows × 5 cells, s", f"{weasyprint_floor:.2f}", "", None)
        row("  the same, per 1,000 cells, s", f"{weasyprint_floor / roster_rows / 5 * 1000:.2f}", "", None)
        print(f"\n(whole run {time.time() - began:.0f} s; gunicorn logs in {tempfile.gettempdir()}/rec-bench-*.log)")
    finally:
        if indico:
            try:
                indico["stop"]()
            except Exception as exc:  # noqa: BLE001 - the figures are printed; say and go on
                log(f"stopping Indico: {exc}")
        for server in servers:
            server.stop()
        if redis:
            redis.stop()
        pg.stop()


# --- Indico (bench/indico.py, when present) ---------------------------------------------------------

def start_indico(folder: str, pg_admin_url: str) -> dict | None:
    """Indico 3.2 under gunicorn (2 sync workers) on the same PostgreSQL server, with its
    own Redis; its virtualenv is kept in ``folder`` (the first run installs it: minutes)."""
    try:
        from bench import indico
    except ImportError:
        return None
    workdir = Path(folder)
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        return indico.start_indico(workdir, pg_admin_url, None, workers=WORKERS)
    except Exception as exc:  # noqa: BLE001 - Indico is a comparison, not the portal: say why and go on
        log(f"Indico did not start: {exc}")
        return None


def indico_registration_times(indico: dict, times: int) -> list[float] | None:
    """Wall time of Indico registration POSTs, when bench/indico.py offers a way to make one
    (``register``: a callable returning the seconds one registration took)."""
    register = indico.get("register")
    if not callable(register):
        return None
    return [register() for _ in range(times)]


if __name__ == "__main__":
    main()
