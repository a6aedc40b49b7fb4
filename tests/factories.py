"""Plain functions that make test data with sensible defaults. Callers commit."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from rec_portal.auth.passwords import hash_password
from rec_portal.extensions import db
from rec_portal.models import User, UserRole
from rec_portal.timeutil import utcnow

PASSWORD = "blue-kettle-morning-42"
_seq = itertools.count(1)


@dataclass(frozen=True)
class Ref:
    id: int
    email: str


def make_user(
    *,
    roles=("student",),
    email: str | None = None,
    full_name: str | None = None,
    preferred_name: str | None = None,
    password: str = PASSWORD,
    active: bool = True,
) -> User:
    n = next(_seq)
    roles = set(roles or ("student",))
    user = User(
        email=(email or f"person{n}@example.org").lower(),
        full_name=full_name or f"Test Person {n}",
        preferred_name=preferred_name or f"Tester{n}",
        password_hash=hash_password(password),
        active=active,
        privacy_consent_at=utcnow(),
    )
    user.roles = [UserRole(role=r) for r in sorted(roles)]
    db.session.add(user)
    db.session.flush()
    return user
