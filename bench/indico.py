"""Indico 3.2 (CERN's Flask event system) as a point of comparison for ``make bench``.

``start_indico(workdir, pg_admin_url, redis_url)`` sets up a throwaway Indico next to the
portal, on the same machine and the same gunicorn settings (2 sync workers), and returns the
URLs to measure:

- ``event_url``: the public page of ONE conference event (signed out), for wrk;
- ``registration_url``: the event's registration form page (GET);
- ``register()``: performs ONE anonymous registration POST (the form's JSON submission, as
  Indico's React form sends it, with a fresh e-mail address each call) and returns the
  seconds the POST took; raises ``RuntimeError`` if Indico did not accept it;
- ``stop()``: stops gunicorn (and the Redis this function started, if any).

Nothing of Indico lives in this repository: it is installed from PyPI (``indico==3.2.*``)
into its own virtualenv under ``workdir/venv``, which later calls reuse. Indico needs
PostgreSQL (with the ``unaccent`` and ``pg_trgm`` extensions from postgresql-contrib; the
URL given must be a superuser's, as ``tests.pgserver.ThrowawayPostgres`` gives) and Redis
(sessions and cache; a private ``redis-server`` is started when ``redis_url`` is None).
Debian packages: only psycopg2 is built from source (gcc, libpq-dev, and python3-dev for
Debian's Python); lxml, Pillow, cryptography, reportlab and the rest come as manylinux
wheels, so libxml2-dev/libxslt1-dev/libjpeg-dev are not needed on x86_64; at run time
libpq5, postgresql-contrib and redis-server. The static assets come built in the wheel
(no npm). The venv's gunicorn is pinned to the calling environment's version.

Measuring: one event page takes a few hundred milliseconds on a loaded 2-core machine, so
give wrk ``--timeout 10s`` (its default of 2 s drops slow answers from the count) and warm
up first (the first requests of each worker compile templates).

Set-up is made comparable to a production Indico without its side services: no Celery
(``SMTP_USE_CELERY = False``), e-mails rendered and logged in the event log as usual but
handed to Indico's in-memory mail backend instead of an SMTP server, ``DEBUG = False``,
INFO logging to a file. The registration form has the default personal-data section and
no CAPTCHA (Indico's default asks anonymous people for one, which a benchmark cannot
answer).

Every failure prints one line saying which step failed and returns None.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

INDICO_SPEC = "indico==3.2.*"
GUNICORN_SPEC = "gunicorn"
DATABASE_NAME = "indico_bench"
EVENT_TITLE = "Recovery and wellbeing: an introduction (Indico benchmark event)"
_PYTHONS_OK = ((3, 9), (3, 10), (3, 11), (3, 12))

_SETUP_SCRIPT = r'''
import json, sys
from datetime import timedelta

from indico.core.config import config
from indico.core.db import db
from indico.web.flask.app import make_app

app = make_app()
with app.app_context(), app.test_request_context(base_url=config.BASE_URL):
    from flask import session
    from indico.modules.categories import Category
    from indico.modules.events.features.util import set_feature_enabled
    from indico.modules.events.models.events import EventType
    from indico.modules.events.operations import create_event
    from indico.modules.events.registration.models.forms import RegistrationForm
    from indico.modules.events.registration.models.items import PersonalDataType
    from indico.modules.events.registration.util import create_personal_data_fields
    from indico.modules.users import User
    from indico.util.date_time import now_utc

    title, event_type = sys.argv[1], EventType[sys.argv[2]]
    user = User(first_name='Bench', last_name='Admin', email='bench.admin@example.test', is_admin=True)
    db.session.add(user)
    db.session.flush()
    session.set_session_user(user)

    start = now_utc(exact=False).replace(hour=9, minute=0) + timedelta(days=30)
    event = create_event(Category.get_root(), event_type, {
        'title': title,
        'description': ('A friendly first session about recovery, wellbeing and what the college '
                        'offers. Open to everyone; no need to know anything beforehand.'),
        'start_dt': start,
        'end_dt': start + timedelta(hours=3),
        'timezone': 'Europe/London',
        'creator': user,
    })
    set_feature_enabled(event, 'registration', True)

    regform = RegistrationForm(event=event, title='Registration', currency='GBP',
                               require_captcha=False, start_dt=now_utc() - timedelta(days=1))
    create_personal_data_fields(regform)
    db.session.add(regform)
    db.session.flush()

    fields = {}
    for field in regform.active_fields:
        if field.personal_data_type is not None:
            fields[field.personal_data_type.name] = field.html_field_name
    out = {'event_id': event.id, 'regform_id': regform.id, 'fields': fields}
    db.session.commit()
    print('RESULT ' + json.dumps(out))
'''

# Indico ships its WSGI entry as indico/web/indico.wsgi (a file, not a module), so gunicorn
# gets this one. It also turns off the e-mail deliverability check (a DNS MX/A lookup per
# address, which fails on a machine without DNS and rejects every registration); the
# address syntax is still checked.
_WSGI_MODULE = """\
import functools

