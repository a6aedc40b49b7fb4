"""Issue 13 part 2: anonymous feedback must not be attributable. An anonymous response is
never tied, on a staff page, CSV or PDF, to a session, a date, an order of arrival or a
database id; anonymous comments and ratings are pooled per course and term and shown only
once the pool holds 8; per-session figures use named responses only."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta

from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models import CourseSession
from rec_portal.models.feedback import ContentReviewItem, FeedbackAnswer
from rec_portal.timeutil import format_uk, utcnow
from tests import factories
from tests.factories import invite_to_feedback as _invite
from tests.factories import make_feedback_response as _respond
from tests.feedback import page as _page
from tests.feedback import question_bank as _bank
from tests.feedback import words as _text

AUTUMN_2025 = "Autumn term 2025 (September to December)"
SPRING_2026 = "Spring term 2026 (January to April)"
HELD = "Held back: fewer than 8 people answered anonymously about this course this term"


def _session_on(course, when: datetime) -> CourseSession:
    """A completed session starting at ``when`` (UTC), whatever the day the tests run."""
    days = (when - utcnow()).total_seconds() / 86400
    return factories.make_session(course=course, starts_in_days=days, status="completed",
                                  completed_at=when)


def _setup(app, *, sessions: list[datetime], title="Staying Safe"):
    with app.app_context():
        course = factories.make_course(title=title)
        bank = _bank()
        made = [_session_on(course, when) for when in sessions]
        db.session.commit()
        return course.id, bank, [s.id for s in made]


def _facilitator_on(app, session_id: int, web, client):
    with app.app_context():
        fac = factories.make_facilitator(profile=False)
        factories.add_to_roster(session_id, fac)
        db.session.commit()
        email = fac.email
    web.login(email)


def _csv(client, course_id: int, query: str = "") -> list[list[str]]:
    response = client.get(f"/admin/feedback/courses/{course_id}/responses.csv{query}")
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def _session_day(app, session_id: int) -> str:
    with app.app_context():
        return format_uk(db.session.get(CourseSession, session_id).starts_at, with_time=False)


# --- (a) A session with one attendee --------------------------------------------------------------


def test_a_lone_attendees_anonymous_comment_is_not_shown_with_their_session(login_as, client, app, web):
    cid, bank, (sid,) = _setup(app, sessions=[datetime(2025, 10, 7, 10)])
    with app.app_context():
        student = factories.make_user(full_name="Lone Person")
        _invite(sid, [student], answered=1)
        _respond(sid, {bank.rating: 2, bank.change: "I found the trainer dismissive"}, anonymous=True)
        db.session.commit()
    day = _session_day(app, sid)
    login_as("admin")
    html = _page(client, f"/admin/feedback/courses/{cid}")
    page = _text(html)
    assert "I found the trainer dismissive" not in html
    assert HELD in page and AUTUMN_2025 in page
    # Nothing per session tells that anyone answered: no response counted, no rate.
    assert "Responses given with a name 0" in page and "Response rate 100%" not in page
    # The session's own page, and the CSV: the comment nowhere.
    assert "I found the trainer dismissive" not in _page(client, f"/admin/feedback/courses/{cid}?session={sid}")
    rows = _csv(client, cid)
    assert not any("dismissive" in cell or "Anonymous" in cell for row in rows for cell in row)
    assert not any(day in cell for row in rows[1:] for cell in row)

    client.post("/logout", data={"csrf_token": web.token("/my/account")})
    _facilitator_on(app, sid, web, client)
    mine = _page(client, f"/facilitate/feedback/courses/{cid}")
    assert "I found the trainer dismissive" not in mine and HELD in _text(mine)


# --- (b) The register minus the named --------------------------------------------------------------


def test_the_register_minus_the_named_does_not_point_at_anonymous_comments(login_as, client, app):
    cid, bank, (sid,) = _setup(app, sessions=[datetime(2025, 10, 14, 10)])
    with app.app_context():
        people = [factories.make_user(full_name=f"Named Person {i}") for i in range(8)]
        others = [factories.make_user(full_name=f"Quiet Person {i}") for i in range(2)]
        for i, person in enumerate(people):
            _respond(sid, {bank.rating: 4, bank.change: f"Named remark {i}"}, respondent_id=person.id)
        _respond(sid, {bank.rating: 1, bank.change: "Secret remark A"}, anonymous=True)
        _respond(sid, {bank.rating: 1, bank.change: "Secret remark B"}, anonymous=True)
        _invite(sid, people + others, answered=10)
        db.session.commit()
    login_as("admin")
    for url in (f"/admin/feedback/courses/{cid}", f"/admin/feedback/courses/{cid}?session={sid}"):
        html = _page(client, url)
        page = _text(html)
        assert "Named remark 3" in page and "Named Person 3" in page
        assert "Secret remark" not in html
        # Per session, named responses only: 8, and an average of the named ratings only.
        assert "Responses given with a name 8" in page and "Average: 4.0 out of 5, from 8 answers" in page
        trend = _text(re.search(r'id="trend-sessions".*?</table>', html, re.DOTALL).group(0))
        assert "Responses 8 " in trend and "Responses 10" not in trend
        # 10 answered of 10 invited would tell that 2 answered anonymously in this session.
        assert "Response rate 100%" not in page and "Response rate not shown" in page
    rows = _csv(client, cid)
    assert not any("Secret remark" in cell for row in rows for cell in row)
    assert {row[6] for row in rows[1:]} == {f"Named Person {i}" for i in range(8)}
    # The list of courses counts named responses (the pool of 2 is held back) and no rate.
    listing = _text(re.search(rf'<tr[^>]*id="course-{cid}".*?</tr>', _page(client, "/admin/feedback"), re.DOTALL).group(0))
    assert "Responses 8 " in listing and "100%" not in listing


# --- (c) Order of arrival and ids in the markup -------------------------------------------------


def test_pooled_comments_carry_no_id_session_date_or_order_of_arrival(login_as, client, app):
    cid, bank, sids = _setup(app, sessions=[datetime(2025, 9, 16, 10), datetime(2025, 11, 4, 10)])
    # Given in reverse alphabetical order, alternating sessions, between named ones.
    words = ["Zany idea", "Yellow handouts", "Xylophone music", "Warmer room", "Very helpful",
             "Useful leaflets", "Tea breaks", "Slower pace"]
    anonymous_ids = []
    with app.app_context():
        for i, text in enumerate(words):
            _respond(sids[i % 2], {bank.rating: 5, bank.change: f"Named before {i}"})
            response = _respond(sids[i % 2], {bank.rating: 3, bank.change: text}, anonymous=True)
            anonymous_ids += [a.id for a in response.answers]
        factories.make_content_review(cid, held_on=datetime(2025, 12, 1).date(), status="draft", version_before=1)
        db.session.commit()
    days = [_session_day(app, s) for s in sids]
    login_as("admin")
    html = _page(client, f"/admin/feedback/courses/{cid}")
    # No id of an anonymous answer in the markup: not in element ids, not as
    # the value of a checkbox (the review form names a pooled comment by term and digest).
    element_ids = {int(n) for n in re.findall(r'(?:comment|answer|pick-answer)-(\d+)"', html)}
    values = {int(v) for v in re.findall(r'name="answer_id" type="checkbox" value="(\d+)"', html)}
    assert not (element_ids | values) & set(anonymous_ids)
    page = _text(html)
    pool = re.search(r'id="pool-2025-autumn".*?</section>', html, re.DOTALL).group(0)
    pooled = _text(pool)
    # Shown (8 in the term), listed by their words, not in the order they came.
    assert "8 anonymous responses this term" in pooled
    assert [pooled.index(w) for w in sorted(words)] == sorted(pooled.index(w) for w in words)
    assert "“Overall, how would you rate the course?” 3.0 out of 5, from 8 answers" in pooled
    # Never beside a session's date or in the comments by session.
    assert not any(day in pooled for day in days) and "Session on" not in pooled
    named = _text(re.search(r'id="comments".*?id="anonymous"', html, re.DOTALL).group(0))
    assert "Named before 3" in named and not any(w in named for w in words)
    refs = re.findall(r'name="pooled_comment" type="checkbox" value="([^"]+)"', pool)
    assert len(refs) == 8 and all(re.fullmatch(r"2025-autumn:[0-9a-f]{24}", r) for r in refs)
    assert "the anonymous comment “Slower pace”" in pool
    # The per-session figures: named only (the 4 named ratings of 5 in each session).
    assert "Responses given with a name 8" in page and "Average: 5.0 out of 5, from 8 answers" in page

    # Adding a pooled comment to a review: it is shown with its term, never its session.
    if "content_reviews.consider" in app.view_functions:
        token = web_token(client, f"/admin/feedback/courses/{cid}")
        slower = refs[sorted(words).index("Slower pace")]
        response = client.post(f"/admin/feedback/courses/{cid}/reviews/consider",
                               data={"csrf_token": token, "pooled_comment": slower, "review_id": ""})
        assert response.status_code == 302
        review = _page(client, response.headers["Location"].split("#")[0])
        comment = _text(re.search(r'id="comments".*?</ul>', review, re.DOTALL).group(0))
        assert "Slower pace" in comment and f"Anonymous, {AUTUMN_2025}" in comment
        assert not any(day in comment for day in days) and "Session of" not in comment
        # An anonymous answer cannot be chosen by its id (it would match the id to the words).
        with app.app_context():
            tea = db.session.execute(select(FeedbackAnswer.id).where(FeedbackAnswer.text == "Tea breaks")).scalar_one()
        client.post(f"/admin/feedback/courses/{cid}/reviews/consider",
                    data={"csrf_token": token, "answer_id": str(tea), "review_id": ""})
        with app.app_context():
            assert db.session.execute(select(ContentReviewItem).where(ContentReviewItem.answer_id == tea)).first() is None


def web_token(client, url: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', _page(client, url)).group(1)


# --- The pool: per course and term, shown from 8 ------------------------------------------------


def _anonymous(app, sid, bank, n, start=0):
    with app.app_context():
        for i in range(start, start + n):
            _respond(sid, {bank.rating: 4, bank.yes: 1, bank.change: f"Pooled comment {i:02d}"}, anonymous=True)
        db.session.commit()


def test_seven_anonymous_are_held_back_and_eight_are_shown_for_admins_facilitators_and_the_csv(
        login_as, client, app, web):
    cid, bank, sids = _setup(app, sessions=[datetime(2025, 10, 1, 10), datetime(2025, 11, 12, 10)])
    _anonymous(app, sids[0], bank, 4)
    _anonymous(app, sids[1], bank, 3, start=4)
    admin = login_as("admin")
    page = _text(_page(client, f"/admin/feedback/courses/{cid}"))
    assert HELD in page and "Pooled comment" not in page and "anonymous responses this term" not in page
    assert not any(r[6].startswith("Anonymous") for r in _csv(client, cid)[1:])

    _anonymous(app, sids[1], bank, 1, start=7)  # the 8th
    html = _page(client, f"/admin/feedback/courses/{cid}")
    page = _text(html)
    assert HELD not in page and "8 anonymous responses this term" in page
    assert all(f"Pooled comment {i:02d}" in page for i in range(8))
    assert "“Would you recommend the course?” 100% yes, from 8 answers" in page
    # Filtering to one session does not narrow the pool: the whole term's 8 are shown.
    one = _text(_page(client, f"/admin/feedback/courses/{cid}?session={sids[1]}"))
    assert all(f"Pooled comment {i:02d}" in one for i in range(8)) and "8 anonymous responses this term" in one
    rows = _csv(client, cid, f"?session={sids[1]}")
    pooled = [r for r in rows[1:] if r[6] == "Anonymous (pooled for the term)"]
    assert len([r for r in pooled if r[7] == "What would you change?"]) == 8
    assert all(r[0] == r[1] == r[2] == r[5] == "" and r[4] == AUTUMN_2025 for r in pooled)
    comments = [r[8] for r in pooled if r[7] == "What would you change?"]
    assert comments == sorted(comments)

    client.post("/logout", data={"csrf_token": web.token("/my/account")})
    assert admin
    _facilitator_on(app, sids[0], web, client)
    mine = _text(_page(client, f"/facilitate/feedback/courses/{cid}"))
    assert "8 anonymous responses this term" in mine and "Pooled comment 07" in mine
    assert "name=\"pooled_comment\"" not in mine


def test_pools_are_per_term_so_four_and_four_in_two_terms_stay_held_back(login_as, client, app, web):
    cid, bank, sids = _setup(app, sessions=[datetime(2025, 12, 2, 10), datetime(2026, 1, 13, 10)])
    _anonymous(app, sids[0], bank, 4)
    _anonymous(app, sids[1], bank, 4, start=4)
    login_as("admin")
    html = _page(client, f"/admin/feedback/courses/{cid}")
    for key, label in (("2025-autumn", AUTUMN_2025), ("2026-spring", SPRING_2026)):
        section = _text(re.search(rf'id="pool-{key}".*?</section>', html, re.DOTALL).group(0))
        assert label in section and "Held back" in section and "Pooled comment" not in section
    # And per course: 8 anonymous about another course in the term do not help this one.
    other, obank, (osid,) = _setup(app, sessions=[datetime(2025, 12, 9, 10)], title="Other Course")
    _anonymous(app, osid, obank, 8)
    assert "Pooled comment" not in _page(client, f"/admin/feedback/courses/{cid}")
    assert "8 anonymous responses this term" in _text(_page(client, f"/admin/feedback/courses/{other}"))


# --- Term report ------------------------------------------------------------------------------


def test_the_term_report_counts_anonymous_answers_only_from_a_pool_of_8(app):
    from rec_portal.stats.terms import Term
    from rec_portal.reports.queries import feedback

    cid, bank, (sid,) = _setup(app, sessions=[datetime(2025, 10, 21, 10)])
    with app.app_context():
        people = [factories.make_user() for _ in range(11)]
        for person in people[:8]:
            _respond(sid, {bank.rating: 5}, respondent_id=person.id)
        for _ in range(3):
            _respond(sid, {bank.rating: 1}, anonymous=True)
        _invite(sid, people, answered=11)
        db.session.commit()
        row = next(r for r in feedback(Term(2025, "autumn")) if r.course_id == cid)
        # 8 named (the 3 anonymous held back with their pool): 8 responses, 5.0, no rate.
        assert (row.responses_text, row.rating_text, row.rate_text) == ("8", "5.0", "not shown")
    _anonymous(app, sid, bank, 5)  # the pool now holds 8
    with app.app_context():
        row = next(r for r in feedback(Term(2025, "autumn")) if r.course_id == cid)
        assert row.responses_text == "16" and row.rate_text != "not shown"
        assert row.rating_text == str(round((8 * 5 + 3 * 1 + 5 * 4) / 16, 1))


# --- The form ---------------------------------------------------------------------------------


def test_the_form_says_what_anonymous_means_and_when_comments_are_seen(app):
    from tests.feedback import as_person, attended, url

    s = attended(app)
    client, _web = as_person(app, s.student.email)
    page = _text(client.get(url(s)).get_data(as_text=True))
    assert "Anonymous means nobody can tell the answers are yours." in page
    assert ("your answers are put together with everyone else's anonymous answers about this course in the "
            "same term (September to December, January to April, or May to August), without your session's date") in page
    assert ("nobody reads them until at least 8 people have answered anonymously about this course in that term, "
            "so it can be some months before your comments are seen") in page


# --- Pools close: an open pool never changes what staff see (issue 13 part 2, review) -----------

AUTUMN_2026 = "Autumn term 2026 (September to December)"
BEFORE_CLOSING = datetime(2026, 11, 20, 12)  # autumn 2026's feedback is open
# The term ends on 31 December 2026; feedback stays open 42 days after that (the default).
CLOSING_TEXT = (f"Anonymous answers about this course in {AUTUMN_2026} are shown after feedback closes on "
                "11 February 2027, if 8 or more people answered anonymously.")
AFTER_CLOSING = datetime(2027, 2, 12, 1)


def _clock(monkeypatch, moment: datetime) -> None:
    """Feedback's "now": whether a session's feedback is open, and whether a pool has closed
    (``raising=False``: the same test runs on code without a feedback window)."""
    import importlib

    for name in ("rec_portal.feedback.window", "rec_portal.feedback.queries"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        monkeypatch.setattr(module, "utcnow", lambda: moment, raising=False)


def _views(client, cid: int) -> tuple[str, str, list[list[str]], str]:
    """What an admin sees: the anonymous section of the dashboard, the whole-course
    summary, the CSV, and the course's row in the list of courses."""
    html = _page(client, f"/admin/feedback/courses/{cid}")
    anonymous = _text(html[html.index('id="anonymous"'):])
    page = _text(html)
    summary = re.search(r"Invited \d+ Responses given with a name \d+ Response rate [^.]*", page).group(0)
    listing = _text(re.search(rf'<tr[^>]*id="course-{cid}".*?</tr>', _page(client, "/admin/feedback"), re.DOTALL).group(0))
    return anonymous, summary, _csv(client, cid), listing


