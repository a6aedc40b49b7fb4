"""Waiting-list offers through the web (issue 16, part 4): the offer page a student opens
from the message or My courses (Accept, Decline, Leave the waiting list), a last-minute
"Take the place", staff answering for someone on the phone on the session bookings page,
and `rec pass-on-offers` passing on an offer nobody answered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from rec_portal.bookings.operations import book_place, cancel_booking
from rec_portal.extensions import db
from rec_portal.models import Booking, ContactTask, Course, OutboxMessage
from rec_portal.models.bookings import DECLINED_OFFER, LEFT_LIST
from rec_portal.timeutil import format_uk, uk_date_and_time, utcnow
from tests import factories
from tests.conftest import Browserless, csrf_from

HELD = "Recovery Education Centre session: a place is being held for you"
BOOKED = "Recovery Education Centre session: your place is booked"


@dataclass
class Offer:
    session_id: int
    bookings: list[int]  # the waiting list, in line order; the first is offered the place
    emails: list[str | None]
    until: str  # "Tuesday 8 December 2026 at 10am": what the page says it is held until


def _offer(app, people=None, *, waiting: int = 2, starts_in_days: float = 14) -> Offer:
    """A full one-place session with ``people`` (or ``waiting`` new students) waiting;
    the person booked cancels, so the place is held for the first of them."""
    with app.app_context():
        course = factories.make_course(title="Staying Safe", slug="staying-safe")
        session = factories.make_session(course=course, capacity=1, starts_in_days=starts_in_days)
        holder = book_place(session.id, factories.make_user()).booking
        people = people(db) if people else [
            factories.make_user(email=f"wait{i}@example.org", full_name=f"Waiting Person {i}")
            for i in range(waiting)]
        queue = [book_place(session.id, p).booking for p in people]
        cancel_booking(holder.id)
        db.session.commit()
        first = queue[0]
        return Offer(session.id, [b.id for b in queue], [p.email for p in people],
                     uk_date_and_time(first.offer_expires_at) if first.offer_expires_at else "")


def _status(app, booking_id: int) -> str:
    with app.app_context():
        return db.session.get(Booking, booking_id).status


def _signed_in(app, email: str) -> Browserless:
    web = Browserless(app.test_client())
    web.login(email)
    return web


def _outbox(app, **where) -> list[OutboxMessage]:
    with app.app_context():
        rows = db.session.execute(select(OutboxMessage).filter_by(**where).order_by(OutboxMessage.id)).scalars().all()
        db.session.expunge_all()
        return rows


# --- The offer page ------------------------------------------------------------------------

def test_the_offer_page_shows_the_hold_time_with_accept_and_decline(app):
    offer = _offer(app)
    web = _signed_in(app, offer.emails[0])
    response = web.client.get(f"/my/courses/{offer.bookings[0]}/offer")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>A place is being held for you</h1>" in html
    assert f"A place is being held for you until {offer.until}." in html
    # Straight under the page's h1, the callout's heading is an h2 (axe: heading order).
    assert '<h2 class="nhsuk-warning-callout__label">' in html and "<h3" not in html.split("<h1", 1)[1]
    assert offer.until.split()[0] in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                                      "Saturday", "Sunday") and " at " in offer.until
    assert f'action="/my/courses/{offer.bookings[0]}/offer/accept"' in html and "Accept the place" in html
    assert f'action="/my/courses/{offer.bookings[0]}/offer/decline"' in html and "Decline" in html
    assert f'href="/my/courses/{offer.bookings[0]}/cancel">Leave the waiting list' in html
    # The second in line has no place held: their page says where they stand.
    second = _signed_in(app, offer.emails[1]).client.get(f"/my/courses/{offer.bookings[1]}/offer")
    html = second.get_data(as_text=True)
    assert "No place is being held for you at the moment. You are number 1 on the waiting list." in html
    assert "Accept the place" not in html


def test_another_students_offer_is_not_found_and_signed_out_goes_to_sign_in(app, client):
    offer = _offer(app)
    url = f"/my/courses/{offer.bookings[0]}/offer"
    assert client.get(url).headers["Location"] == f"/login?next={url}"
    other = _signed_in(app, offer.emails[1])  # a student on the same list, not their booking
    assert other.client.get(url).status_code == 404
    token = other.token("/my/courses")
    for action in ("offer/accept", "offer/decline", "take-place"):
        response = other.client.post(f"/my/courses/{offer.bookings[0]}/{action}", data={"csrf_token": token})
        assert response.status_code == 404, action
    assert _status(app, offer.bookings[0]) == "offered"
    assert _status(app, offer.bookings[1]) == "waitlisted"


def test_accepting_books_the_place_with_a_banner(app):
    offer = _offer(app)
    web = _signed_in(app, offer.emails[0])
    page = f"/my/courses/{offer.bookings[0]}/offer"
    response = web.submit(f"/my/courses/{offer.bookings[0]}/offer/accept", {}, page=page)
    assert response.status_code == 302 and response.headers["Location"] == "/my/courses"
    html = web.client.get("/my/courses").get_data(as_text=True)
    assert "Your place is booked. We have sent you the details." in html
    assert "A place became free" in html and "Accept the place" not in html
    assert _status(app, offer.bookings[0]) == "confirmed"
    assert [m.subject for m in _outbox(app, to_address=offer.emails[0])] == [HELD, BOOKED]
    # The page now says the place is theirs; a second press changes nothing.
    assert "You have this place: it is booked." in web.client.get(page).get_data(as_text=True)
    web.submit(f"/my/courses/{offer.bookings[0]}/offer/accept", {}, page=page)
    assert "You already have this place: it is booked." in web.client.get("/my/courses").get_data(as_text=True)
    assert [m.subject for m in _outbox(app, to_address=offer.emails[0])] == [HELD, BOOKED]


def test_accepting_with_htmx_gets_the_same_answer_as_without(app):
    """The offer forms are plain forms (no htmx attributes): an htmx request is answered
    like any other, with the banner and My courses (post/redirect/get), never a bare
    fragment that would lose the message."""
    offer = _offer(app)
    web = _signed_in(app, offer.emails[0])
    token = web.token(f"/my/courses/{offer.bookings[0]}/offer")
    response = web.client.post(f"/my/courses/{offer.bookings[0]}/offer/accept",
                               data={"csrf_token": token}, headers={"HX-Request": "true"})
    assert response.status_code == 302 and response.headers["Location"] == "/my/courses"
    assert "Your place is booked." in web.client.get("/my/courses").get_data(as_text=True)
    assert _status(app, offer.bookings[0]) == "confirmed"


def test_accepting_after_the_hold_ended_is_refused_and_nothing_changes(app):
    offer = _offer(app)
    with app.app_context():
        booking = db.session.get(Booking, offer.bookings[0])
        booking.offer_expires_at = utcnow() - timedelta(minutes=1)  # not yet passed on
        db.session.commit()
    web = _signed_in(app, offer.emails[0])
    page = web.client.get(f"/my/courses/{offer.bookings[0]}/offer").get_data(as_text=True)
    assert "so it is being passed on to the next person" in page and "Accept the place" not in page
    response = web.submit(f"/my/courses/{offer.bookings[0]}/offer/accept", {}, page="/my/courses")
    assert response.headers["Location"] == "/my/courses"
    html = web.client.get("/my/courses").get_data(as_text=True)
    assert "so it is being passed on to the next person. You are still on the waiting list." in html
    assert "Your place is booked" not in html
    assert _status(app, offer.bookings[0]) == "offered"
    assert [m.subject for m in _outbox(app, to_address=offer.emails[0])] == [HELD]


def test_declining_offers_the_place_to_the_next_person_by_their_preference(app):
    def people(_db):
        first = factories.make_user(email="first@example.org")
        texter = factories.make_student_who_prefers("text", phone="07700 900456", email=False,
                                                    full_name="Sam Text")
        return [first, texter]

    offer = _offer(app, people)
    web = _signed_in(app, "first@example.org")
    web.submit(f"/my/courses/{offer.bookings[0]}/offer/decline", {}, page=f"/my/courses/{offer.bookings[0]}/offer")
    html = web.client.get("/my/courses").get_data(as_text=True)
    assert "You have said no to the place, and left the waiting list." in html
    with app.app_context():
        declined, nxt = (db.session.get(Booking, i) for i in offer.bookings)
        assert declined.status == "cancelled" and declined.cancelled_reason == DECLINED_OFFER
        assert nxt.status == "offered" and nxt.offer_expires_at > utcnow()
    [text] = _outbox(app, channel="text")
    assert text.to_address == "07700900456"
    assert "Recovery Education Centre" in text.body_text and "is held for you until" in text.body_text
    assert "Staying Safe" not in text.body_text  # neutral: no course title
    assert "call" in text.body_text  # no online account: they call the REC


def test_leaving_the_waiting_list_from_an_offer(app):
    offer = _offer(app)
    web = _signed_in(app, offer.emails[0])
    page = f"/my/courses/{offer.bookings[0]}/cancel"
    assert "Leave the waiting list" in web.client.get(f"/my/courses/{offer.bookings[0]}/offer").get_data(as_text=True)
    response = web.submit(page, {})
    assert response.headers["Location"] == "/my/courses"
    assert "You have left the waiting list." in web.client.get("/my/courses").get_data(as_text=True)
    with app.app_context():
        left, nxt = (db.session.get(Booking, i) for i in offer.bookings)
        assert left.status == "cancelled" and left.cancelled_reason == LEFT_LIST
        assert nxt.status == "offered"
    assert HELD in [m.subject for m in _outbox(app, to_address=offer.emails[1])]


def test_last_minute_the_first_to_take_the_place_gets_it(app):
    offer = _offer(app, starts_in_days=0.5)  # within REC_LAST_MINUTE_HOURS: nobody is held a place
    assert [_status(app, i) for i in offer.bookings] == ["waitlisted", "waitlisted"]
    first, second = (_signed_in(app, e) for e in offer.emails)
    pages = [w.client.get(f"/my/courses/{i}/offer").get_data(as_text=True) for w, i in zip((first, second), offer.bookings)]
    assert all("A place is free now" in p and "Take the place" in p for p in pages)
    assert "Take the place" in second.client.get("/my/courses").get_data(as_text=True)
    tokens = [w.token("/my/courses") for w in (first, second)]
    # The second in line answers first and gets it.
    second.client.post(f"/my/courses/{offer.bookings[1]}/take-place", data={"csrf_token": tokens[1]})
    assert "Your place is booked." in second.client.get("/my/courses").get_data(as_text=True)
    first.client.post(f"/my/courses/{offer.bookings[0]}/take-place", data={"csrf_token": tokens[0]})
    html = first.client.get("/my/courses").get_data(as_text=True)
    assert "The place has been taken; you are still on the waiting list (number 1 in line)." in html
    assert [_status(app, i) for i in offer.bookings] == ["waitlisted", "confirmed"]
    assert "Take the place" not in html


# --- Staff on the session bookings page ----------------------------------------------------

def _bookings_page(offer: Offer) -> str:
    return f"/admin/courses/sessions/{offer.session_id}/bookings"


def test_staff_see_places_held_and_accept_for_someone_on_the_phone(app, login_as, web, client):
    def people(_db):
        return [factories.make_person_without_account(full_name="Pat Jones", phone="07700 900123"),
                factories.make_user(full_name="Next Person")]

    offer = _offer(app, people)
    login_as("admin")
    html = client.get(_bookings_page(offer)).get_data(as_text=True)
    row = html.split(f'id="offered-{offer.bookings[0]}"', 1)[1].split("</tr>", 1)[0]
    assert "Places held (offered)" in html
    assert "Pat Jones" in row and "No email address" in row and "07700 900123" in row
    assert offer.until.split(" at ")[0].split(" ", 1)[1] in row  # the date it is held until
    assert "Accept for them" in row and "Decline for them" in row
    texts_before = len(_outbox(app, channel="text"))
    response = web.submit(f"/admin/courses/bookings/{offer.bookings[0]}/accept-offer", {}, page=_bookings_page(offer))
    assert response.headers["Location"] == _bookings_page(offer)
    html = client.get(_bookings_page(offer)).get_data(as_text=True)
    assert "Pat Jones has accepted the place: it is booked, and they have been told." in html
    assert "Places held (offered)" not in html
    assert _status(app, offer.bookings[0]) == "confirmed"
    # Pat prefers texts: the confirmation goes by text, to their mobile.
    texts = _outbox(app, channel="text")
    assert len(texts) == texts_before + 1
    assert texts[-1].to_address == "07700900123" and "is booked" in texts[-1].body_text


def test_staff_decline_for_someone_and_the_next_is_offered(app, login_as, web, client):
    offer = _offer(app)
    login_as("admin")
    web.submit(f"/admin/courses/bookings/{offer.bookings[0]}/decline-offer", {}, page=_bookings_page(offer))
    html = client.get(_bookings_page(offer)).get_data(as_text=True)
    assert "Waiting Person 0 has declined the place and left the waiting list." in html
    assert f'id="offered-{offer.bookings[1]}"' in html
    with app.app_context():
        declined = db.session.get(Booking, offer.bookings[0])
        assert declined.status == "cancelled" and declined.cancelled_reason == DECLINED_OFFER
    assert _status(app, offer.bookings[1]) == "offered"
    assert HELD in [m.subject for m in _outbox(app, to_address=offer.emails[1])]


def test_staff_cannot_accept_or_decline_a_lapsed_offer(app, login_as, web, client):
    offer = _offer(app)
    with app.app_context():
        db.session.get(Booking, offer.bookings[0]).offer_expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    login_as("admin")
    token = csrf_from(client.get(_bookings_page(offer)).get_data(as_text=True))
    client.post(f"/admin/courses/bookings/{offer.bookings[0]}/accept-offer", data={"csrf_token": token})
    html = client.get(_bookings_page(offer)).get_data(as_text=True)
    assert "so it is being passed on to the next person. Waiting Person 0 is still on the waiting list." in html
    assert _status(app, offer.bookings[0]) == "offered"
    # Passed on (the command below), declining for them is refused too.
    assert app.test_cli_runner().invoke(args=["rec", "pass-on-offers"]).exit_code == 0
    client.post(f"/admin/courses/bookings/{offer.bookings[0]}/decline-offer", data={"csrf_token": token})
    html = client.get(_bookings_page(offer)).get_data(as_text=True)
    assert "No place is being held for Waiting Person 0 on this session any more" in html
    assert [_status(app, i) for i in offer.bookings] == ["waitlisted", "offered"]


def test_someone_who_prefers_a_phone_call_is_not_put_on_the_call_list_again_when_staff_accept(app, login_as, web):
    def people(_db):
        return [factories.make_student_who_prefers("phone", phone="01632 960000", email=False,
                                                   full_name="Chris Phone")]

    offer = _offer(app, people, waiting=1)
    with app.app_context():
        kinds = list(db.session.execute(select(ContactTask.kind)).scalars())
    assert kinds == ["offer_made"]  # told of the offer by phone
    login_as("admin")
    web.submit(f"/admin/courses/bookings/{offer.bookings[0]}/accept-offer", {}, page=_bookings_page(offer))
    assert _status(app, offer.bookings[0]) == "confirmed"
    with app.app_context():
        assert list(db.session.execute(select(ContactTask.kind)).scalars()) == ["offer_made"]
    assert _outbox(app, channel="text") == []


def test_last_minute_staff_see_who_to_phone_and_take_the_place_for_them(app, login_as, web, client):
    def people(_db):
        return [factories.make_student_who_prefers("phone", phone="01632 960111", email=False,
                                                   full_name="Lee Landline"),
                factories.make_student_who_prefers("text", phone="07700 900222", full_name="Mo Mobile")]

    offer = _offer(app, people, starts_in_days=0.5)
    login_as("admin")
    html = client.get(_bookings_page(offer)).get_data(as_text=True)
    panel = html.split('id="last-minute-calls"', 1)[1].split("</table>", 1)[0]
    assert "Last-minute place: people to phone" in panel
    assert panel.index("Lee Landline") < panel.index("Mo Mobile")
    assert "01632 960111" in panel and "07700 900222" in panel
    web.submit(f"/admin/courses/bookings/{offer.bookings[1]}/take-last-minute-place", {}, page=_bookings_page(offer))
    html = client.get(_bookings_page(offer)).get_data(as_text=True)
    assert "Mo Mobile has taken the free place: it is booked, and they have been told." in html
    assert 'id="last-minute-calls"' not in html  # no place left: nobody to phone
    assert [_status(app, i) for i in offer.bookings] == ["waitlisted", "confirmed"]


# --- rec pass-on-offers ---------------------------------------------------------------------

def test_pass_on_offers_command_passes_on_a_lapsed_offer(app):
    offer = _offer(app, waiting=3)
    with app.app_context():
        db.session.get(Booking, offer.bookings[0]).offer_expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["rec", "pass-on-offers"])
    assert result.exit_code == 0 and "Passed on 1 lapsed offer." in result.output
    with app.app_context():
        lapsed, nxt, third = (db.session.get(Booking, i) for i in offer.bookings)
        assert lapsed.status == "waitlisted" and lapsed.offer_lapsed_at is not None
        assert nxt.status == "offered" and third.status == "waitlisted"
        assert lapsed.queued_at > third.queued_at  # back of the line
    subjects = [m.subject for m in _outbox(app, to_address=offer.emails[0])]
    assert subjects[-1] == "Recovery Education Centre session: the place held for you has been passed on"
    assert HELD in [m.subject for m in _outbox(app, to_address=offer.emails[1])]
    web = _signed_in(app, offer.emails[0])
    assert "You are number 2 in line." in web.client.get("/my/courses").get_data(as_text=True)
    again = app.test_cli_runner().invoke(args=["rec", "pass-on-offers"])
    assert "Passed on 0 lapsed offers." in again.output


# --- Supporters take a place: the course form keeps capacity right --------------------------

def test_the_course_form_refuses_supporters_taking_a_place_where_dates_would_be_over(app, login_as, web):
    from tests.scenarios import COURSE

    with app.app_context():
        course = factories.make_course(title="Staying Safe", slug="staying-safe")
        session = factories.make_session(course=course, capacity=1, at_hour=9)
        book_place(session.id, factories.make_user(), supporter="carer")
        db.session.commit()
        course_id, when = course.id, format_uk(session.starts_at)
    login_as("admin")
    form = {**COURSE, "title": "Staying Safe, changed", "supporters_take_place": "y"}
    html = web.submit(f"/admin/courses/{course_id}/edit", form).get_data(as_text=True)
    assert "There is a problem" in html
    assert f"Supporters cannot take a place of their own yet: on {when}" in html
    assert 'value="Staying Safe, changed"' in html  # the answers are kept
    with app.app_context():
        course = db.session.get(Course, course_id)
        assert (course.title, course.supporters_take_place) == ("Staying Safe", False)


def test_the_call_list_no_longer_asks_staff_to_phone_about_an_offer_accepted(app, login_as, web, client):
    def people(_db):
        return [factories.make_student_who_prefers("phone", phone="01632 960000", email=False,
                                                   full_name="Chris Phone")]

    offer = _offer(app, people, waiting=1)
    login_as("admin")
    html = client.get("/admin/calls").get_data(as_text=True)
    assert "Phone Chris Phone" in html
    web.submit(f"/admin/courses/bookings/{offer.bookings[0]}/accept-offer", {}, page=_bookings_page(offer))
    html = client.get("/admin/calls").get_data(as_text=True)
    assert "Phone Chris Phone" not in html
    done = html.split('id="done-lines"', 1)[1].split("</table>", 1)[0]
    assert "Chris Phone" in done and "No longer needed: The place was accepted" in done


def test_pass_on_offers_carries_on_when_one_offer_fails(app, monkeypatch, caplog):
    from rec_portal.bookings import operations

    offers = []
    with app.app_context():
        for _ in range(2):  # two full sessions, each with a place held for the first waiting
            session = factories.make_session(capacity=1)
            holder = book_place(session.id, factories.make_user()).booking
            queue = [book_place(session.id, factories.make_user()).booking for _ in range(2)]
            cancel_booking(holder.id)
            queue[0].offer_expires_at = utcnow() - timedelta(seconds=1)
            offers.append([b.id for b in queue])
        db.session.commit()
    broken = offers[0][0]
    real = operations.pass_on_offer

    def pass_on_offer(booking_id, now=None):
        result = real(booking_id, now)
        if booking_id == broken:
            raise RuntimeError("the database went away")
        return result

    monkeypatch.setattr(operations, "pass_on_offer", pass_on_offer)
    result = app.test_cli_runner().invoke(args=["rec", "pass-on-offers"])
    assert result.exit_code == 1 and "Passed on 1 lapsed offer." in result.output
    assert "Could not pass on 1 lapsed offer: see the log." in result.output
    assert f"Could not pass on the offer of booking {broken}" in caplog.text
    # The failing one was rolled back whole (still held, nobody else offered it); the
    # other was passed on.
    assert [_status(app, i) for i in offers[0]] == ["offered", "waitlisted"]
    assert [_status(app, i) for i in offers[1]] == ["waitlisted", "offered"]


def test_the_class_list_says_a_freed_place_is_offered_not_given_automatically(app, login_as, client):
    with app.app_context():
        session = factories.make_session(capacity=1)
        book_place(session.id, factories.make_user())
        book_place(session.id, factories.make_user())
        db.session.commit()
        session_id = session.id
    login_as("admin")
    html = client.get(f"/facilitate/sessions/{session_id}").get_data(as_text=True)
    assert "1 person is on the waiting list." in html
    assert "automatically" not in html
    assert "it is held for the first person in line until a set time" in html