import email_validator

_validate = email_validator.validate_email


@functools.wraps(_validate)
def _validate_without_dns(email, *args, **kwargs):
    kwargs['check_deliverability'] = False
    return _validate(email, *args, **kwargs)


email_validator.validate_email = _validate_without_dns

from indico.web.flask.app import make_app  # noqa: E402

application = make_app()
"""

_LOGGING_YAML = """\
version: 1
root:
  level: INFO
  handlers: [other]
loggers:
  indico:
    handlers: [indico]
handlers:
  indico:
    class: logging.FileHandler
    filename: indico.log
    filters: [indico]
    formatter: default
  other:
    class: logging.FileHandler
    filename: other.log
    filters: [other]
    formatter: simple
    level: WARNING
formatters:
  default:
    format: '%(asctime)s  %(levelname)-7s  %(request_id)s  %(user_id)-6s  %(name)-25s %(message)s'
  simple:
    format: '%(asctime)s  %(levelname)-7s  %(name)-25s %(message)s'
filters:
  indico:
    name: indico
  other:
    (): indico.core.logger.BlacklistFilter
    names: [indico, celery]
"""


class _Failed(Exception):
    pass


def _say(message: str) -> None:
    print(f"[indico] {message}", flush=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(text: str, lines: int = 15) -> str:
    kept = [line for line in (text or "").splitlines()
            if line.strip() and "is ignored: it is neither a file nor a directory" not in line]
    return "\n".join(kept[-lines:])


def _run(step: str, cmd: list[str], *, timeout: float, env: dict | None = None,
         cwd: Path | None = None) -> str:
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env,
                                cwd=cwd, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise _Failed(f"{step}: {exc}") from exc
    if result.returncode != 0:
        raise _Failed(f"{step} failed (exit {result.returncode}):\n{_tail(result.stderr + result.stdout)}")
    return result.stdout


def _find_python() -> str:
    """An interpreter Indico 3.2 supports (3.9 to 3.12), preferring the running one."""
    candidates = [sys.executable] + [shutil.which(f"python3.{minor}") or "" for minor in (11, 12, 10, 9)]
    candidates += ["/usr/bin/python3"]
    for candidate in candidates:
        if not candidate or not Path(candidate).exists():
            continue
        try:
            out = subprocess.run([candidate, "-c", "import sys, venv; print(*sys.version_info[:2])"],
                                 capture_output=True, text=True, timeout=30, check=True).stdout.split()
        except (OSError, subprocess.SubprocessError):
            continue
        if tuple(int(x) for x in out) in _PYTHONS_OK:
            return candidate
    raise _Failed("no Python 3.9-3.12 with the venv module found for Indico 3.2")


def _gunicorn_spec() -> str:
    """The calling environment's gunicorn version, so both sides run the same server."""
    try:
        from importlib.metadata import version
        return f"gunicorn=={version('gunicorn')}"
    except Exception:  # noqa: BLE001 - not installed here: any version
        return GUNICORN_SPEC