def test_an_open_pool_never_changes_what_staff_see_and_a_closed_one_cannot_grow(login_as, client, app, web, monkeypatch):
    """The review's attack: two autumn sessions with 8 anonymous answers, then a third
    session with one attendee who answers anonymously. Before, the pool showed "8" and then
    "9", and the CSV gained exactly that person's rows."""
    from tests.factories import make_booking as book
    from tests.factories import mark_attendance as mark
    from tests.feedback import as_person

    _clock(monkeypatch, BEFORE_CLOSING)
    cid, bank, sids = _setup(app, sessions=[datetime(2026, 10, 6, 10), datetime(2026, 10, 20, 10)])
    _anonymous(app, sids[0], bank, 4)
    _anonymous(app, sids[1], bank, 4, start=4)
    with app.app_context():
        for sid in sids:
            people = [factories.make_user(full_name=f"Named {sid}-{i}") for i in range(5)]
            for person in people:
                _respond(sid, {bank.rating: 5, bank.change: "A named remark"}, respondent_id=person.id)
            _invite(sid, people, answered=5)
        third = _session_on(db.session.get(CourseSession, sids[0]).course, datetime(2026, 11, 10, 10))
        lone = factories.make_user(full_name="Lone Attendee")
        mark(book(third, lone), third, ["present"])
        from rec_portal.feedback.operations import invite_for_session

        assert invite_for_session(third) == 1  # completing the register invites them
        db.session.commit()
        third_id, lone_email = third.id, lone.email
    login_as("admin")
    before = _views(client, cid)

    # The lone attendee of the third session answers anonymously, through the form.
    with app.app_context():
        from rec_portal.models import Booking
        booking_id = db.session.execute(select(Booking.id).where(Booking.session_id == third_id)).scalar_one()
    student, student_web = as_person(app, lone_email)
    sent = student_web.submit(f"/my/courses/{booking_id}/feedback",
                              {f"q-{bank.rating}": "1", f"q-{bank.change}": "Only I would say this", "anonymous": "y"})
    assert sent.status_code == 302
    after = _views(client, cid)
    # Nothing staff see has changed: the pool's words, the summary, the CSV and the list.
    assert after == before
    assert "Only I would say this" not in str(after)
    # What they see says the same whatever the open pool holds (8, now 9).
    anonymous, _summary, rows, listing = after
    assert CLOSING_TEXT in anonymous and "<p" not in anonymous  # (markup is not shown as text)
    assert "anonymous responses this term" not in anonymous and "Pooled comment" not in anonymous
    assert "Held back" not in anonymous and "Nobody answered anonymously" not in anonymous
    assert not any(r[6].startswith("Anonymous") for r in rows[1:])
    assert "%" not in listing  # the rate counts anonymous answers: held while the pool is open

    # Once feedback has closed on every session of the term, the pool is shown (9) ...
    _clock(monkeypatch, AFTER_CLOSING)
    anonymous, _summary, rows, _listing = _views(client, cid)
    assert "9 anonymous responses this term" in anonymous and "Only I would say this" in anonymous
    assert CLOSING_TEXT not in anonymous
    assert len([r for r in rows[1:] if r[6] == "Anonymous (pooled for the term)" and r[8] == "Only I would say this"]) == 1
    # ... and nothing can be added any more: a late answer is refused, the pool stays 9.
    with app.app_context():
        late = factories.make_user()
        session = db.session.get(CourseSession, third_id)
        late_booking = book(session, late)
        mark(late_booking, session, ["present"])
        db.session.commit()
        late_email, late_booking_id = late.email, late_booking.id
    _late_client, late_web = as_person(app, late_email)
    refused = late_web.client.post(f"/my/courses/{late_booking_id}/feedback",
                                   data={"csrf_token": late_web.token("/my/account"), f"q-{bank.rating}": "2",
                                         f"q-{bank.change}": "Too late", "anonymous": "y"})
    assert refused.status_code == 303
    closed_after = _views(client, cid)
    assert "9 anonymous responses this term" in closed_after[0] and "Too late" not in str(closed_after)
    assert _views(client, cid) == closed_after


