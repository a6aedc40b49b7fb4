"""Referrals from professionals: the public "Refer someone" form (/refer) and the REC
team's referral queue (/admin/referrals)."""

from flask import Blueprint

bp = Blueprint("referrals", __name__)

from rec_portal.referrals import views  # noqa: E402,F401
