"""The term report and the prospectus in a real browser, with JavaScript on and off:
an admin opens the term report, chooses another term and back, and a visitor (signed out)
reads the prospectus. Every page is scanned with axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import sign_in_quietly
from tests.scenarios import TERM, build_prospectus
from tests.scenarios import build_term as _build_term

pytestmark = pytest.mark.browser


def test_term_report_and_prospectus(visitor, live_server):
    app = live_server.app
    _build_term(app)
    term, when = build_prospectus(app)
    # Signed out: the prospectus, then the term's page from the chooser.
    visitor.visit("/prospectus")
    expect(visitor.page.locator("h1")).to_contain_text("Prospectus")
    visitor.page.select_option("#term", term.key)
    visitor.submit("Show this term")
    expect(visitor.page.locator("#course-staying-safe")).to_contain_text(when)
    expect(visitor.page.get_by_role("link", name="Download the prospectus to print (PDF)")).to_be_visible()
    with app.app_context():
        factories.make_user(roles=("admin",), email="boss@example.org")
        from rec_portal.extensions import db

        db.session.commit()
    sign_in_quietly(visitor, "boss@example.org")
    visitor.visit(f"/admin/reports/term?term={TERM}")
    expect(visitor.page.locator("#term-heading")).to_have_text("Spring term 2026 (January to April)")
    expect(visitor.page.locator("#figure-enrolment")).to_contain_text("20 new students enrolled")
    expect(visitor.page.locator("#csv-waiting-lists")).to_be_visible()
    visitor.page.select_option("#term", index=0)
    visitor.submit("Show the report")
    expect(visitor.page.locator("h1")).to_have_text("Term report")
