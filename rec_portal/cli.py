"""``flask --app wsgi rec ...`` commands."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from rec_portal import audit
from rec_portal.auth.passwords import hash_password, password_problem
from rec_portal.extensions import db
from rec_portal.models import User, UserRole
from rec_portal.models.accounts import ADMIN, FACILITATOR, STUDENT
from rec_portal.timeutil import utcnow

rec_cli = AppGroup("rec", help="Recovery Education Centre portal commands.")

DEMO_PASSWORD = "demo-password"
DEMO_ACCOUNTS = [
    ("admin@example.org", "Alex Morgan", "Alex", (ADMIN, STUDENT)),
    ("facilitator@example.org", "Sam Patel", "Sam", (FACILITATOR, STUDENT)),
    ("student@example.org", "Jo Williams", "Jo", (STUDENT,)),
]


def _user_count() -> int:
    return db.session.execute(select(func.count()).select_from(User)).scalar_one()


@rec_cli.command("demo-data")
@click.option("--if-empty", is_flag=True, help="Do nothing if the database has any accounts.")
def demo_data(if_empty: bool) -> None:
    """Load demo accounts (never in production)."""
    if current_app.config["REC_ENV"] == "production":
        click.echo("Refusing to load demo data: REC_ENV is production.", err=True)
        sys.exit(1)
    if if_empty and _user_count() > 0:
        click.echo("The database already has accounts; demo data not loaded.")
        return
    created = 0
    for email, full_name, preferred, roles in DEMO_ACCOUNTS:
        if db.session.execute(select(User).where(User.email == email)).scalar_one_or_none():
            continue
        user = User(
            email=email,
            full_name=full_name,
            preferred_name=preferred,
            # Deliberately weak, well-known demo password: not checked against the rules.
            password_hash=hash_password(DEMO_PASSWORD),
            privacy_consent_at=utcnow(),
        )
        user.roles = [UserRole(role=r) for r in roles]
        db.session.add(user)
        created += 1
    db.session.commit()
    click.echo(f"Demo data loaded ({created} new accounts).")


def print_demo_logins() -> None:
    click.echo("Demo logins (password for all: %s):" % DEMO_PASSWORD)
    for email, _name, _pref, roles in DEMO_ACCOUNTS:
        click.echo(f"  {email:<26} {', '.join(roles)}")


@rec_cli.command("demo-logins")
def demo_logins() -> None:
    """Print the demo sign-in details."""
    print_demo_logins()


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


@rec_cli.command("send-mail")
@click.option("--limit", default=200, show_default=True, help="Most messages to try in one run.")
def send_mail(limit: int) -> None:
    """Deliver due messages from the outbox (run it every minute from cron or a timer)."""
    from rec_portal.notifications.outbox import deliver_pending

    report = deliver_pending(limit=limit)
    click.echo(f"Outbox: {report}.")
