"""``flask --app wsgi rec ...`` commands."""

from __future__ import annotations

import sys

import click
from flask import current_app
from sqlalchemy import select

from rec_portal import audit
from rec_portal.commands import rec_cli
from rec_portal.passwords import hash_password, password_problem
from rec_portal.demo import database_is_empty, load_demo_data, login_lines
from rec_portal.extensions import db
from rec_portal.models import User, UserRole
from rec_portal.models.accounts import ADMIN, STUDENT
from rec_portal.timeutil import utcnow



@rec_cli.command("demo-data")
@click.option("--if-empty", is_flag=True, help="Do nothing if the database has any accounts.")
def demo_data(if_empty: bool) -> None:
    """Load demo accounts, courses, sessions and bookings (never in production).

    Safe to run again: what already exists (by email and course slug) is left alone."""
    if current_app.config["REC_ENV"] == "production":
        click.echo("Refusing to load demo data: REC_ENV is production.", err=True)
        sys.exit(1)
    if if_empty and not database_is_empty():
        click.echo("The database already has accounts; demo data not loaded.")
        return
    report = load_demo_data()
    db.session.commit()
    click.echo(report.summary())


@rec_cli.command("demo-logins")
def demo_logins() -> None:
    """Print the demo sign-in details."""
    for line in login_lines():
        click.echo(line)


@rec_cli.command("create-admin")
@click.option("--email", prompt="Email address")
@click.option("--name", "full_name", prompt="Full name")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Prompted for if not given (recommended: do not put it on the command line).",
)
def create_admin(email: str, full_name: str, password: str) -> None:
    """Create an admin account, or give an existing account the admin role."""
    email = email.strip().lower()
    existing = db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()
    if existing:
        if existing.has_role(ADMIN):
            click.echo(f"{email} is already an admin.")
            return
        existing.roles.append(UserRole(role=ADMIN))
        audit.record(audit.ROLE_GRANTED, subject=existing, detail="admin (command line)")
        db.session.commit()
        click.echo(f"Gave the admin role to the existing account {email}.")
        return
    problem = password_problem(password, email)
    if problem:
        click.echo(f"Password not accepted: {problem}.", err=True)
        sys.exit(1)
    user = User(
        email=email,
        full_name=full_name.strip(),
        preferred_name=full_name.strip().split()[0] if full_name.strip() else "",
        password_hash=hash_password(password),
    )
    user.roles = [UserRole(role=ADMIN), UserRole(role=STUDENT)]
    db.session.add(user)
    db.session.flush()
    audit.record(audit.ADMIN_CREATED, subject=user)
    db.session.commit()
    click.echo(f"Admin account created for {email}.")


LIMIT_HELP = "Most messages of each channel (emails, texts) to try in one run."


@rec_cli.command("send-messages")
@click.option("--limit", default=200, show_default=True, help=LIMIT_HELP)
def send_messages(limit: int) -> None:
    """Deliver due emails and text messages from the outbox (run it every minute from cron
    or a timer)."""
    from rec_portal.notifications.outbox import deliver_pending

    report = deliver_pending(limit=limit)
    click.echo(f"Outbox: {report}.")


@rec_cli.command("send-mail")
@click.option("--limit", default=200, show_default=True, help=LIMIT_HELP)
@click.pass_context
def send_mail(ctx: click.Context, limit: int) -> None:
    """The old name of send-messages, kept so existing timers keep working: delivers due
    emails and text messages alike."""
    ctx.invoke(send_messages, limit=limit)


@rec_cli.command("send-reminders")
def send_reminders() -> None:
    """Queue reminders (email, text or a call-list line, by each person's contact
    preference) for places starting within two days (each is sent once)."""
    from rec_portal.bookings.operations import send_reminders as remind

    count = remind()
    db.session.commit()
    click.echo(f"Reminders queued: {count}.")


@rec_cli.command("apply-retention")
@click.option(
    "--months", type=click.IntRange(min=12), default=None,
    help="Inactive for longer than this many months (default: REC_RETENTION_MONTHS, 36).",
)
def apply_retention(months: int | None) -> None:
    """Remove what the privacy notice says is kept only for a while, and print how much.

    Anonymises accounts (not admins) with no sign-in or booking for REC_RETENTION_MONTHS:
    names, contact details, plans and safety plans go; bookings stay only as anonymous
    counts. Deletes drafts nobody came back for, unconfirmed enrolments whose link expired,
    signed-in sessions a day after they ended (timed-out ones once their drafts could no
    longer be given back), password reset links a day after use or expiry, and audit
    events older than REC_AUDIT_RETENTION_MONTHS. Safe to run again (e.g. nightly)."""
    from rec_portal.data_rights.retention import MIN_AUDIT_RETENTION_MONTHS, retention_steps

    months = months or current_app.config["REC_RETENTION_MONTHS"]
    if months < 12:
        click.echo(f"Refusing: REC_RETENTION_MONTHS is {months}; it must be 12 or more.", err=True)
        sys.exit(2)
    audit_months = current_app.config["REC_AUDIT_RETENTION_MONTHS"]
    if audit_months < MIN_AUDIT_RETENTION_MONTHS:
        click.echo(
            f"Refusing: REC_AUDIT_RETENTION_MONTHS is {audit_months}; "
            f"it must be {MIN_AUDIT_RETENTION_MONTHS} or more.",
            err=True,
        )
        sys.exit(2)
    now = utcnow()
    for step in retention_steps(months, audit_months):
        count = step.run(now)
        db.session.commit()  # each step stands on its own: a later failure keeps it
        click.echo(f"{step.label}: {count}")


@rec_cli.command("expire-signups")
def expire_signups() -> None:
    """Delete enrolments whose email address was never confirmed and whose link has expired
    (after REC_SIGNUP_CONFIRM_HOURS, default 48). ``rec apply-retention`` does this too.
    Safe to run again (e.g. hourly)."""
    from rec_portal.auth.operations import expire_signups as expire

    deleted = expire()
    db.session.commit()
    noun = "enrolment" if deleted == 1 else "enrolments"
    click.echo(f"Deleted {deleted} unconfirmed {noun} whose link had expired.")


@rec_cli.command("expire-invitations")
def expire_invitations() -> None:
    """Delete invitations to set up an online account whose link has expired (after
    REC_SIGNUP_CONFIRM_HOURS) or been used. ``rec apply-retention`` does this too. Safe to
    run again (e.g. hourly)."""
    from rec_portal.auth.operations import expire_invitations as expire

    deleted = expire()
    db.session.commit()
    noun = "invitation" if deleted == 1 else "invitations"
    click.echo(f"Deleted {deleted} {noun} whose link had expired or been used.")


# Each feature's own commands (they add themselves to ``rec_cli``).
from rec_portal.attendance import cli as _attendance_cli  # noqa: F401
from rec_portal.bookings import cli as _bookings_cli  # noqa: F401
from rec_portal.facilitation import cli as _facilitation_cli  # noqa: F401
from rec_portal.outcomes import cli as _outcomes_cli  # noqa: F401
from rec_portal.referrals import cli as _referrals_cli  # noqa: F401
from rec_portal.reports import cli as _reports_cli  # noqa: F401
from rec_portal.rosters import cli as _rosters_cli  # noqa: F401
from rec_portal.jobs import cli as _jobs_cli  # noqa: F401  (last: it runs the commands above)
