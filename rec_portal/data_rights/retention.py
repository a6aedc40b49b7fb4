"""What ``rec apply-retention`` removes, as a list of steps.

Each step is a label and a function ``run(now) -> int`` (how many rows it removed or
anonymised); the command runs them in order, commits after each one and prints every
count. To add a step, add one ``Step(...)`` line to ``retention_steps``. Steps flush,
never commit, and are safe to repeat.

How long things are kept (the privacy notice says the same):
- accounts with no sign-in or booking for ``REC_RETENTION_MONTHS`` are anonymised
  (``operations.apply_retention``);
- drafts kept after a timeout: ``drafts.KEEP_FOR`` (7 days);
- enrolments never confirmed: until their link expires (``REC_SIGNUP_CONFIRM_HOURS``);
- signed-in sessions: a day after they end. A session that timed out is kept while the
  drafts it allows are (``drafts.KEEP_FOR`` after it timed out): the browser's
  ``_last_session`` cookie names it, and only its row says whose drafts they are. A
  session nobody ended but that has gone past the idle or absolute timeout counts as
  timed out at that moment;
- password reset links: a day after they were used or expired;
- call-list lines: ``REC_OUTBOX_RETENTION_DAYS`` after they were done or stopped being
  needed (as the text of a sent email or text message);
- support requests (and their notes): ``REC_SUPPORT_REQUEST_RETENTION_DAYS`` after they
  were closed (open ones are kept until closed);
- referrals from professionals that led nowhere (declined, could not contact):
  ``REC_REFERRAL_RETENTION_DAYS`` after that outcome; those that led to enrolment keep
  only their link to the student and the organisation type after as long;
- audit events: ``REC_AUDIT_RETENTION_MONTHS`` (at least 12). Nothing in the portal reads
  old audit rows (they are only listed at /admin/audit and in a person's data download;
  rate limits, outcome quarters and "already asked" checks have tables of their own), so
  every kind of event goes after the same period.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, delete, or_

from rec_portal.drafts import KEEP_FOR as DRAFTS_KEPT_FOR
from rec_portal.drafts import TIMEOUTS, purge_old_drafts
from rec_portal.extensions import db
from rec_portal.models import AuditEvent, PasswordResetToken, UserSession

# Ended sessions and used or expired reset links are kept this long (for questions such
# as "was I signed out?" or "did my reset link work?" the next day), then deleted.
ENDED_KEPT_FOR = timedelta(days=1)
# A timed-out session is kept while the drafts it lets its owner get back are.
TIMED_OUT_KEPT_FOR = max(ENDED_KEPT_FOR, DRAFTS_KEPT_FOR)

MIN_AUDIT_RETENTION_MONTHS = 12


def purge_ended_sessions(now: datetime) -> int:
    """Delete signed-in sessions a day after they ended; timed-out ones (including those
    nobody ended but that are past the idle or absolute timeout) once ``drafts.KEEP_FOR``
    has passed since they timed out."""
    idle = current_app.config["REC_IDLE_TIMEOUT"]
    absolute = current_app.config["REC_ABSOLUTE_TIMEOUT"]
    ended_otherwise = and_(
        UserSession.ended_at.is_not(None),
        or_(UserSession.ended_reason.is_(None), UserSession.ended_reason.not_in(TIMEOUTS)),
        UserSession.ended_at < now - ENDED_KEPT_FOR,
    )
    timed_out = and_(
        UserSession.ended_at.is_not(None),
        UserSession.ended_reason.in_(TIMEOUTS),
        UserSession.ended_at < now - TIMED_OUT_KEPT_FOR,
    )
    # Never ended (the person just stopped using the portal): it timed out when it went
    # past the idle or the absolute timeout, whichever came first.
    gone_quiet = and_(
        UserSession.ended_at.is_(None),
        or_(
            UserSession.last_seen_at < now - idle - TIMED_OUT_KEPT_FOR,
            UserSession.created_at < now - absolute - TIMED_OUT_KEPT_FOR,
        ),
    )
    result = db.session.execute(
        delete(UserSession).where(or_(ended_otherwise, timed_out, gone_quiet))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def purge_reset_tokens(now: datetime) -> int:
    """Delete password reset links a day after they were used or expired."""
    cutoff = now - ENDED_KEPT_FOR
    result = db.session.execute(
        delete(PasswordResetToken)
        .where(or_(PasswordResetToken.used_at < cutoff, PasswordResetToken.expires_at < cutoff))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def purge_audit_events(now: datetime, months: int) -> int:
    """Delete audit events older than ``months`` months (at least 12)."""
    from rec_portal.data_rights.operations import _months_ago

    if months < MIN_AUDIT_RETENTION_MONTHS:
        raise ValueError(
            f"the audit retention period must be at least {MIN_AUDIT_RETENTION_MONTHS} months"
        )
    result = db.session.execute(
        delete(AuditEvent).where(AuditEvent.at < _months_ago(now, months))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


@dataclass(frozen=True)
class Step:
    label: str  # printed before the count, e.g. "Password reset links deleted"
    run: Callable[[datetime], int]


def retention_steps(months: int, audit_months: int) -> list[Step]:
    """Every step of ``rec apply-retention``, in the order they run."""
    from rec_portal.auth.operations import expire_invitations, expire_signups
    from rec_portal.calls.operations import purge_done_lines
    from rec_portal.data_rights.operations import apply_retention as anonymise_inactive
    from rec_portal.notifications.outbox import purge_sent_bodies
    from rec_portal.support_requests.operations import purge_closed as purge_closed_support_requests
    from rec_portal.referrals.operations import expire_referrals, minimise_enrolled

    outbox_days = current_app.config["REC_OUTBOX_RETENTION_DAYS"]
    support_days = current_app.config["REC_SUPPORT_REQUEST_RETENTION_DAYS"]
    referral_days = current_app.config["REC_REFERRAL_RETENTION_DAYS"]
    return [
        Step(f"Accounts anonymised (no sign-in or booking for more than {months} months)",
             lambda now: anonymise_inactive(months, now=now)),
        Step(f"Drafts deleted (kept after a timeout, not taken back within {DRAFTS_KEPT_FOR.days} days)",
             purge_old_drafts),
        Step("Unconfirmed enrolments deleted (link expired)", expire_signups),
        Step("Invitations to set up an online account deleted (expired or used)", expire_invitations),
        Step(f"Message texts deleted (emails and texts sent or given up over {outbox_days} days ago; "
             "the record stays)",
             lambda now: purge_sent_bodies(now=now, days=outbox_days)),
        Step(f"Call-list lines deleted (done or no longer needed over {outbox_days} days ago)",
             lambda now: purge_done_lines(now, outbox_days)),
        Step(f"Support requests deleted (closed over {support_days} days ago)",
             lambda now: purge_closed_support_requests(now, support_days)),
        Step(f"Referrals deleted (declined or could not contact, over {referral_days} days ago)",
             lambda now: expire_referrals(now, referral_days)),
        Step(f"Referrals that led to enrolment over {referral_days} days ago: details removed "
             "(the link to the student and the organisation type stay)",
             lambda now: minimise_enrolled(now, referral_days)),
        Step(f"Signed-in sessions deleted (ended over a day ago; timed out over "
             f"{TIMED_OUT_KEPT_FOR.days} days ago)", purge_ended_sessions),
        Step("Password reset links deleted (used or expired over a day ago)", purge_reset_tokens),
        Step(f"Audit events deleted (older than {audit_months} months)",
             lambda now: purge_audit_events(now, audit_months)),
    ]
