"""Issue 16 (reaching everyone) on the staff side, through the real UI with JavaScript on
and off; every page landed on is screenshotted and scanned with axe-core.

A phone booking for someone without email (added from the session's bookings page, with
their consent, booked with a supporter, told by text); the call list for someone who
prefers a phone call; an invitation to set up an online account, claimed by the person;
a facilitator's message to the class; and a student choosing a supporter when booking.
The data each journey starts from is made with the factories in the live server's app
context and committed before the browser opens."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models import ClassMessage, OutboxMessage
from rec_portal.timeutil import to_uk, utcnow
from tests import factories
from tests.browser.conftest import (
    ARTIFACTS,
    banner,
    booking_message,
    booking_panel,
    heading,
    my_courses_section,
    sign_in_quietly,
)

pytestmark = pytest.mark.browser

ADMIN_EMAIL = "alex.morgan@example.org"


def _admin_and_session(app, *, capacity: int = 6, **course):
    """An admin (Alex Morgan) and a session of Staying Safe 30 days ahead (rows)."""
    admin = factories.make_user(roles=("admin", "student"), full_name="Alex Morgan",
                                preferred_name="Alex", email=ADMIN_EMAIL)
    session = factories.make_session(
        course=factories.make_course(title="Staying Safe", slug="staying-safe", **course),
        capacity=capacity, starts_in_days=30,
    )
    db.session.flush()
    return admin, session


def main(visitor):
    return visitor.page.locator("main")


def error_summary(visitor):
    return visitor.page.locator(".nhsuk-error-summary")


def on_a_phone(visitor, label: str) -> None:
    """The page as it is now, 375 px wide: screenshotted (``<test>-phone-<label>.png``),
    and nothing wider than the screen (no sideways scrolling). Once per journey (with
    JavaScript): the layout is the same without it."""
    if not visitor.js:
        return
    page = visitor.page
    page.set_viewport_size({"width": 375, "height": 800})
    try:
        page.screenshot(path=str(ARTIFACTS / f"{visitor.name}-phone-{label}.png"), full_page=True,
                        caret="initial")
        wider = page.evaluate(
            "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"
            " ? [...document.querySelectorAll('main *')]"
            ".filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)"
            ".map(e => e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className).slice(0, 5) : []"
        )
        assert not wider, f"wider than a 375 px screen on {page.url}: {wider}"
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})


def record_outcome(visitor, task_id: int, outcome: str) -> None:
    """Choose what happened on a call-list line and press Record: with JavaScript the line
    is replaced in place; without it the whole list comes back with a banner."""
    page = visitor.page
    line = page.locator(f"#line-{task_id}")
    line.get_by_label(outcome, exact=True).check()
    if visitor.js:
        page.evaluate("() => { window.__sameDocument = true; }")
        line.get_by_role("button", name=re.compile(r"^Record")).click()
        # Focus moves to what was recorded (the button may be gone: the line is done).
        expect(page.locator(f"#line-{task_id}").get_by_role("status")).to_be_focused()
        assert page.evaluate("() => window.__sameDocument === true"), "the page was reloaded"
        visitor.check()
    else:
        with page.expect_navigation():
            line.get_by_role("button", name=re.compile(r"^Record")).click()
        visitor.check()


# --- journeys --------------------------------------------------------------------------------


def test_phone_booking_for_someone_without_email(visitor, live_server):
    """Pat rings: they have no email, prefer texts, and bring a carer."""
    page = visitor.page
    with live_server.app.app_context():
        session_id = _admin_and_session(live_server.app)[1].id
        db.session.commit()
        db.session.remove()

    sign_in_quietly(visitor, ADMIN_EMAIL)
    visitor.visit(f"/admin/courses/sessions/{session_id}/bookings")
    expect(heading(visitor)).to_contain_text("Bookings for")
    page.get_by_label("Name, email address, phone number or student number", exact=True).fill("Pat Jones")
    visitor.submit("Find student")
    expect(main(visitor)).to_contain_text("No student matches “Pat Jones”")
    visitor.click_link("Add someone who is not on the portal")
    expect(heading(visitor)).to_have_text("Add someone who is not on the portal")
    expect(page.locator(".nhsuk-caption-l")).to_contain_text("Staying Safe")
    on_a_phone(visitor, "add-person")

    # Everything but the consent box: one error, next to its field, the answers kept.
    page.get_by_label("Full name", exact=True).fill("Pat Jones")
    page.get_by_label("Phone number", exact=True).fill("07700 900123")
    expect(page.get_by_label("Text message", exact=True)).to_be_checked()  # the default
    page.get_by_label("By phone", exact=True).check()
    visitor.submit("Add this person")
    expect(error_summary(visitor)).to_contain_text("Tick the box to confirm they agreed")
    if visitor.js:
        expect(error_summary(visitor)).to_be_focused()
    expect(page.locator("#consent-error")).to_contain_text("Tick the box to confirm they agreed")
    expect(page.get_by_label("Full name", exact=True)).to_have_value("Pat Jones")
    expect(page.get_by_label("Phone number", exact=True)).to_have_value("07700 900123")
    expect(page.get_by_label("By phone", exact=True)).to_be_checked()
    expect(page.get_by_label("Text message", exact=True)).to_be_checked()
    on_a_phone(visitor, "add-person-error")

    page.get_by_label("They agreed to the REC keeping these details and contacting them",
                      exact=True).check()
    visitor.submit("Add this person")

    # Back on the bookings page with Pat found, ready to book.
    expect(heading(visitor)).to_contain_text("Bookings for")
    expect(banner(visitor)).to_contain_text("Pat Jones has been added")
    found = page.locator(".rec-found-person")
    expect(found).to_have_count(1)
    expect(found).to_contain_text("Pat Jones (no email address)")
    expect(found).to_contain_text("07700 900123")
    found.get_by_label("Is someone coming with them?", exact=True).select_option(label="Yes: carer")
    visitor.submit("Book Pat Jones")
    expect(banner(visitor)).to_contain_text("Pat Jones has a place.")
    expect(banner(visitor)).to_contain_text("They will get a text message.")
    expect(banner(visitor)).not_to_contain_text("email")
    booked = page.locator("main table").first
    expect(booked).to_contain_text("Pat Jones")
    expect(booked).to_contain_text("No email address")
    expect(booked).to_contain_text("Prefers: text message")
    expect(booked).to_contain_text("Coming with them: carer")
    expect(main(visitor)).to_contain_text("1 of 6 places taken")
    on_a_phone(visitor, "bookings")

    # The outbox lists a text message to Pat's mobile number; its page shows the words.
    visitor.visit("/admin/outbox")
    row = page.locator("main table tbody tr").filter(has_text="07700900123")
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell").nth(4)).to_have_text("Text message", use_inner_text=True)  # Channel
    with page.expect_navigation():
        row.get_by_role("link").click()
    visitor.check()
    expect(main(visitor)).to_contain_text("07700900123")
    expect(main(visitor)).to_contain_text("Recovery Education Centre")
    expect(main(visitor)).not_to_contain_text("Staying Safe")  # neutral: no course title

    # Pat's page: no online account, consent taken by Alex today, by phone.
    with live_server.app.app_context():
        from rec_portal.models import User

        pat = db.session.execute(select(User).where(User.full_name == "Pat Jones")).scalar_one()
        pat_id = pat.id
        assert pat.email is None and pat.password_hash is None
        db.session.remove()
    visitor.visit(f"/admin/people/{pat_id}")
    expect(heading(visitor)).to_have_text("Pat Jones")
    expect(main(visitor)).to_contain_text("No online account: they cannot sign in")
    expect(page.get_by_role("heading", name="Consent as told to staff")).to_be_visible()
    consent = page.locator("xpath=//main//h2[normalize-space()='Consent as told to staff']"
                           "/following-sibling::dl[1]")
    today = to_uk(utcnow())
    expect(consent.locator(".nhsuk-summary-list__row")).to_have_count(3)
    expect(consent.locator(".nhsuk-summary-list__value").nth(0)).to_contain_text(
        f"{today.day} {today:%B %Y}")
    expect(consent.locator(".nhsuk-summary-list__value").nth(1)).to_contain_text("By phone")
    expect(consent.locator(".nhsuk-summary-list__value").nth(2)).to_have_text("Alex Morgan")
    expect(main(visitor)).to_contain_text("Text message")
    expect(page.locator("#person-bookings")).to_contain_text("Staying Safe")
    on_a_phone(visitor, "person")

    # The REC team writes to the class (Pat): it goes by text.
    visitor.click_link("bookings for this session")
    visitor.click_link("Message everyone on this session")
    expect(heading(visitor)).to_have_text("Message everyone on this session")
    page.get_by_label("Your message", exact=True).fill("Please bring a packed lunch.")
    visitor.submit("Check the message")
    expect(page.locator("#who")).to_have_text("1 person: 1 by text message")
    expect(main(visitor)).to_contain_text("REC team")
    visitor.submit("Send the message")
    expect(banner(visitor)).to_contain_text("Your message has been sent to 1 person.")
    expect(page.locator("main table").filter(has_text="Please bring a packed lunch.")).to_contain_text(
        "Alex Morgan")


def test_a_person_who_prefers_a_phone_call_goes_on_the_call_list(visitor, live_server):
    page = visitor.page
    with live_server.app.app_context():
        admin, session = _admin_and_session(live_server.app)
        factories.make_person_without_account(full_name="Sam Lee", phone="01632 960123",
                                              contact_preference="phone", added_by=admin)
        db.session.commit()
        session_id = session.id
        db.session.remove()

    sign_in_quietly(visitor, ADMIN_EMAIL)
    visitor.visit(f"/admin/courses/sessions/{session_id}/bookings?q=Sam+Lee")
    visitor.submit("Book Sam Lee")
    expect(banner(visitor)).to_contain_text("Sam Lee has a place.")
    expect(banner(visitor)).to_contain_text("call list")
    expect(page.locator("main table").first).to_contain_text("Prefers: phone call")

    visitor.visit("/admin/calls")
    expect(heading(visitor)).to_have_text("Call list")
    expect(page.get_by_role("heading", name="To do (1)")).to_be_visible()
    with live_server.app.app_context():
        from rec_portal.models.contact import ContactTask

        task_id = db.session.execute(select(ContactTask.id)).scalar_one()
        db.session.remove()
    line = page.locator(f"#line-{task_id}")
    expect(line.get_by_role("heading", level=3)).to_contain_text("Phone Sam Lee")
    expect(line).to_contain_text("01632 960123")
    expect(line).to_contain_text("Prefers a phone call")
    expect(line.locator(".rec-call-attempts")).to_have_text("0")
    on_a_phone(visitor, "calls")

    # No answer: the line stays, one attempt.
    record_outcome(visitor, task_id, "No answer (try again)")
    message = page.locator(f"#line-{task_id}").get_by_role("status") if visitor.js else banner(visitor)
    expect(message).to_contain_text("No answer from Sam Lee recorded (attempt 1)")
    expect(page.locator(f"#line-{task_id} .rec-call-attempts")).to_contain_text("1 (last: no answer")
    if not visitor.js:
        expect(page.get_by_role("heading", name="To do (1)")).to_be_visible()

    # They ring back: spoke to them, the line is done.
    record_outcome(visitor, task_id, "Spoke to them")
    message = page.locator(f"#line-{task_id}").get_by_role("status") if visitor.js else banner(visitor)
    expect(message).to_contain_text("Spoke to them: recorded for Sam Lee. The line is done.")
    if visitor.js:
        expect(page.locator(f"#line-{task_id} .rec-call-done")).to_contain_text("Done: Spoke to them")
        page.reload()
        visitor.check()
    expect(page.get_by_role("heading", name="To do (0)")).to_be_visible()
    expect(page.locator("#no-lines")).to_have_text("Nobody to phone or write to.")
    done = page.locator("#done-lines tbody tr")
    expect(done).to_have_count(1)
    expect(done.get_by_role("cell").nth(0)).to_contain_text("Sam Lee")
    # (inner text: without the column headings the cells repeat for phones)
    expect(done.get_by_role("cell").nth(1)).to_have_text("Spoke to them", use_inner_text=True)
    expect(done.get_by_role("cell").nth(2)).to_contain_text("Alex Morgan")
    expect(done.get_by_role("cell").nth(3)).to_have_text("2", use_inner_text=True)
    on_a_phone(visitor, "calls-done")


def test_an_invitation_to_set_up_an_online_account_is_claimed(visitor, live_server):
    page = visitor.page
    with live_server.app.app_context():
        admin, session = _admin_and_session(live_server.app)
        pat = factories.make_person_without_account(full_name="Pat Jones", added_by=admin)
        factories.make_booking(session, pat)
        db.session.commit()
        pat_id = pat.id
        db.session.remove()

    sign_in_quietly(visitor, ADMIN_EMAIL)
    visitor.visit(f"/admin/people/{pat_id}")
    expect(page.get_by_role("heading", name="Invite them to set up an online account")).to_be_visible()
    # A mistyped address first: the error next to the field, and in the summary.
    page.get_by_label("Their email address", exact=True).fill("pat@example")
    visitor.submit("Send an invitation")
    expect(error_summary(visitor)).to_be_visible()
    expect(page.locator("#email-error")).to_be_visible()
    expect(page.get_by_label("Their email address", exact=True)).to_have_value("pat@example")
    page.get_by_label("Their email address", exact=True).fill("pat@example.org")
    visitor.submit("Send an invitation")
    expect(banner(visitor)).to_contain_text(
        "An invitation to set up an online account has been sent to pat@example.org")
    expect(page.locator("#invitation-sent")).to_contain_text("pat@example.org")

    with live_server.app.app_context():
        body = db.session.execute(
            select(OutboxMessage.body_text).where(OutboxMessage.to_address == "pat@example.org")
        ).scalar_one()
        db.session.remove()
    link = re.search(r"http://\S+/claim-account/\S+", body).group(0)

    # Pat opens the link in their own browser (nobody signed in).
    visitor.context.clear_cookies()
    visitor.visit(link)
    expect(heading(visitor)).to_have_text("Set up your online account")
    expect(main(visitor)).to_contain_text("This link is for Pat Jones")
    expect(main(visitor)).to_contain_text("pat@example.org")
    on_a_phone(visitor, "claim")
    page.locator("#password").fill("river-lantern-autumn-7")
    page.locator("#confirm_password").fill("river-lantern-autumn-7")
    page.get_by_label("I have read the privacy notice and agree to the REC keeping my details",
                      exact=True).check()
    visitor.submit("Set up my account")

    # Signed in, on My courses, with the booking staff made for them.
    expect(heading(visitor)).to_have_text("My courses")
    expect(banner(visitor)).to_contain_text("Your online account is set up and you are signed in")
    booked = my_courses_section(visitor, "Booked")
    expect(booked).to_have_count(1)
    expect(booked.get_by_role("heading", level=3)).to_have_text("Staying Safe")


def test_a_facilitator_writes_to_the_class(visitor, live_server):
    page = visitor.page
    with live_server.app.app_context():
        session = _admin_and_session(live_server.app)[1]
        facilitator = factories.make_facilitator(name="Robin Hale", email="robin.hale@example.org")
        factories.add_to_roster(session, facilitator)
        jo = factories.make_student_who_prefers("email", full_name="Jo Bloggs")
        pat = factories.make_person_without_account(full_name="Pat Jones")
        factories.make_booking(session, jo)
        factories.make_booking(session, pat, supporter="support_worker")
        db.session.commit()
        session_id = session.id
        db.session.remove()

    sign_in_quietly(visitor, "robin.hale@example.org")
    visitor.visit(f"/facilitate/sessions/{session_id}")
    expect(main(visitor)).to_contain_text("+ supporter (support worker)")
    expect(main(visitor)).to_contain_text("Text message")
    visitor.click_link("Message everyone on this session")
    expect(heading(visitor)).to_have_text("Message everyone on this session")

    # Nothing written: the error pattern.
    visitor.submit("Check the message")
    expect(error_summary(visitor)).to_be_visible()
    expect(page.locator("#words-error")).to_be_visible()
    on_a_phone(visitor, "write-error")

    words = "We are in Room 4 this week, on the first floor. The lift is by the front door."
    page.get_by_label("Your message", exact=True).fill(words)
    visitor.submit("Check the message")
    expect(heading(visitor)).to_have_text("Check your message before sending it")
    expect(page.locator("#who")).to_contain_text("2")
    expect(page.locator("#words-shown")).to_have_text(words)
    on_a_phone(visitor, "check")
    visitor.submit("Send the message")

    expect(banner(visitor)).to_contain_text("Your message has been sent to 2 people.")
    sent = page.locator("main table").filter(has_text=words)
    expect(sent).to_have_count(1)
    expect(sent).to_contain_text("Robin Hale")
    on_a_phone(visitor, "class-list")
    with live_server.app.app_context():
        assert db.session.execute(select(ClassMessage.body)).scalars().all() == [words]
        channels = sorted(db.session.execute(select(OutboxMessage.channel)).scalars())
        assert channels == ["email", "text"], channels
        db.session.remove()


def test_a_student_books_with_a_supporter(visitor, live_server):
    """The supporter choice in the course page's booking panel."""
    with live_server.app.app_context():
        session = _admin_and_session(live_server.app, capacity=4, supporters_take_place=True)[1]
        factories.make_user(full_name="Jo Bloggs", preferred_name="Jo", email="jo.bloggs@example.org")
        db.session.commit()
        session_id = session.id
        db.session.remove()

    sign_in_quietly(visitor, "jo.bloggs@example.org")
    visitor.visit("/courses/staying-safe")
    panel = booking_panel(visitor, session_id)
    expect(panel).to_contain_text("On this course they need a place of their own.")
    panel.get_by_label("Is someone coming with you?", exact=True).select_option(
        label="Yes: friend or family member")
    button = panel.get_by_role("button", name=re.compile(r"^Book a place"))
    if visitor.js:
        button.click()
        expect(panel.get_by_role("status")).to_be_visible()
        visitor.check()
    else:
        with visitor.page.expect_navigation():
            button.click()
        visitor.check()
    expect(booking_message(visitor, session_id)).to_contain_text("Your place is booked")
    visitor.visit("/my/courses")
    booked = my_courses_section(visitor, "Booked")
    expect(booked).to_contain_text("friend or family member", ignore_case=True)