def test_the_csv_leaves_out_pooled_ratings_the_dashboard_holds_back(login_as, client, app):
    """A shown pool (8 anonymous responses) in which only 3 answered the yes/no question:
    the dashboard holds that question back, and so does the CSV."""
    cid, bank, (sid,) = _setup(app, sessions=[datetime(2025, 10, 8, 10)])
    with app.app_context():
        for i in range(8):
            answers = {bank.rating: 4, bank.change: f"Pooled comment {i:02d}"}
            if i < 3:
                answers[bank.yes] = 0
            _respond(sid, answers, anonymous=True)
        db.session.commit()
    login_as("admin")
    pool = _text(re.search(r'id="pool-2025-autumn".*?</section>', _page(client, f"/admin/feedback/courses/{cid}"),
                           re.DOTALL).group(0))
    assert "8 anonymous responses this term" in pool
    assert "“Would you recommend the course?” fewer than 8 responses" in pool
    pooled = [r for r in _csv(client, cid)[1:] if r[6] == "Anonymous (pooled for the term)"]
    assert len([r for r in pooled if r[7] == "Overall, how would you rate the course?"]) == 8
    assert not [r for r in pooled if r[7] == "Would you recommend the course?"]


def test_the_question_banks_answer_counts_leave_out_anonymous_answers_not_shown(login_as, client, app, monkeypatch):
    """The bank's count minus the named answers in the CSV used to give the exact number of
    anonymous answers held back (and, for an open term, when they came)."""
    _clock(monkeypatch, BEFORE_CLOSING)
    cid, bank, (closed_small, closed_big, open_one) = _setup(
        app, sessions=[datetime(2025, 10, 8, 10), datetime(2026, 2, 3, 10), datetime(2026, 10, 6, 10)])
    with app.app_context():
        _respond(closed_small, {bank.rating: 5}, respondent_id=factories.make_user().id)  # named: counted
        for _ in range(3):  # a closed pool of 3: held back for good
            _respond(closed_small, {bank.rating: 2}, anonymous=True)
        for _ in range(8):  # a closed pool of 8: shown
            _respond(closed_big, {bank.rating: 4}, anonymous=True)
        for _ in range(9):  # an open pool of 9: nothing shown yet
            _respond(open_one, {bank.rating: 3}, anonymous=True)
        db.session.commit()
    login_as("admin")
    html = _page(client, "/admin/feedback/questions")
    row = re.search(rf'<tr[^>]*id="question-{bank.rating}".*?</tr>', html, re.DOTALL).group(0)
    assert re.search(r"Answers </span><span>9</span>", row), _text(row)  # 1 named + the shown pool of 8


