"""The term report's equality counts on PostgreSQL (it refused the counting query, a
GroupingError, before da4bb1e: coalesce(col, $1) in SELECT and coalesce(col, $2) in
GROUP BY are different expressions to PostgreSQL)."""

from __future__ import annotations

import pytest

from rec_portal.extensions import db
from tests import factories
from tests.conftest import login
from tests.catalogue import _text
from tests.scenarios import TERM, equality_report_world, term_csv

pytestmark = pytest.mark.pg


def test_an_ended_terms_equality_counts_on_postgresql(pg_app, pg_client):
    equality_report_world(pg_app)
    with pg_app.app_context():
        admin = factories.make_user(roles=("admin",))
        db.session.commit()
        email = admin.email
    client = login(pg_app, email)
    page = client.get(f"/admin/reports/term?term={TERM}")
    assert page.status_code == 200 and "25 students active in the term" in _text(page.get_data(as_text=True))
    age = dict(term_csv(client, "equality-age-band")[1:])
    assert age["18 to 24"] == "9" and age["25 to 34"] == "8" and age["All students counted"] == "25"
    assert dict(term_csv(client, "equality-religion")[1:])["Christian"] == "12"
