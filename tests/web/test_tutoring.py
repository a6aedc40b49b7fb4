"""Personal tutors (issue 17, part 1) through the web: admins assign, reassign and remove a
student's tutor; a tutor's caseload (only their own students, reviews due, overdue first);
the tutor's view of a plan (audited, never the safety plan) and a review recorded with the
student's goals; learning-plan conversations asked for by the student, reaching the tutor
by their contact preference (or the REC team), arranged, and seen by both."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select

from rec_portal import audit
from rec_portal.extensions import db
from rec_portal.models import AuditEvent, ContactTask, OutboxMessage, UserRole
from rec_portal.models.plans import LearningGoal, PlanReview
from rec_portal.models.tutoring import PlanConversation, Tutorship
from rec_portal.timeutil import uk_today, utcnow
from tests import factories
from tests.conftest import Browserless, login


def add_months(day: date, months: int) -> date:
    from rec_portal.tutoring.queries import add_months as real

    return real(day, months)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return _text(response.get_data(as_text=True))


def _events(event: str, subject_id: int) -> list[AuditEvent]:
    return list(db.session.execute(
        select(AuditEvent).where(AuditEvent.event == event, AuditEvent.subject_id == subject_id)
    ).scalars())


def _people(app, *makers):
    with app.app_context():
        rows = [make() for make in makers]
        db.session.commit()
        return [factories.Ref(row.id, row.email) for row in rows]


# --- Assigning a tutor --------------------------------------------------------------------

def test_an_admin_assigns_reassigns_and_removes_a_tutor_and_open_requests_follow(app, login_as, client):
    admin = login_as("admin")
    web = Browserless(client)
    student, first, second, not_a_tutor = _people(
        app, factories.make_user,
        lambda: factories.make_tutor(full_name="Rita Tutor"),
        lambda: factories.make_tutor(full_name="Peer Paul", roles=("tutor", "student")),
        lambda: factories.make_user(roles=("facilitator",), full_name="Fran Facilitator"),
    )
    person = _page(client, f"/admin/people/{student.id}")
    assert "No personal tutor yet. Assign a tutor" in person
    page = _page(client, f"/admin/people/{student.id}/tutor")
    assert "Rita Tutor" in page and "Peer Paul" in page and "Fran Facilitator" not in page

    # Only someone holding the tutor role: a forged choice is refused, nothing saved.
    refused = web.submit(f"/admin/people/{student.id}/tutor",
                         {"tutor_id": str(not_a_tutor.id), "review_every_months": "6"})
    assert refused.status_code == 400
    assert "There is a problem" in refused.get_data(as_text=True)
    assert "Choose a tutor from the list" in _text(refused.get_data(as_text=True))
    with app.app_context():
        assert db.session.get(Tutorship, student.id) is None

    sent = web.submit(f"/admin/people/{student.id}/tutor", {"tutor_id": str(first.id), "review_every_months": "6"})
    assert sent.status_code == 302
    assert "Rita Tutor is" in _page(client, sent.headers["Location"])
    with app.app_context():
        row = db.session.get(Tutorship, student.id)
        assert (row.tutor_id, row.review_every_months, row.assigned_by_id) == (first.id, 6, admin.id)
        assert [e.detail for e in _events(audit.TUTOR_ASSIGNED, student.id)] == [
            f"tutor {first.id}, review every 6 months"]
        asked = factories.make_plan_conversation(student.id, first.id)
        held = factories.make_plan_conversation(student.id, first.id, status="held")
        db.session.commit()
        asked_id, held_id = asked.id, held.id
    assert "Rita Tutor, reviewing their plan every 6 months" in _page(client, f"/admin/people/{student.id}")

    web.submit(f"/admin/people/{student.id}/tutor", {"tutor_id": str(second.id), "review_every_months": "3"})
    with app.app_context():
        assert db.session.get(Tutorship, student.id).tutor_id == second.id
        assert db.session.get(PlanConversation, asked_id).tutor_id == second.id  # moved
        assert db.session.get(PlanConversation, held_id).tutor_id == first.id  # history kept

    removed = web.submit(f"/admin/people/{student.id}/tutor/remove", {}, page=f"/admin/people/{student.id}/tutor")
    assert "no longer has a personal tutor" in _page(client, removed.headers["Location"])
    with app.app_context():
        assert db.session.get(Tutorship, student.id) is None
        assert db.session.get(PlanConversation, asked_id).tutor_id is None  # to the REC team
        assert [e.detail for e in _events(audit.TUTOR_REMOVED, student.id)] == [f"tutor {second.id}"]


def test_removing_the_tutor_role_leaves_their_students_without_a_tutor(app, login_as, client):
    login_as("admin")
    tutor, = _people(app, lambda: factories.make_tutor(roles=("tutor", "student")))
    with app.app_context():
        student = factories.make_tutored_student(tutor.id)
        asked = factories.make_plan_conversation(student, tutor.id)
        db.session.commit()
        student_id, asked_id = student.id, asked.id
    Browserless(client).submit(f"/admin/people/{tutor.id}/roles", {"roles": ["student"]},
                               page=f"/admin/people/{tutor.id}")
    with app.app_context():
        assert db.session.get(Tutorship, student_id) is None
        assert db.session.get(PlanConversation, asked_id).tutor_id is None


def test_the_overview_shows_caseloads_overdue_reviews_and_students_without_a_tutor(app, login_as, client):
    login_as("admin")
    with app.app_context():
        tutor = factories.make_tutor(full_name="Rita Tutor")
        late = factories.make_tutored_student(tutor, full_name="Late Lee")
        db.session.get(Tutorship, late.id).assigned_at = utcnow() - timedelta(days=120)
        factories.make_tutored_student(tutor, full_name="Fresh Fay")
        factories.make_user(full_name="Nobody Yet")
        alone = factories.make_user(full_name="Asking Alone")
        factories.make_plan_conversation(alone, when_suits="Weekday mornings")
        db.session.commit()
    page = _page(client, "/admin/tutors")
    assert re.search(r"Rita Tutor Students 2 Reviews overdue 1 Conversations waiting 0", page), page
    without = page.split("Students without a personal tutor")[1]
    assert "Nobody Yet" in without and "Asking Alone" in without and "Late Lee" not in without
    team = page.split("Conversations for the REC team")[1].split("Students without")[0]
    assert "Asking Alone" in team and "Weekday mornings" in team


# --- The caseload -------------------------------------------------------------------------

def test_a_tutor_sees_only_their_own_students_with_reviews_due_overdue_first(app, client):
    today = uk_today()
    with app.app_context():
        me = factories.make_tutor()
        other = factories.make_tutor()
        assigned_only = factories.make_tutored_student(me, full_name="Assigned Only")
        db.session.get(Tutorship, assigned_only.id).assigned_at = utcnow() - timedelta(days=40)
        with_next = factories.make_tutored_student(me, full_name="With Next Date")
        factories.make_plan_review(with_next, me, review_date=today - timedelta(days=10),
                                   next_review_date=today + timedelta(days=20))
        no_next = factories.make_tutored_student(me, full_name="No Next Date")
        db.session.get(Tutorship, no_next.id).review_every_months = 2
        factories.make_plan_review(no_next, me, review_date=today - timedelta(days=100))
        factories.make_tutored_student(other, full_name="Not Mine")
        db.session.commit()
        email, ids = me.email, (assigned_only.id, with_next.id, no_next.id)
    client = login(app, email)
    page = _page(client, "/tutor")
    assert "Not Mine" not in page
    assert "You are the personal tutor of 3 students. 1 review is overdue." in page
    # Overdue first: last review + 2 months (no next date set) has passed.
    order = [page.index(name) for name in ("No Next Date", "With Next Date", "Assigned Only")]
    assert order == sorted(order), page
    from rec_portal.timeutil import uk_date

    assert f"{uk_date(add_months(today - timedelta(days=100), 2))} Overdue" in page
    assert uk_date(today + timedelta(days=20)) in page  # the date the review set
    assert uk_date(add_months(today - timedelta(days=40), 3)) in page  # assigned + interval
    assert all(f"/tutor/students/{i}/plan" in client.get("/tutor").get_data(as_text=True) for i in ids)


def test_due_dates_count_calendar_months():
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2027, 11, 15), 3) == date(2028, 2, 15)


# --- The tutor's view of a plan and a review ---------------------------------------------

def test_the_tutor_reads_the_plan_never_the_safety_plan_and_the_view_is_audited(app, client):
    with app.app_context():
        tutor = factories.make_tutor()
        student = factories.make_tutored_student(tutor)
        factories.make_goal(student, "Take the bus on my own")
        factories.make_safety_plan(student, warning_signs="SECRET-SIGNS-123")
        someone_else = factories.make_user()
        db.session.commit()
        email, tutor_id, student_id, other_id = tutor.email, tutor.id, student.id, someone_else.id
    client = login(app, email)
    page = _page(client, f"/tutor/students/{student_id}/plan")
    assert "Take the bus on my own" in page and "SECRET-SIGNS-123" not in page
    assert "Their safety plan is private" in page
    assert client.get(f"/tutor/students/{other_id}/plan").status_code == 404
    with app.app_context():
        assert [(e.actor_id, e.detail) for e in _events(audit.PLAN_VIEWED, student_id)] == [
            (tutor_id, "personal tutor")]
        assert _events(audit.PLAN_VIEWED, other_id) == []


def test_the_tutor_records_a_review_with_the_goals_and_nothing_is_half_saved(app, client):
    today = uk_today()
    with app.app_context():
        tutor = factories.make_tutor(full_name="Rita Tutor")
        student = factories.make_tutored_student(tutor)
        db.session.get(Tutorship, student.id).review_every_months = 6
        goal = factories.make_goal(student, "Take the bus on my own")
        db.session.commit()
        email, student_id, goal_id = tutor.email, student.id, goal.id
    client = login(app, email)
    web = Browserless(client)
    html = client.get(f"/tutor/students/{student_id}/plan").get_data(as_text=True)
    default = add_months(today, 6)
    assert re.search(rf'name="next_review_date-month"[^>]*value="{default.month}"', html), "default next review"
    assert re.search(rf'name="goal_{goal_id}"[^>]*value="not_started"[^>]*checked', html)

    day = {"review_date-day": str(today.day), "review_date-month": str(today.month),
           "review_date-year": str(today.year)}
    bad = web.submit(f"/tutor/students/{student_id}/plan/reviews",
                     {**day, "notes": "", f"goal_{goal_id}": "achieved"}, page=f"/tutor/students/{student_id}/plan")
    assert bad.status_code == 400
    assert "Enter notes about the review" in _text(bad.get_data(as_text=True))
    assert re.search(rf'name="goal_{goal_id}"[^>]*value="achieved"[^>]*checked', bad.get_data(as_text=True))
    with app.app_context():
        assert db.session.get(LearningGoal, goal_id).status == "not_started"
        assert db.session.execute(select(PlanReview)).first() is None

    good = web.submit(f"/tutor/students/{student_id}/plan/reviews",
                      {**day, "notes": "Bus trips are going well.", f"goal_{goal_id}": "achieved",
                       "next_review_date-day": str(default.day), "next_review_date-month": str(default.month),
                       "next_review_date-year": str(default.year)},
                      page=f"/tutor/students/{student_id}/plan")
    assert good.status_code == 302
    with app.app_context():
        review = db.session.execute(select(PlanReview)).scalar_one()
        assert (review.reviewer_id, review.notes, review.next_review_date) == (
            db.session.execute(select(Tutorship.tutor_id).where(Tutorship.student_id == student_id)).scalar(),
            "Bus trips are going well.", default)
        assert db.session.get(LearningGoal, goal_id).status == "achieved"
        assert [e.event for e in _events(audit.PLAN_REVIEW_ADDED, student_id)] == [audit.PLAN_REVIEW_ADDED] * 2
    # The caseload now counts the next review from it.
    from rec_portal.timeutil import uk_date

    assert uk_date(default) in _page(client, "/tutor")


# --- Conversations ------------------------------------------------------------------------

def test_a_request_reaches_the_tutor_by_their_preference_is_arranged_and_both_see_it(app, client):
    with app.app_context():
        tutor = factories.make_student_who_prefers("phone", phone="01632 960001",
                                                   full_name="Rita Tutor")
        tutor.roles.append(UserRole(role="tutor"))
        student = factories.make_tutored_student(tutor, full_name="Jo Student")
        db.session.commit()
        tutor_email, student_email, student_id, tutor_id = tutor.email, student.email, student.id, tutor.id
    me = login(app, student_email)
    plan = _page(me, "/my/plan")
    assert "Your personal tutor is Rita Tutor" in plan
    assert "your next review is due by" in plan
    sent = Browserless(me).submit("/my/plan/conversations/new",
                                  {"way": "video", "when_suits": "Tuesday afternoons", "note": "PRIVATE-NOTE"})
    assert sent.status_code == 302
    assert "Your request is sent to Rita Tutor" in _page(me, sent.headers["Location"])
    with app.app_context():
        conversation = db.session.execute(select(PlanConversation)).scalar_one()
        assert (conversation.tutor_id, conversation.way, conversation.when_suits) == (tutor_id, "video", "Tuesday afternoons")
        # The tutor prefers a phone call: a line on the call list, neutral, without the note.
        task = db.session.execute(select(ContactTask).where(ContactTask.user_id == tutor_id)).scalar_one()
        assert task.kind == "plan_conversation_requested" and "PRIVATE-NOTE" not in task.message
        assert db.session.execute(select(OutboxMessage)).first() is None
        assert len(_events(audit.PLAN_CONVERSATION_CHANGED, student_id)) == 1
        conversation_id = conversation.id

    tutor_client = login(app, tutor_email)
    caseload = _page(tutor_client, "/tutor")
    assert "Tuesday afternoons" in caseload and "PRIVATE-NOTE" in caseload and "Asked for" in caseload
    when = uk_today() + timedelta(days=7)
    arranged = Browserless(tutor_client).submit(
        f"/tutor/conversations/{conversation_id}/arrange",
        {"day-day": str(when.day), "day-month": str(when.month), "day-year": str(when.year),
         "time": "10:30", "details": "Video link sent by email"})
    assert arranged.status_code == 302, arranged.get_data(as_text=True)[:3000]
    with app.app_context():
        told = db.session.execute(select(OutboxMessage).where(OutboxMessage.to_address == student_email)).scalar_one()
        assert "your conversation is arranged" in told.subject and "Video link sent by email" in told.body_text
    plan = _page(me, "/my/plan")
    assert "Arranged" in plan and "10:30" in plan and "Video link sent by email" in plan
    assert "Ask for a conversation about my plan" not in plan  # one open at a time

    Browserless(tutor_client).submit(f"/tutor/conversations/{conversation_id}/held", {}, page="/tutor")
    assert "Held" in _page(me, "/my/plan")
    assert "Ask for a conversation about my plan" in _page(me, "/my/plan")


def test_without_a_tutor_the_request_goes_to_the_rec_team(app, client):
    with app.app_context():
        admin = factories.make_user(roles=("admin",))
        student = factories.make_user()
        db.session.commit()
        admin_email, student_email = admin.email, student.email
    me = login(app, student_email)
    assert "You do not have a personal tutor yet; the REC team can help" in _page(me, "/my/plan")
    bad = Browserless(me).submit("/my/plan/conversations/new", {"when_suits": "Mornings"})
    assert bad.status_code == 400 and "Choose how you would like to talk" in _text(bad.get_data(as_text=True))
    assert 'value="Mornings"' in bad.get_data(as_text=True)
    sent = Browserless(me).submit("/my/plan/conversations/new", {"way": "in_person", "when_suits": "Mornings"})
    assert "sent to the REC team" in _page(me, sent.headers["Location"])
    with app.app_context():
        conversation = db.session.execute(select(PlanConversation)).scalar_one()
        assert conversation.tutor_id is None
        notice = db.session.execute(select(OutboxMessage).where(OutboxMessage.to_address == admin_email)).scalar_one()
        assert "Mornings" not in notice.body_text  # nothing the student wrote
        conversation_id = conversation.id
    staff = login(app, admin_email)
    assert "Mornings" in _page(staff, "/admin/tutors").split("Conversations for the REC team")[1]
    # The student cancels their own.
    Browserless(me).submit(f"/my/plan/conversations/{conversation_id}/cancel", {}, page="/my/plan")
    with app.app_context():
        assert db.session.get(PlanConversation, conversation_id).status == "cancelled"


def test_another_tutor_cannot_arrange_a_conversation(app, client):
    with app.app_context():
        mine, theirs = factories.make_tutor(), factories.make_tutor()
        conversation = factories.make_plan_conversation(factories.make_tutored_student(theirs), theirs)
        db.session.commit()
        email, conversation_id = mine.email, conversation.id
    other = login(app, email)
    refused = other.get(f"/tutor/conversations/{conversation_id}/arrange")
    assert refused.status_code == 403
    assert "This student now has another personal tutor" in _text(refused.get_data(as_text=True))
    assert "You have no students yet" in _page(other, "/tutor")
    assert other.get("/tutor/conversations/999999/arrange").status_code == 404


def test_the_demo_has_tutors_with_caseloads_an_overdue_review_and_an_arranged_conversation(app, client):
    from rec_portal.demo import DEMO_PASSWORD, load_demo_data

    with app.app_context():
        load_demo_data()
        db.session.commit()
        assert db.session.execute(select(OutboxMessage)).first() is None  # the demo tells nobody
    rita = app.test_client()
    Browserless(rita).login("tutor@example.org", DEMO_PASSWORD)
    page = _page(rita, "/tutor")
    assert "You are the personal tutor of 4 students. 1 review is overdue." in page
    assert page.index("Ben Carter") < page.index("Jo Williams")  # overdue first
    jo = app.test_client()
    Browserless(jo).login("student@example.org", DEMO_PASSWORD)
    plan = _page(jo, "/my/plan")
    assert "Your personal tutor is Rita Osei" in plan and "Arranged" in plan
    peer = app.test_client()
    Browserless(peer).login("peer.tutor@example.org", DEMO_PASSWORD)
    assert "You are the personal tutor of 3 students." in _page(peer, "/tutor")


# --- Issue 17 loose ends: who recorded a review; the student told of a cancellation -------------

def _reviews_section(client, url: str) -> str:
    html = client.get(url).get_data(as_text=True)
    end = html.index('id="download"') if 'id="download"' in html else html.index('id="record-review"')
    return _text(html[html.index('id="reviews"'):end])


def test_review_cards_say_personal_tutor_or_learning_advisor_by_who_recorded_them(app, client):
    with app.app_context():
        tutor = factories.make_tutor(full_name="Rita Tutor")
        student = factories.make_tutored_student(tutor)
        advisor = factories.make_user(roles=("admin",), full_name="Sam Advisor")
        factories.make_plan_review(student, tutor, review_date=date(2026, 11, 20), notes="With my tutor")
        factories.make_plan_review(student, advisor, review_date=date(2026, 10, 1), notes="With the advisor")
        db.session.commit()
        student_email, tutor_email, advisor_email, student_id = student.email, tutor.email, advisor.email, student.id
    mine = _reviews_section(login(app, student_email), "/my/plan")
    tutors_card, advisors_card = mine.split("Review on 1 October 2026")
    assert "Personal tutor Your personal tutor, Rita Tutor" in tutors_card and "Learning advisor" not in tutors_card
    assert "Learning advisor Sam Advisor" in advisors_card and "Personal tutor" not in advisors_card
    # Staff pages say "their".
    on_tutor_page = _reviews_section(login(app, tutor_email), f"/tutor/students/{student_id}/plan")
    assert "Personal tutor Their personal tutor, Rita Tutor" in on_tutor_page
    on_advisor_page = _reviews_section(login(app, advisor_email), f"/admin/students/{student_id}/plan")
    assert "Learning advisor Sam Advisor" in on_advisor_page and "Their personal tutor, Rita Tutor" in on_advisor_page


def test_when_staff_cancel_a_conversation_the_student_is_told_by_their_preference(app, client):
    when = utcnow() + timedelta(days=5)
    with app.app_context():
        tutor = factories.make_tutor(full_name="Rita Tutor")
        by_email = factories.make_tutored_student(tutor)
        factories.make_student_profile(by_email, contact_preference="email")
        mine = factories.make_plan_conversation(by_email, tutor, status="arranged", arranged_for=when,
                                                arranged_details="Room 2", note="PRIVATE-NOTE")
        admin = factories.make_user(roles=("admin",))
        by_text = factories.make_student_who_prefers("text", phone="07700 900456")
        rec_team = factories.make_plan_conversation(by_text, None, note="ANOTHER-PRIVATE-NOTE")
        db.session.commit()
        tutor_email, admin_email, student_email = tutor.email, admin.email, by_email.email
        mine_id, rec_team_id, by_text_id = mine.id, rec_team.id, by_text.id

    tutor_client = login(app, tutor_email)
    cancelled = Browserless(tutor_client).submit(f"/tutor/conversations/{mine_id}/cancel", {}, page="/tutor")
    banner = _page(tutor_client, cancelled.headers["Location"])
    assert "is cancelled." in banner and "has been told" in banner
    Browserless(login(app, admin_email)).submit(f"/tutor/conversations/{rec_team_id}/cancel", {}, page="/admin/tutors")
    with app.app_context():
        assert {db.session.get(PlanConversation, i).status for i in (mine_id, rec_team_id)} == {"cancelled"}
        email = db.session.execute(select(OutboxMessage).where(OutboxMessage.to_address == student_email)).scalar_one()
        assert email.subject == "Recovery Education Centre: your conversation is cancelled"
        assert "has been cancelled by Rita Tutor" in email.body_text and "ask for another" in email.body_text
        assert "PRIVATE-NOTE" not in email.body_text
        text = db.session.execute(select(OutboxMessage).where(OutboxMessage.user_id == by_text_id)).scalar_one()
        assert text.channel == "text" and text.to_address == "07700900456"
        assert text.body_text.startswith("Recovery Education Centre: your conversation has been cancelled.")
        assert "PRIVATE" not in text.body_text and "plan" not in text.body_text  # neutral on a lock screen


# --- Moved conversations (reviewer's findings) -------------------------------------------------

def _outbox_to(address: str) -> list[OutboxMessage]:
    return list(db.session.execute(select(OutboxMessage).where(OutboxMessage.to_address == address)
                                   .order_by(OutboxMessage.id)).scalars())


def test_a_new_tutor_is_told_of_each_open_conversation_moved_to_them(app, login_as, client):
    login_as("admin")
    with app.app_context():
        old = factories.make_tutor(full_name="Rita Tutor")
        new = factories.make_student_who_prefers("text", phone="07700 900777", full_name="Nia Newtutor")
        new.roles.append(UserRole(role="tutor"))
        student = factories.make_tutored_student(old, full_name="Jo Student")
        factories.make_plan_conversation(student, old, note="PRIVATE-NOTE", when_suits="PRIVATE-WHEN")
        factories.make_plan_conversation(student, old, status="held")  # closed: stays, nobody told
        db.session.commit()
        student_id, new_id = student.id, new.id
    Browserless(client).submit(f"/admin/people/{student_id}/tutor",
                               {"tutor_id": str(new_id), "review_every_months": "3"})
    with app.app_context():
        [text] = db.session.execute(select(OutboxMessage).where(OutboxMessage.user_id == new_id)).scalars().all()
        assert text.channel == "text" and text.to_address == "07700900777"
        assert "you are now the personal tutor of a student who asked for a conversation" in text.body_text
        assert "PRIVATE" not in text.body_text and "Jo Student" not in text.body_text


def test_the_rec_team_is_emailed_when_a_tutor_is_removed_or_loses_the_role(app, login_as, client):
    login_as("admin")
    with app.app_context():
        other_admin = factories.make_user(roles=("admin",))
        tutor = factories.make_tutor(roles=("tutor", "student"))
        removed_from = factories.make_tutored_student(tutor)
        factories.make_plan_conversation(removed_from, tutor, note="PRIVATE-NOTE")
        db.session.commit()
        admin_email, tutor_id, student_id = other_admin.email, tutor.id, removed_from.id
    web = Browserless(client)
    web.submit(f"/admin/people/{student_id}/tutor/remove", {}, page=f"/admin/people/{student_id}/tutor")
    with app.app_context():
        [notice] = _outbox_to(admin_email)
        assert "now with the REC team" in notice.subject
        assert "because the student no longer has a personal tutor" in notice.body_text
        assert "PRIVATE" not in notice.body_text
        # Now two of the tutor's students have open conversations, and the tutor loses the role.
        for _ in range(2):
            factories.make_plan_conversation(factories.make_tutored_student(tutor_id), tutor_id)
        db.session.commit()
    web.submit(f"/admin/people/{tutor_id}/roles", {"roles": ["student"]}, page=f"/admin/people/{tutor_id}")
    with app.app_context():
        first, second = _outbox_to(admin_email)
        assert "2 students’ conversations about their learning plans are now with the REC team" in second.body_text
        assert "their personal tutor no longer has the tutor role" in second.body_text


def test_the_old_tutor_sending_the_arrange_form_is_told_calmly_and_gets_their_words_back(app, login_as, client):
    with app.app_context():
        old = factories.make_tutor(full_name="Rita Tutor")
        new = factories.make_tutor(full_name="Nia Newtutor")
        conversation = factories.make_plan_conversation(factories.make_tutored_student(old), old)
        db.session.commit()
        old_email, conversation_id, student_id, new_id = old.email, conversation.id, conversation.student_id, new.id
    tutor = login(app, old_email)
    url = f"/tutor/conversations/{conversation_id}/arrange"
    token = Browserless(tutor).token(url)  # the form is open...
    admin = login(app, _people(app, lambda: factories.make_user(roles=("admin",)))[0].email)
    Browserless(admin).submit(f"/admin/people/{student_id}/tutor",
                              {"tutor_id": str(new_id), "review_every_months": "3"})  # ...and the student moves
    when = uk_today() + timedelta(days=7)
    sent = tutor.post(url, data={"csrf_token": token, "day-day": str(when.day), "day-month": str(when.month),
                                 "day-year": str(when.year), "time": "10:30", "details": "Room 4, Hope Centre"})
    assert sent.status_code == 403
    html = sent.get_data(as_text=True)
    assert "This student now has another personal tutor" in _text(html)
    assert "Room 4, Hope Centre" in html and "10:30" in html  # what they typed, to copy
    assert sent.headers["Cache-Control"] == "no-store"
    with app.app_context():
        row = db.session.get(PlanConversation, conversation_id)
        assert (row.status, row.tutor_id, row.arranged_for) == ("requested", new_id, None)


def test_arranging_with_mistakes_shows_each_one_keeps_the_answers_and_saves_nothing(app, client):
    with app.app_context():
        tutor = factories.make_tutor(full_name="Rita Tutor")
        conversation = factories.make_plan_conversation(factories.make_tutored_student(tutor), tutor)
        db.session.commit()
        tutor_email, conversation_id = tutor.email, conversation.id
    me = login(app, tutor_email)
    bad = Browserless(me).submit(
        f"/tutor/conversations/{conversation_id}/arrange",
        {"day-day": "31", "day-month": "2", "day-year": "2027", "time": "half past never", "details": "Room 4"})
    html = _text(bad.get_data(as_text=True))
    assert bad.status_code == 400 and "There is a problem" in html
    assert "Enter a real date for the conversation" in html
    assert 'value="Room 4"' in bad.get_data(as_text=True)  # the other answer is kept
    with app.app_context():
        row = db.session.get(PlanConversation, conversation_id)
        assert (row.status, row.arranged_for, row.arranged_details) == ("requested", None, "")