# --- Found by the second review: invitations must not move with an anonymous answer ---------


def test_deleting_an_account_leaves_a_closed_terms_response_rate_as_it_was(login_as, client, app):
    """Deleting the invitations with an account changed a shown term's rate (80% -> 84% for
    someone who never answered, -> 83% for someone who answered anonymously), which told
    whether the person had answered anonymously. The invitations stay."""
    from rec_portal.data_rights.operations import anonymise
    from rec_portal.models import User

    cid, bank, (sid,) = _setup(app, sessions=[datetime(2026, 2, 10, 10)])
    with app.app_context():
        people = [factories.make_user() for _ in range(20)]
        _invite(sid, people, answered=16)  # 8 named (people 0-7), 8 anonymous (people 8-15)
        for person in people[:8]:
            _respond(sid, {bank.rating: 4}, respondent_id=person.id)
        for _ in range(8):
            _respond(sid, {bank.rating: 3}, anonymous=True)
        db.session.commit()
        anonymous_answerer, never_answered = people[9].id, people[18].id
    login_as("admin")
    before = _text(_page(client, f"/admin/feedback/courses/{cid}"))
    assert "Response rate 80%" in before and "Invited 20" in before
    with app.app_context():
        for user_id in (never_answered, anonymous_answerer):
            anonymise(db.session.get(User, user_id))
        db.session.commit()
    after = _text(_page(client, f"/admin/feedback/courses/{cid}"))
    assert "Response rate 80%" in after and "Invited 20" in after


