"""Routes of referrals (issue 17)."""

from rec_portal.referrals import bp  # noqa: F401