def _ensure_venv(venv: Path) -> Path:
    python = venv / "bin" / "python"
    gunicorn_spec = _gunicorn_spec()
    check = [str(python), "-c", "import importlib.metadata as m, indico, psycopg2; "
             "print(indico.__version__, m.version('gunicorn'))"]
    if python.exists():
        try:
            indico_version, gunicorn_version = subprocess.run(
                check, capture_output=True, text=True, timeout=120, check=True).stdout.split()
        except (OSError, subprocess.SubprocessError, ValueError):
            indico_version = gunicorn_version = ""
        if indico_version.startswith("3.2."):
            if gunicorn_spec.startswith("gunicorn==") and gunicorn_spec != f"gunicorn=={gunicorn_version}":
                _run(f"pip install {gunicorn_spec}",
                     [str(python), "-m", "pip", "install", "-q", gunicorn_spec], timeout=600)
            _say(f"reusing {venv} (Indico {indico_version}, {gunicorn_spec})")
            return python
        shutil.rmtree(venv, ignore_errors=True)
    base = _find_python()
    _say(f"creating {venv} with {base} and installing {INDICO_SPEC} (a few minutes)")
    _run("creating the virtualenv", [base, "-m", "venv", str(venv)], timeout=300)
    _run(f"pip install {INDICO_SPEC}",
         [str(python), "-m", "pip", "install", "-q", INDICO_SPEC, gunicorn_spec], timeout=1800)
    indico_version = _run("importing Indico", check, timeout=120).split()[0]
    _say(f"installed Indico {indico_version} and {gunicorn_spec}")
    return python