def test_a_disabled_attendee_is_invited_with_everyone_else_without_an_email(app):
    """An attendee whose account was disabled when the session completed was not invited;
    re-enabled, they answered anonymously and "Invited" went up by one at that moment. Now
    they are invited with everyone else (no email), so nothing moves when they answer."""
    from rec_portal.feedback.operations import invite_for_session
    from rec_portal.models import FeedbackInvitation, OutboxMessage

    with app.app_context():
        active, disabled = factories.make_user(), factories.make_user()
        session = factories.make_attended_session([active, disabled], ended_days_ago=2)
        disabled.active = False
        db.session.flush()
        assert invite_for_session(session) == 2
        rows = {i.user_id: i for i in db.session.execute(select(FeedbackInvitation)).scalars()}
        assert set(rows) == {active.id, disabled.id}
        assert rows[disabled.id].emailed_at is None and rows[active.id].emailed_at is not None
        emailed = [m.to_address for m in db.session.execute(select(OutboxMessage)).scalars()]
        assert emailed == [active.email]
        db.session.rollback()


def test_an_archived_course_is_listed_whether_or_not_anyone_has_answered(login_as, client, app):
    """An archived course was listed only once it had a response, anonymous ones included, so
    its row appeared at the moment of a first anonymous answer. Now: listed if it ran."""
    with app.app_context():
        gone = factories.make_course(title="Archived Course", status="archived")
        never_ran = factories.make_course(title="Never Ran", status="archived")
        session = _session_on(gone, utcnow().replace(microsecond=0) - timedelta(days=3))
        bank = _bank()
        db.session.commit()
        sid, bank_rating = session.id, bank.rating
        assert never_ran.id
    login_as("admin")
    _page(client, "/admin/feedback")  # (the "signed in" message shows once)
    before = _text(_page(client, "/admin/feedback"))
    assert "Archived Course" in before and "Never Ran" not in before
    with app.app_context():
        _respond(sid, {bank_rating: 2}, anonymous=True)
        db.session.commit()
    assert _text(_page(client, "/admin/feedback")) == before
