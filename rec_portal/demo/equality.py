"""Demo data for equality monitoring (loaded by rec_portal/demo/__init__.py). Idempotent:
adds nothing if any answers exist. Flushes; the caller commits.

About four in five demo students (and former students) answered some or all of the
equality questions, drawn from a fixed spread (seeded, so every load is the same): the
larger groups (for example White British, Christian or no religion, aged 25 to 54) show
in the term report's "Equality monitoring" tables (for the term before this one: a term's
counts are shown once it has ended), while the smaller ones (a few Black
Caribbean, Pakistani or Chinese students, under 18s, those over 75) are held back as
"not shown". Some answered "Prefer not to say", and some left questions out. The demo
logins (student@example.org and the staff) have answered nothing, so the demo student can
try the questions at /my/account/equality.
"""

from __future__ import annotations

import random

from sqlalchemy import select

from rec_portal.demo.people import DEMO_ACCOUNTS
from rec_portal.extensions import db
from rec_portal.models.accounts import STUDENT
from rec_portal.models.equality import FIELDS, PREFER_NOT, EqualityAnswers

DEMO_LOGINS = tuple(email for email, *_ in DEMO_ACCOUNTS)

# Each question: (code, weight); "" is "left out".
SPREAD = {
    "age_band": [("18_24", 6), ("25_34", 16), ("35_44", 18), ("45_54", 16), ("55_64", 10), ("65_74", 4),
                 ("75_plus", 1), (PREFER_NOT, 3), ("", 4)],
    "sex": [("female", 48), ("male", 34), (PREFER_NOT, 5), ("", 5)],
    "gender_identity": [("same", 70), ("not_same", 3), (PREFER_NOT, 6), ("", 10)],
    "ethnicity": [("white_british", 52), ("white_other", 5), ("asian_pakistani", 4), ("asian_indian", 3),
                  ("black_caribbean", 3), ("black_african", 2), ("mixed_white_black_caribbean", 2),
                  ("asian_chinese", 1), (PREFER_NOT, 5), ("", 4)],
    "disability": [("yes", 45), ("no", 30), (PREFER_NOT, 8), ("", 6)],
    "sexual_orientation": [("heterosexual", 55), ("gay_lesbian", 5), ("bisexual", 5), ("not_sure", 2),
                           (PREFER_NOT, 12), ("", 8)],
    "religion": [("none", 34), ("christian", 30), ("muslim", 5), ("hindu", 2), ("sikh", 1), ("jewish", 1),
                 ("buddhist", 1), (PREFER_NOT, 8), ("", 6)],
}


def load(users: dict, courses: dict) -> int:
    del courses
    if db.session.execute(select(EqualityAnswers.user_id).limit(1)).first():
        return 0
    students = sorted(
        (u for email, u in users.items()
         if email not in DEMO_LOGINS and STUDENT in u.role_names and u.anonymised_at is None),
        key=lambda u: u.email,
    )
    rng = random.Random(17)
    made = 0
    for student in students:
        if rng.random() < 0.2:  # about one in five chose not to answer at all
            continue
        answers = {}
        for name in FIELDS:
            codes, weights = zip(*SPREAD[name], strict=True)
            answers[name] = rng.choices(codes, weights)[0]
        if not any(answers.values()):
            continue
        db.session.add(EqualityAnswers(user_id=student.id, **answers))
        made += 1
    db.session.flush()
    return made