def _start_redis(workdir: Path) -> tuple[str, subprocess.Popen]:
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(binary).exists():
        raise _Failed("Indico needs Redis and redis-server is not installed (Debian: redis-server)")
    port = _free_port()
    rdir = workdir / "redis"
    rdir.mkdir(exist_ok=True)
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(rdir)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 15
    while time.time() < deadline:
        if proc.poll() is not None:
            raise _Failed(f"redis-server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    return f"redis://127.0.0.1:{port}/0", proc
        except OSError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise _Failed("redis-server did not answer within 15 s")


def _create_database(pg_admin_url: str) -> str:
    """(Re)create the Indico database; return its URL for Indico's psycopg2."""
    try:
        import sqlalchemy as sa
    except ImportError as exc:
        raise _Failed("SQLAlchemy is needed in the calling environment to create the database") from exc
    try:
        engine = sa.create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
                {"name": DATABASE_NAME})
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{DATABASE_NAME}"'))
            conn.execute(sa.text(f'CREATE DATABASE "{DATABASE_NAME}" TEMPLATE template0 ENCODING \'UTF8\''))
        engine.dispose()
        # Indico needs these extensions (postgresql-contrib); only a superuser may create them.
        engine = sa.create_engine(sa.engine.make_url(pg_admin_url).set(database=DATABASE_NAME),
                                  isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS unaccent"))
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any database error ends this step
        raise _Failed(f"creating database {DATABASE_NAME}: {exc}") from exc
    url = sa.engine.make_url(pg_admin_url).set(drivername="postgresql", database=DATABASE_NAME)
    return url.render_as_string(hide_password=False)


def _write_config(workdir: Path, db_url: str, redis_url: str, base_url: str) -> Path:
    data = workdir / "data"
    for sub in ("archive", "cache", "tmp", "log"):
        (data / sub).mkdir(parents=True, exist_ok=True)
    conf = workdir / "indico.conf"
    secret = os.urandom(32).hex()
    settings = {
        "SQLALCHEMY_DATABASE_URI": db_url,
        "SECRET_KEY": secret,
        "BASE_URL": base_url,
        "REDIS_CACHE_URL": redis_url,
        # Indico refuses to start without a broker; nothing consumes it (no Celery worker),
        # the few tasks queued after a commit just wait in Redis.
        "CELERY_BROKER": redis_url,
        "CACHE_DIR": str(data / "cache"),
        "TEMP_DIR": str(data / "tmp"),
        "LOG_DIR": str(data / "log"),
        "STORAGE_BACKENDS": {"default": f"fs:{data / 'archive'}"},
        "ATTACHMENT_STORAGE": "default",
        "DEFAULT_TIMEZONE": "Europe/London",
        "DEFAULT_LOCALE": "en_GB",
        "NO_REPLY_EMAIL": "noreply@example.test",
        "SUPPORT_EMAIL": "support@example.test",
        "SMTP_USE_CELERY": False,
        "EMAIL_BACKEND": "indico.vendor.django_mail.backends.locmem.EmailBackend",
        "DISABLE_CELERY_CHECK": True,
        "DEBUG": False,
        "ENABLE_ROOMBOOKING": False,
        "LOGGING_CONFIG_FILE": "logging.yaml",
    }
    conf.write_text("".join(f"{key} = {value!r}\n" for key, value in settings.items()))
    (workdir / "logging.yaml").write_text(_LOGGING_YAML)
    return conf


def _wait_for(url: str, proc: subprocess.Popen, timeout: float) -> bytes:
    deadline = time.time() + timeout
    last = "no answer"
    while time.time() < deadline:
        if proc.poll() is not None:
            raise _Failed(f"gunicorn exited with {proc.returncode} while starting")
        try:
            with urllib.request.urlopen(url, timeout=30) as resp:
                return resp.read()
        except urllib.error.HTTPError as exc:
            raise _Failed(f"GET {url} answered {exc.code}") from exc
        except OSError as exc:
            last = str(exc)
            time.sleep(0.3)
    raise _Failed(f"Indico did not answer {url} within {timeout:.0f} s ({last})")


def _make_register(base_url: str, registration_url: str, fields: dict):
    """A callable doing one anonymous registration POST; returns its duration in seconds."""
    host, port = base_url.split("//", 1)[1].split(":")
    path = registration_url.split(base_url, 1)[1]
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        page = resp.read().decode("utf-8", "replace")
        set_cookies = resp.headers.get_all("Set-Cookie") or []
    finally:
        conn.close()
    match = re.search(r'<meta name="csrf-token" id="csrf-token" content="([^"]+)"', page)
    if resp.status != 200 or not match:
        raise _Failed(f"no CSRF token on the registration page (status {resp.status})")
    csrf = match.group(1)
    # Signed out, Indico keeps no session and its CSRF token is a constant (all zeros); keep
    # whatever cookie it sets anyway, as a browser would.
    cookie = "; ".join(c.split(";", 1)[0] for c in set_cookies)
    stamp = int(time.time())
    counter = itertools.count(1)

    def register() -> float:
        n = next(counter)
        payload = {fields["first_name"]: "Bench", fields["last_name"]: f"Person {n}",
                   fields["email"]: f"bench.{stamp}.{n}@example.com"}
        if "affiliation" in fields:
            payload[fields["affiliation"]] = "Recovery College"
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", "X-CSRF-Token": csrf,
                   "Accept": "application/json", "X-Requested-With": "XMLHttpRequest"}
        if cookie:
            headers["Cookie"] = cookie
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        try:
            started = time.perf_counter()
            conn.request("POST", path, body=body, headers=headers)
            resp = conn.getresponse()
            answer = resp.read()
            elapsed = time.perf_counter() - started
        finally:
            conn.close()
        if resp.status != 200 or b'"redirect"' not in answer:
            raise RuntimeError(f"Indico registration POST answered {resp.status}: {answer[:300]!r}")
        return elapsed

    return register


