"""The main student pages reflow at 320 CSS pixels (as at 400% zoom on a 1280 pixel
screen: WCAG 2.2, 1.4.10): nothing is wider than the screen, so nobody scrolls
sideways. The accessibility statement says this is tested; staff tables
that do not reflow yet are listed there as known problems."""

from __future__ import annotations

import pytest

from rec_portal.demo import DEMO_PASSWORD, DEMO_STUDENT, load_demo_data
from rec_portal.extensions import db
from tests.browser.conftest import sign_in_quietly

pytestmark = pytest.mark.browser

PAGES = ["/", "/courses", "/courses/staying-safe", "/support", "/accessibility",
         "SIGN IN", "/", "/my/courses", "/my/plan", "/my/safety-plan", "/my/account"]


def test_the_main_student_pages_fit_320_pixels(visitor, live_server):
    if not visitor.js:
        pytest.skip("the page's width is measured with JavaScript (layout does not depend on it)")
    with live_server.app.app_context():
        load_demo_data()
        db.session.commit()
    page = visitor.page
    page.set_viewport_size({"width": 320, "height": 800})
    for path in PAGES:
        if path == "SIGN IN":
            sign_in_quietly(visitor, DEMO_STUDENT, password=DEMO_PASSWORD)
            continue
        visitor.visit(path)
        wide = page.evaluate("""() => {
            const limit = document.documentElement.clientWidth;
            const over = [...document.querySelectorAll('body *')]
              .filter(e => e.getBoundingClientRect().right > limit + 1 && e.getClientRects().length)
              .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && typeof e.className == 'string' ? '.' + e.className.split(' ')[0] : ''));
            return {scroll: document.documentElement.scrollWidth, limit, over: over.slice(0, 8)};
        }""")
        assert wide["scroll"] <= wide["limit"], (path, wide)
        assert not wide["over"], (path, wide)
