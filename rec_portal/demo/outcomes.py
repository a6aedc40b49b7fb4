"""Demo data for the outcome questionnaire (loaded by rec_portal/demo/__init__.py). Idempotent:
adds nothing if any answers exist. Flushes; the caller commits.

- Baseline answers (at enrolment) for most demo students, in the sixth to fourth
  quarters before this one: about 45% say they were victims of crime in the last 12
  months.
- 6-month and 12-month follow-ups in later quarters, showing fewer victims (about 33%,
  then about 22%). The students who attended the past Staying Safe sessions come first
  and count from their session; the others stand for earlier runs of the course, before
  the portal (no session). Their answers are backdated.
- Some quarters have fewer than 8 respondents or victims, so the report holds them back
  (and, once a quarter has closed, sometimes a neighbouring quarter's figure too: what staff
  saw before never changes, so a new small figure is protected by holding back another).
- The demo student (student@example.org) has answered nothing, so they can try it.
- The quarters that have ended are closed (their figures stored, as the report shows
  only those); the current quarter has no answers yet.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from rec_portal.demo.people import DEMO_ACCOUNTS
from rec_portal.extensions import db
from rec_portal.models import OutcomeCheck, OutcomeCrimeType, OutcomeReportedTo, User
from rec_portal.models.outcomes import BASELINE, SIX_MONTHS, TWELVE_MONTHS
from rec_portal.outcomes.operations import attended_session, close_quarters
from rec_portal.outcomes.queries import Quarter
from rec_portal.timeutil import utcnow

DEMO_LOGINS = tuple(email for email, *_ in DEMO_ACCOUNTS)

# (stage, quarters before this one, respondents, victims, repeat victims, reported it)
PLAN = [
    (BASELINE, 6, 22, 10, 5, 4),
    (BASELINE, 5, 20, 9, 4, 4),
    (BASELINE, 4, 16, 8, 3, 3),
    (SIX_MONTHS, 4, 6, 2, 1, 1),
    (SIX_MONTHS, 3, 24, 8, 3, 4),
    (SIX_MONTHS, 2, 20, 8, 2, 3),
    (TWELVE_MONTHS, 2, 6, 1, 0, 1),
    (TWELVE_MONTHS, 1, 36, 8, 2, 5),
]
KINDS = ["theft", "harassment", "fraud", "assault", "theft", "hate_crime", "harassment", "other",
         "domestic_abuse", "fraud", "sexual_offence"]
TOLD = ["police", "support_service", "care_team", "third_party", "other"]


def _quarters_ago(n: int) -> Quarter:
    q = Quarter.of(utcnow())
    for _ in range(n):
        q = Quarter(q.year - 1, 4) if q.number == 1 else Quarter(q.year, q.number - 1)
    return q


def load(users: dict, courses: dict) -> int:
    del courses
    if db.session.execute(select(OutcomeCheck.id).limit(1)).first():
        close_quarters()
        return 0
    students = sorted(
        (u for email, u in users.items() if email not in DEMO_LOGINS and u.role_names == {"student"}),
        key=lambda u: u.email,
    )
    if not students:
        return 0
    attended: dict[int, int] = {}
    for student in students:
        came = attended_session(student.id)
        if came is not None:
            attended[student.id] = came[0]
    followers = [u for u in students if u.id in attended] + [u for u in students if u.id not in attended]
    rng = random.Random(7)
    next_index = {BASELINE: 0, SIX_MONTHS: 0, TWELVE_MONTHS: 0}
    made = 0
    for stage, ago, respondents, victims, repeat, reported in PLAN:
        pool = students if stage == BASELINE else followers
        quarter = _quarters_ago(ago)
        start = quarter.starts_at()
        for i in range(respondents):
            if next_index[stage] >= len(pool):
                break
            person: User = pool[next_index[stage]]
            next_index[stage] += 1
            victim = i < victims
            check = OutcomeCheck(
                student_id=person.id, stage=stage,
                session_id=None if stage == BASELINE else attended.get(person.id),
                answered_at=start + timedelta(days=2 + (i * 83) // max(respondents, 1), hours=10 + i % 7),
                victim=victim,
            )
            if victim:
                check.times = rng.randint(2, 4) if i < repeat else (1 if i % 4 else None)
                check.reported = True if i < reported else (False if i % 3 else None)
                check.got_support = (i % 2 == 0) if i % 5 else None
                kinds = {KINDS[(i + made) % len(KINDS)]} | ({rng.choice(KINDS)} if i % 3 == 0 else set())
                check.crime_types = [OutcomeCrimeType(crime_type=k) for k in sorted(kinds)]
                if check.reported:
                    check.reported_to = [OutcomeReportedTo(body=TOLD[i % len(TOLD)])]
            db.session.add(check)
            made += 1
    db.session.flush()
    close_quarters()
    return made
