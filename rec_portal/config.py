"""Settings, read from the environment.

Every setting is listed in the README. Names start with ``REC_`` except the conventional
``SECRET_KEY`` and ``DATABASE_URL``.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path


# The largest legitimate form is the safety plan: 5 sections of up to 5,000 characters.
# A character is at most 4 bytes of UTF-8, and each byte is sent percent-encoded as 3
# characters: 5 x 5,000 x 12 = 300,000 bytes, plus field names and the CSRF token (well
# under 2,000). 1 MiB leaves room for a section pasted far over its limit to still reach
# the form's own "keep this to 5,000 characters" message instead of the 413 page.
MAX_REQUEST_BYTES = 1024 * 1024


class ConfigError(RuntimeError):
    """A required setting is missing or wrong."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _int(name: str, default: int) -> int:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from exc


def _seconds(name: str, default: float) -> float:
    """A positive number of seconds; fractions allowed (0.5)."""
    raw = _env(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number of seconds, not {raw!r}") from exc
    if not value > 0:
        raise ConfigError(f"{name} must be more than 0 seconds")
    return value


def _bool(name: str, default: bool) -> bool:
    raw = _env(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _dev_secret_key(instance_path: Path) -> str:
    """Generate a secret key once and keep it in the instance folder (development only)."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


# Waits of REC_SMTP_TIMEOUT that one message can take at most, besides the wait after DATA:
# connecting, greeting, EHLO, STARTTLS, EHLO again, sign-in, MAIL, RCPT, DATA, and sending
# the message itself.
COMMAND_WAITS = 10


def longest_single_send(smtp_timeout: float, smtp_data_timeout: float) -> float:
    """Seconds one message can take, at most, from the claim check to the server's answer."""
    return smtp_data_timeout + COMMAND_WAITS * smtp_timeout


def load_config(instance_path: str) -> dict:
    """Build the Flask config mapping from the environment."""
    instance = Path(instance_path)
    env = (_env("REC_ENV", "development") or "development").lower()
    if env not in {"development", "production", "testing"}:
        raise ConfigError("REC_ENV must be development, production or testing")
    production = env == "production"

    secret_key = _env("SECRET_KEY")
    if not secret_key:
        if production:
            raise ConfigError(
                "SECRET_KEY must be set in production (a long random string, e.g. "
                "python -c 'import secrets; print(secrets.token_hex(32))')"
            )
        secret_key = _dev_secret_key(instance)

    database_url = _env("DATABASE_URL") or f"sqlite:///{instance / 'rec_portal.sqlite3'}"
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://"):]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]

    base_url = (_env("REC_BASE_URL") or "").rstrip("/")
    if not base_url:
        if production:
            raise ConfigError(
                "REC_BASE_URL must be set in production (the portal's public address, "
                "e.g. https://rec.example.nhs.uk); links in emails are built from it"
            )
        base_url = "http://127.0.0.1:5000"
    trusted_hosts = [h.strip() for h in (_env("REC_TRUSTED_HOSTS") or "").split(",") if h.strip()]

    feedback_days = _int("REC_FEEDBACK_OPEN_DAYS", 42)
    if feedback_days < 1:
        raise ConfigError("REC_FEEDBACK_OPEN_DAYS must be 1 or more (days feedback stays open after a session)")
    smtp_timeout = _int("REC_SMTP_TIMEOUT", 20)
    smtp_data_timeout = _int("REC_SMTP_DATA_TIMEOUT", 600)
    claim_lease = _int("REC_MAIL_CLAIM_LEASE_SECONDS", 1800)
    longest_send = longest_single_send(smtp_timeout, smtp_data_timeout)
    if claim_lease <= longest_send:
        raise ConfigError(
            f"REC_MAIL_CLAIM_LEASE_SECONDS ({claim_lease}) must be longer than the longest single "
            f"send ({longest_send} s: REC_SMTP_DATA_TIMEOUT plus {COMMAND_WAITS} times "
            "REC_SMTP_TIMEOUT), or a second send-mail run could take a message still being sent"
        )
    notify_key = _env("REC_NOTIFY_API_KEY")
    notify_template = _env("REC_NOTIFY_TEXT_TEMPLATE_ID")
    notify_timeout = _seconds("REC_NOTIFY_TIMEOUT", 20)
    if production and notify_key and not notify_template:
        raise ConfigError(
            "REC_NOTIFY_TEXT_TEMPLATE_ID must be set when REC_NOTIFY_API_KEY is (the id of the "
            "Notify text template whose whole content is ((body)))"
        )
    notify_url = _env("REC_NOTIFY_BASE_URL", "https://api.notifications.service.gov.uk")
    if production and notify_key and not notify_url.startswith("https://"):
        raise ConfigError(
            "REC_NOTIFY_BASE_URL must start with https:// in production (the API key and the "
            "texts would otherwise cross the network unencrypted)"
        )
    # Connecting and waiting for the answer may each take REC_NOTIFY_TIMEOUT.
    if claim_lease <= 2 * notify_timeout:
        raise ConfigError(
            f"REC_MAIL_CLAIM_LEASE_SECONDS ({claim_lease}) must be longer than twice "
            f"REC_NOTIFY_TIMEOUT ({notify_timeout} s), or a second run could take a text still being sent"
        )
    outbox_days = _int("REC_OUTBOX_RETENTION_DAYS", 30)
    if outbox_days < 1:
        raise ConfigError("REC_OUTBOX_RETENTION_DAYS must be 1 or more (days an email's text is kept after sending)")
    support_request_days = _int("REC_SUPPORT_REQUEST_RETENTION_DAYS", 730)
    if support_request_days < 1:
        raise ConfigError("REC_SUPPORT_REQUEST_RETENTION_DAYS must be 1 or more (days a closed support request is kept)")
    max_request = _int("REC_MAX_REQUEST_BYTES", MAX_REQUEST_BYTES)
    if max_request < 64 * 1024:
        raise ConfigError("REC_MAX_REQUEST_BYTES must be at least 65536 (the safety plan needs far more; see the README)")
    lock_timeout = _int("REC_DB_LOCK_TIMEOUT_MS", 3000)
    statement_timeout = _int("REC_DB_STATEMENT_TIMEOUT_MS", 15000)
    if lock_timeout < 0 or statement_timeout < 0:
        raise ConfigError("REC_DB_LOCK_TIMEOUT_MS and REC_DB_STATEMENT_TIMEOUT_MS must be 0 (off) or more")
    offer_hours = _int("REC_OFFER_HOURS", 48)
    last_minute_hours = _int("REC_LAST_MINUTE_HOURS", 24)
    if offer_hours < 1 or last_minute_hours < 0:
        raise ConfigError("REC_OFFER_HOURS must be 1 or more and REC_LAST_MINUTE_HOURS 0 or more (hours)")
    referral_days = _int("REC_REFERRAL_RETENTION_DAYS", 180)
    if referral_days < 1:
        raise ConfigError("REC_REFERRAL_RETENTION_DAYS must be 1 or more (days a referral that led nowhere is kept)")
    redis_url = _env("REC_REDIS_URL")
    if redis_url and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError("REC_REDIS_URL must start with redis://, rediss:// or unix://")
    idle_minutes = _int("REC_IDLE_TIMEOUT_MINUTES", 30)
    absolute_hours = _int("REC_ABSOLUTE_TIMEOUT_HOURS", 12)

    return {
        "REC_ENV": env,
        "DEBUG": False,
        "TESTING": env == "testing",
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # PostgreSQL only, for connections used by web requests (commands run without
        # them): see rec_portal/extensions.py configure_postgres. 0 turns one off.
        "REC_DB_LOCK_TIMEOUT_MS": lock_timeout,
        "REC_DB_STATEMENT_TIMEOUT_MS": statement_timeout,
        # The largest request body accepted (a 413 page beyond it). Werkzeug also caps a
        # whole url-encoded form at MAX_FORM_MEMORY_SIZE (500,000 bytes by default):
        # the same value, so the one setting decides.
        "MAX_CONTENT_LENGTH": max_request,
        "MAX_FORM_MEMORY_SIZE": max_request,
        # Sessions: the cookie only carries a random session token; the server decides
        # whether it is still valid (see rec_portal/auth/sessions.py).
        "REC_IDLE_TIMEOUT": timedelta(minutes=idle_minutes),
        "REC_ABSOLUTE_TIMEOUT": timedelta(hours=absolute_hours),
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=absolute_hours),
        "SESSION_COOKIE_NAME": "rec_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool("REC_SECURE_COOKIES", production),
        "REC_HSTS": _bool("REC_HSTS", production),
        "REMEMBER_COOKIE_DURATION": timedelta(seconds=0),
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the signed-in session
        "WTF_CSRF_HEADERS": ["X-CSRFToken"],
        "REC_PASSWORD_RESET_MINUTES": _int("REC_PASSWORD_RESET_MINUTES", 60),
        # How long the link that confirms a new sign-up's email address works; unconfirmed
        # sign-ups are deleted after this (``rec expire-signups``).
        "REC_SIGNUP_CONFIRM_HOURS": _int("REC_SIGNUP_CONFIRM_HOURS", 48),
        # Rate limits (Flask-Limiter syntax).
        "RATELIMIT_ENABLED": _bool("REC_RATELIMIT_ENABLED", True),
        # PDFs are typeset in a forked child process (a worker's memory stays what it was);
        # the child is stopped after REC_PDF_SECONDS.
        "REC_PDF_IN_CHILD": _bool("REC_PDF_IN_CHILD", True),
        "REC_PDF_SECONDS": _int("REC_PDF_SECONDS", 120),
        # Shared by every worker and server when set: rate limits (unless
        # REC_RATELIMIT_STORAGE_URI says otherwise) and the cache (rec_portal/web/cache.py).
        "REC_REDIS_URL": redis_url,
        "RATELIMIT_STORAGE_URI": _env("REC_RATELIMIT_STORAGE_URI", redis_url or "memory://"),
        # Redis down: each worker counts in its own memory until it is back, instead of
        # refusing every sign-in and booking with an error.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        # Rendered public pages and the prospectus PDF: seconds an entry lives, and the
        # most each worker keeps in memory when there is no Redis.
        "REC_CACHE_SECONDS": _int("REC_CACHE_SECONDS", 3600),
        "REC_CACHE_MAX_BYTES": _int("REC_CACHE_MAX_BYTES", 32 * 1024 * 1024),
        "RATELIMIT_HEADERS_ENABLED": False,
        "REC_LIMIT_LOGIN": _env("REC_LIMIT_LOGIN", "10 per minute; 50 per hour"),
        "REC_LIMIT_REGISTER": _env("REC_LIMIT_REGISTER", "5 per minute; 20 per hour"),
        "REC_LIMIT_REGISTER_PER_EMAIL": _env("REC_LIMIT_REGISTER_PER_EMAIL", "3 per hour"),
        "REC_LIMIT_LOGIN_CEILING": _env("REC_LIMIT_LOGIN_CEILING", "60 per minute; 300 per hour"),
        "REC_LIMIT_PASSWORD_RESET": _env("REC_LIMIT_PASSWORD_RESET", "5 per minute; 20 per hour"),
        # Per email address, whoever asks: stops one mailbox being flooded or one account
        # being guessed at from many addresses.
        "REC_LIMIT_LOGIN_PER_EMAIL": _env("REC_LIMIT_LOGIN_PER_EMAIL", "20 per hour"),
        "REC_LIMIT_PASSWORD_RESET_PER_EMAIL": _env("REC_LIMIT_PASSWORD_RESET_PER_EMAIL", "3 per hour"),
        "REC_LIMIT_ACCOUNT_CHANGES": _env("REC_LIMIT_ACCOUNT_CHANGES", "10 per minute; 30 per hour"),
        "REC_LIMIT_BOOKING": _env("REC_LIMIT_BOOKING", "20 per minute; 100 per hour"),
        # The public prospectus PDF takes a second or so to make: per client address.
        "REC_LIMIT_PROSPECTUS_PDF": _env("REC_LIMIT_PROSPECTUS_PDF", "10 per minute; 60 per hour"),
        # The public "Refer someone" form (/refer), per client address.
        "REC_LIMIT_REFERRAL": _env("REC_LIMIT_REFERRAL", "5 per minute; 20 per hour"),
        # "I would like someone from the REC to contact me" (/ask-for-help), per signed-in
        # person; only requests that were sent count.
        "REC_LIMIT_SUPPORT_REQUEST": _env("REC_LIMIT_SUPPORT_REQUEST", "5 per hour; 10 per day"),
        # Mail.
        "REC_MAIL_FROM": _env("REC_MAIL_FROM", "Recovery Education Centre <rec@example.org>"),
        "REC_SMTP_HOST": _env("REC_SMTP_HOST"),
        "REC_SMTP_PORT": _int("REC_SMTP_PORT", 587),
        "REC_SMTP_USERNAME": _env("REC_SMTP_USERNAME"),
        "REC_SMTP_PASSWORD": _env("REC_SMTP_PASSWORD"),
        "REC_SMTP_STARTTLS": _bool("REC_SMTP_STARTTLS", True),
        "REC_SMTP_SSL": _bool("REC_SMTP_SSL", False),
        # Seconds to wait to connect and for each command's answer.
        "REC_SMTP_TIMEOUT": smtp_timeout,
        # Seconds to wait for the answer once a whole message has been sent (RFC 5321
        # 4.5.3.2.6 suggests 10 minutes: a server may still be taking it).
        "REC_SMTP_DATA_TIMEOUT": smtp_data_timeout,
        # How long a send-mail run holds the messages it took; renewed before each send.
        "REC_MAIL_CLAIM_LEASE_SECONDS": claim_lease,
        # Days after sending that an email's text (body, attachment, subject) is deleted
        # by `rec apply-retention`; the record that it was sent stays.
        "REC_OUTBOX_RETENTION_DAYS": outbox_days,
        "REC_MAIL_MAX_ATTEMPTS": _int("REC_MAIL_MAX_ATTEMPTS", 8),
        # Public address: every link in an email starts with it (never the request's Host).
        "REC_BASE_URL": base_url,
        "TRUSTED_HOSTS": trusted_hosts or None,
        "REC_PROXY_COUNT": _int("REC_PROXY_COUNT", 0),
        "REC_LOG_LEVEL": (_env("REC_LOG_LEVEL", "INFO") or "INFO").upper(),
        "REC_SERVICE_NAME": "Recovery Education Centre",
        "REC_CONTACT_EMAIL": _env("REC_CONTACT_EMAIL", "rec@example.org"),
        "REC_CONTACT_PHONE": _env("REC_CONTACT_PHONE", "0300 123 4567"),
        # Where "Leave this page quickly" goes: a neutral page on another site.
        "REC_QUICK_EXIT_URL": _env("REC_QUICK_EXIT_URL", "https://www.bbc.co.uk/weather"),
        # Accounts with no sign-in for this long are anonymised by `rec apply-retention`.
        "REC_RETENTION_MONTHS": _int("REC_RETENTION_MONTHS", 36),
        # Closed support requests (and their notes) are deleted by `rec apply-retention`
        # this many days after they were closed.
        "REC_SUPPORT_REQUEST_RETENTION_DAYS": support_request_days,
        # Audit events older than this are deleted by `rec apply-retention` (12 or more).
        "REC_AUDIT_RETENTION_MONTHS": _int("REC_AUDIT_RETENTION_MONTHS", 24),
        # Outcome follow-ups (6 and 12 months) count from the last date of this course.
        "REC_OUTCOME_COURSE_SLUG": _env("REC_OUTCOME_COURSE_SLUG", "staying-safe"),
        # Feedback on a session can be given until the end of the UK day this many days
        # after its last date; anonymous answers are shown only once every session of
        # their course and term has closed (feedback/window.py).
        "REC_FEEDBACK_OPEN_DAYS": feedback_days,
        # Text messages through GOV.UK Notify (notifications/texts.py). With no key, texts
        # are written to the log and marked "logged" (development), or stay in the outbox
        # until a key is set (production). One Notify text template whose whole content is
        # ((body)): the portal writes the words.
        "REC_NOTIFY_API_KEY": notify_key,
        "REC_NOTIFY_TEXT_TEMPLATE_ID": notify_template,
        "REC_NOTIFY_BASE_URL": notify_url,
        # Seconds to wait to connect to Notify, and again for its answer (fractions allowed).
        "REC_NOTIFY_TIMEOUT": notify_timeout,
        # Waiting-list offers: a freed place is held for the first person waiting this many
        # hours (ending before booking closes); within REC_LAST_MINUTE_HOURS of the start
        # it goes to whoever accepts first among everyone waiting.
        "REC_OFFER_HOURS": offer_hours,
        "REC_LAST_MINUTE_HOURS": last_minute_hours,
        # Referrals from professionals (/refer): one that led nowhere (declined, could not
        # contact) is deleted this many days after that outcome; one that led to enrolment
        # keeps only its link to the student and the organisation type after as long
        # (``rec expire-referrals``, and ``rec apply-retention``).
        "REC_REFERRAL_RETENTION_DAYS": referral_days,
        # What the "Refer someone" confirmation promises: the REC team contacts the person
        # within this many working days.
        "REC_REFERRAL_CONTACT_DAYS": _int("REC_REFERRAL_CONTACT_DAYS", 5),
    }
