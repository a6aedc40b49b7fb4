"""Password hashing (Argon2id, memory-hard) and the password rules."""

from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

MIN_LENGTH = 10
MAX_LENGTH = 128

# OWASP Password Storage Cheat Sheet (2024-): Argon2id, 19 MiB, 2 passes, 1 lane. About
# 25 ms per sign-in on one core of a 2-core server, against 140 ms (and 4 threads) for
# argon2-cffi's defaults (RFC 9106's 64 MiB low-memory profile): see the README,
# "Passwords". Older hashes are re-made with these on the next sign-in (needs_rehash).
_STRONG = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
# Tests only (REC_ENV=testing): still Argon2id, with costs low enough for a fast suite.
_FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def _hasher() -> PasswordHasher:
    return _FAST if current_app.config.get("TESTING") else _STRONG


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password. With no hash (unknown account) still spend the same effort."""
    hasher = _hasher()
    if not password_hash:
        try:
            hasher.verify(_dummy_hash(hasher), password + "x")
        except VerificationError:
            pass
        return False
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return _hasher().check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


_DUMMY: dict[int, str] = {}


def _dummy_hash(hasher: PasswordHasher) -> str:
    key = id(hasher)
    if key not in _DUMMY:
        _DUMMY[key] = hasher.hash("not-a-real-password-but-the-same-cost")
    return _DUMMY[key]


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """About 20,000 of the most common passwords (the list Django ships, lower case)."""
    path = Path(__file__).parent / "data" / "common-passwords.txt.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return frozenset(line.strip() for line in fh if line.strip())


def password_problem(password: str, email: str | None = None) -> str | None:
    """The first rule a new password breaks, as a message for the person, or None."""
    if len(password) < MIN_LENGTH:
        return f"Password must be {MIN_LENGTH} characters or more"
    if len(password) > MAX_LENGTH:
        return f"Password must be {MAX_LENGTH} characters or fewer"
    lowered = password.strip().lower()
    if email:
        email_l = email.strip().lower()
        local = email_l.split("@", 1)[0]
        if lowered == email_l or (len(local) >= 4 and lowered == local):
            return "Password must not be the same as your email address"
    if lowered in common_passwords():
        return "This password is too common and easy to guess. Choose a different password"
    if len(set(password)) < 3:
        return "Password must not be the same character repeated. Choose a different password"
    return None
