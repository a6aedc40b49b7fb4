"""Issue 19, part 5: links and buttons say which one. On pages that repeat an action (one
per booking, date or session), no two links or buttons that go to different places share
an accessible name (visible text plus visually hidden text)."""

from __future__ import annotations

from collections import defaultdict
from html.parser import HTMLParser

from rec_portal.extensions import db
from tests import factories


class _Actions(HTMLParser):
    """Each link's and button's accessible name (aria-hidden text left out), with where it
    goes (a link's href; a button's form action)."""

    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, str]] = []
        self._open: list[list] = []  # [tag, target, words]
        self._hidden = 0
        self._form_action = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form_action = attrs.get("action") or ""
        if self._hidden or attrs.get("aria-hidden") == "true":
            self._hidden += 1 if tag not in ("br", "img", "input") else 0
            return
        if tag == "a" and attrs.get("href"):
            self._open.append(["a", attrs["href"], []])
        elif tag == "button":
            self._open.append(["button", self._form_action + "|" + (attrs.get("value") or ""), []])

    def handle_endtag(self, tag):
        if self._hidden:
            self._hidden -= 1
            return
        if self._open and self._open[-1][0] == tag:
            _, target, words = self._open.pop()
            self.found.append((" ".join("".join(words).split()), target))

    def handle_data(self, data):
        if self._open and not self._hidden:
            self._open[-1][2].append(data)


def repeated_names(html: str) -> dict[str, set[str]]:
    """Accessible names used for more than one destination."""
    parser = _Actions()
    parser.feed(html)
    targets = defaultdict(set)
    for name, target in parser.found:
        targets[name].add(target)
    return {name: found for name, found in targets.items() if len(found) > 1}


def test_my_courses_names_each_place_by_course_and_date(app, client, login_as):
    me = login_as("student")
    with app.app_context():
        course = factories.make_course(title="Staying Safe")
        first, second, third = (factories.make_session(course=course, starts_in_days=d) for d in (5, 12, 19))
        factories.make_booking(first, me.id)
        factories.make_booking(second, me.id, status="waitlisted")
        factories.make_booking(third, me.id, status="waitlisted")
        other = factories.make_course(title="Hearing Voices")
        factories.make_booking(factories.make_session(course=other, starts_in_days=7), me.id)
        for days in (40, 80):
            done = factories.make_past_session(title=f"Past {days}", days_ago=days)
            booking = factories.make_booking(done, me.id)
            factories.mark_attendance(booking, done, ["present"])
        db.session.commit()
    html = client.get("/my/courses").get_data(as_text=True)
    assert html.count("Leave the waiting list") == 2
    assert repeated_names(html) == {}


def test_the_course_page_and_home_page_name_each_date(app, client, login_as):
    me = login_as("student", "facilitator")
    with app.app_context():
        course = factories.make_course(title="Staying Safe", slug="staying-safe")
        for days in (5, 12, 19):
            session = factories.make_session(course=course, starts_in_days=days)
            factories.add_to_roster(session, me.id)
        db.session.commit()
    for path in ("/courses/staying-safe", "/", "/facilitate"):
        html = client.get(path).get_data(as_text=True)
        assert repeated_names(html) == {}, path


def test_staff_pages_name_each_session_and_person(app, client, login_as):
    me = login_as("admin", "facilitator")
    with app.app_context():
        course = factories.make_course_needing("Staying Safe", slug="staying-safe")
        sessions = [factories.make_session(course=course, starts_in_days=d, dates=2) for d in (5, 12, 19)]
        for session in sessions:
            factories.add_to_roster(session, me.id)
            factories.fill_places(session, 3)
        factories.fill_places(sessions[0], 2, status="waitlisted")
        db.session.commit()
        course_id, session_id = course.id, sessions[0].id
    for path in (f"/admin/courses/{course_id}", f"/admin/courses/sessions/{session_id}/bookings", "/admin/rosters",
                 f"/facilitate/sessions/{session_id}", "/admin/people"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert repeated_names(response.get_data(as_text=True)) == {}, path