def start_indico(workdir: Path, pg_admin_url: str, redis_url: str | None, *,
                 workers: int = 2, gunicorn_args: list[str] | tuple[str, ...] = (),
                 title: str = EVENT_TITLE, event_type: str = "conference") -> dict | None:
    """Set up and start Indico 3.2 under gunicorn; see the module docstring.

    Returns {"event_url", "registration_url", "register", "stop", "base_url", "event_id",
    "regform_id", "setup_seconds", "log_dir"} or None (after printing why) if a step fails.
    The database ``indico_bench`` on the given server is dropped and made afresh each call.
    """
    started = time.time()
    workdir = Path(workdir).resolve()
    redis_proc: subprocess.Popen | None = None
    gunicorn: subprocess.Popen | None = None

    def stop() -> None:
        for proc in (gunicorn, redis_proc):
            if proc is None or proc.poll() is not None:
                continue
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)

    try:
        workdir.mkdir(parents=True, exist_ok=True)
        python = _ensure_venv(workdir / "venv")
        if redis_url is None:
            redis_url, redis_proc = _start_redis(workdir)
        db_url = _create_database(pg_admin_url)
        port = _free_port()
        base_url = f"http://127.0.0.1:{port}"
        conf = _write_config(workdir, db_url, redis_url, base_url)
        env = dict(os.environ, INDICO_CONFIG=str(conf), PYTHONWARNINGS="ignore")
        env.pop("PYTHONPATH", None)
        bindir = python.parent

        _say("indico db prepare")
        step = time.time()
        _run("indico db prepare", [str(bindir / "indico"), "db", "prepare"], timeout=600, env=env,
             cwd=workdir)
        _say(f"database ready in {time.time() - step:.0f} s")
        step = time.time()
        script = workdir / "make_event.py"
        script.write_text(_SETUP_SCRIPT)
        out = _run("creating the user, event and registration form",
                   [str(python), str(script), title, event_type], timeout=300, env=env, cwd=workdir)
        line = next((x for x in out.splitlines() if x.startswith("RESULT ")), None)
        if line is None:
            raise _Failed(f"the set-up script printed no result:\n{_tail(out)}")
        made = json.loads(line[len("RESULT "):])
        _say(f"event and registration form made in {time.time() - step:.0f} s")
        step = time.time()
        missing = {"first_name", "last_name", "email"} - set(made["fields"])
        if missing:
            raise _Failed(f"the registration form lacks fields {sorted(missing)}")

        (workdir / "indico_bench_wsgi.py").write_text(_WSGI_MODULE)
        extra = list(gunicorn_args)
        help_text = _run("gunicorn --help", [str(bindir / "gunicorn"), "--help"], timeout=60, env=env)
        if "--no-control-socket" in help_text and "--control-socket" not in " ".join(extra):
            extra.append("--no-control-socket")  # gunicorn >= 25 shares ~/.gunicorn/gunicorn.ctl
        log_dir = workdir / "data" / "log"
        log = open(log_dir / "gunicorn.log", "ab")  # noqa: SIM115 - kept open for the process
        gunicorn = subprocess.Popen(
            [str(bindir / "gunicorn"), "-w", str(workers), "-k", "sync", "-b", f"127.0.0.1:{port}",
             "--pythonpath", str(workdir), *extra, "indico_bench_wsgi:application"],
            env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        event_url = f"{base_url}/event/{made['event_id']}/"
        registration_url = f"{event_url}registrations/{made['regform_id']}/"
        page = _wait_for(event_url, gunicorn, timeout=120)
        if title.encode() not in page:
            raise _Failed(f"the event page does not show the event title (see {log_dir})")
        _wait_for(registration_url, gunicorn, timeout=60)
        _say(f"gunicorn answering in {time.time() - step:.0f} s")
        register = _make_register(base_url, registration_url, made["fields"])
        seconds = time.time() - started
        _say(f"Indico ready at {event_url} after {seconds:.0f} s")
        return {
            "event_url": event_url,
            "registration_url": registration_url,
            "register": register,
            "stop": stop,
            "base_url": base_url,
            "event_id": made["event_id"],
            "regform_id": made["regform_id"],
            "setup_seconds": seconds,
            "log_dir": str(log_dir),
        }
    except _Failed as exc:
        _say(f"not measured: {exc}")
    except Exception as exc:  # noqa: BLE001 - the bench carries on without Indico
        _say(f"not measured: unexpected {type(exc).__name__}: {exc}")
    stop()
    return None


if __name__ == "__main__":  # a manual trial: python -m bench.indico WORKDIR PG_ADMIN_URL [REDIS_URL]
    info = start_indico(Path(sys.argv[1]), sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
    if info is None:
        sys.exit(1)
    try:
        print(json.dumps({k: v for k, v in info.items() if not callable(v)}, indent=2))
        print(f"one registration POST: {info['register']() * 1000:.1f} ms")
    finally:
        info["stop"]()
