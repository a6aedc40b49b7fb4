import pytest

from rec_portal.passwords import (
    common_passwords,
    hash_password,
    password_problem,
    verify_password,
)


def test_common_password_list_is_loaded():
    words = common_passwords()
    assert len(words) > 19000
    assert "1234567890" in words and "qwertyuiop" in words


@pytest.mark.parametrize(
    "password, email, expected",
    [
        ("short", None, "Password must be 10 characters or more"),
        ("x" * 129, None, "Password must be 128 characters or fewer"),
        ("1234567890", None, "This password is too common and easy to guess"),
        ("QWERTYUIOP", None, "This password is too common and easy to guess"),
        ("sam.patel@example.org", "Sam.Patel@example.org", "must not be the same as your email"),
        ("sam.patel1", "sam.patel1@example.org", "must not be the same as your email"),
        ("aaaaaaaaaaaa", None, "same character repeated"),
    ],
)
def test_password_rules_refuse_with_a_reason(password, email, expected):
    assert expected in (password_problem(password, email) or "")


@pytest.mark.parametrize("password", ["purple tea garden lamp", "ab1" * 42 + "xy", "blue-kettle-morning-42"])
def test_good_passwords_pass(password):
    assert password_problem(password, "someone@example.org") is None


def test_hashes_are_argon2id_and_verify(app_ctx):
    hashed = hash_password("purple tea garden lamp")
    assert hashed.startswith("$argon2id$")
    assert "purple" not in hashed
    assert verify_password(hashed, "purple tea garden lamp")
    assert not verify_password(hashed, "purple tea garden lam")
    assert not verify_password(None, "anything at all")
    assert not verify_password("not-a-hash", "anything at all")


def test_production_hasher_is_memory_hard():
    from rec_portal.passwords import _STRONG

    assert _STRONG.memory_cost >= 19 * 1024  # at least OWASP's 19 MiB for Argon2id
