"""Account journeys through the real UI, with JavaScript on and off.

Every page a journey lands on is screenshotted and scanned with axe-core (see
``Visitor.check`` in conftest.py). The tests assert what a person sees: headings,
messages, the answers kept in a form.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models import OutboxMessage
from tests import factories
from tests.browser.conftest import banner, header, heading, sign_in
from tests.conftest import signup_link

pytestmark = pytest.mark.browser

FIRST_PASSWORD = "engine-analytical-1843"
SECOND_PASSWORD = "difference-engine-1822"
THIRD_PASSWORD = "jacquard-loom-cards-1804"
LINK_RE = re.compile(r"https?://\S+/reset-password/\S+")


# --- what a person does and sees -----------------------------------------------------------


def error_summary(visitor):
    return visitor.page.locator(".nhsuk-error-summary")


def sign_out(visitor) -> None:
    with visitor.page.expect_navigation():
        header(visitor).get_by_role("button", name="Sign out", exact=True).click()
    visitor.check()
    expect(banner(visitor)).to_contain_text("You have signed out.")
    expect(header(visitor).get_by_role("link", name="Sign in", exact=True)).to_be_visible()
    expect(header(visitor).get_by_role("button", name="Sign out")).to_have_count(0)


def reset_link_from_outbox(live_server, email: str) -> str:
    """The link in the password-reset email queued for ``email`` (there must be one)."""
    with live_server.app.app_context():
        rows = (
            db.session.execute(
                select(OutboxMessage)
                .where(OutboxMessage.to_address == email)
                .order_by(OutboxMessage.id)
            )
            .scalars()
            .all()
        )
        resets = [row for row in rows if "reset" in row.subject.lower()]
        assert len(resets) == 1, [(row.subject, row.to_address) for row in rows]
        message = resets[0]
        assert message.subject == "Reset your Recovery Education Centre password"
        links = LINK_RE.findall(message.body_text)
        db.session.remove()
    assert len(links) == 1, message.body_text
    return links[0]


# --- journeys --------------------------------------------------------------------------------

def test_register_sign_in_change_and_reset_password(visitor, live_server):
    page = visitor.page
    email = "ada.lovelace@example.org"

    # Register from the home page.
    visitor.visit("/")
    visitor.click_link("Register")
    expect(heading(visitor)).to_have_text("Enrol with the Recovery Education Centre")
    page.get_by_label("Full name", exact=True).fill("Ada Lovelace")
    page.get_by_label("What would you like us to call you? (optional)").fill("Ada")
    page.get_by_label("Email address", exact=True).fill("Ada.Lovelace@Example.org")
    page.get_by_label("Create a password", exact=True).fill(FIRST_PASSWORD)
    page.get_by_label("Type the password again", exact=True).fill(FIRST_PASSWORD)
    page.get_by_role("radio", name="I use mental health services (or have done)").check()
    page.get_by_role("checkbox", name="I have read the privacy notice").check()
    visitor.submit("Enrol and create my account")

    # The page says to check the email; the link in it (read from the outbox) asks for the
    # password chosen, then makes the account.
    expect(heading(visitor)).to_have_text("Check your email")
    visitor.visit(signup_link(live_server.app, email))
    expect(heading(visitor)).to_have_text("Finish enrolling")
    page.get_by_label("The password you chose when you enrolled").fill(FIRST_PASSWORD)
    visitor.submit("Confirm and finish enrolling")

    # Signed in, on the home page: the next step (look at the courses) and, below it, the
    # optional questions with "Not now"; then My account, which shows the (normalised)
    # email address.
    expect(heading(visitor)).to_have_text("Hello, Ada")
    expect(banner(visitor)).to_contain_text("your account has been created. You are signed in.")
    expect(page.locator("#home-steps")).to_contain_text("Look at the courses")
    expect(page.locator("#home-optional-questions")).to_contain_text("victim of crime")
    visitor.submit("Not now")
    expect(banner(visitor)).to_contain_text("We will not ask again here")
    expect(page.locator("#home-optional-questions")).to_have_count(0)
    visitor.visit("/my/account")
    expect(heading(visitor)).to_have_text("My account")
    details = page.locator(".nhsuk-summary-list").first
    expect(details).to_contain_text(email)
    expect(details).to_contain_text("Ada Lovelace")
    expect(header(visitor).get_by_role("link", name="Ada")).to_be_visible()

    sign_out(visitor)

    # Sign in again at /login.
    visitor.click_link("Sign in")
    assert page.url == f"{live_server.url}/login"
    sign_in(visitor, email, FIRST_PASSWORD)
    expect(heading(visitor)).to_have_text("Hello, Ada")  # the home page
    expect(banner(visitor)).to_contain_text("You are signed in as Ada.")

    # Change the password from My account.
    visitor.visit("/my/account")
    visitor.click_link("Change password")
    expect(heading(visitor)).to_have_text("Change your password")
    page.get_by_label("Current password", exact=True).fill(FIRST_PASSWORD)
    page.get_by_label("New password", exact=True).fill(SECOND_PASSWORD)
    page.get_by_label("Type the new password again", exact=True).fill(SECOND_PASSWORD)
    visitor.submit("Change password")
    expect(heading(visitor)).to_have_text("My account")
    expect(banner(visitor)).to_contain_text(
        "Your password has been changed. Any other devices have been signed out."
    )

    sign_out(visitor)

    # Forgotten password: ask for a link.
    visitor.click_link("Sign in")
    visitor.click_link("I have forgotten my password")
    expect(heading(visitor)).to_have_text("Reset your password")
    page.get_by_label("Email address", exact=True).fill(email)
    visitor.submit("Send me a link")
    expect(heading(visitor)).to_have_text("Check your email")
    expect(page.locator("main")).to_contain_text("The link works once and stops working after")

    # Open the link from the email and choose a new password.
    link = reset_link_from_outbox(live_server, email)
    assert link.startswith(f"{live_server.url}/reset-password/")
    visitor.visit(link)
    expect(heading(visitor)).to_have_text("Choose a new password")
    page.get_by_label("New password", exact=True).fill(THIRD_PASSWORD)
    page.get_by_label("Type the password again", exact=True).fill(THIRD_PASSWORD)
    visitor.submit("Save new password")
    expect(heading(visitor)).to_have_text("Sign in")
    expect(banner(visitor)).to_contain_text(
        "Your password has been changed. Sign in with your new password."
    )

    # The link works once.
    visitor.visit(link)
    expect(heading(visitor)).to_have_text("This link has expired or has already been used")
    visitor.click_link("Sign in")

    # The old password no longer works ...
    sign_in(visitor, email, SECOND_PASSWORD)
    assert page.title().startswith("Error: ")
    expect(heading(visitor)).to_have_text("Sign in")
    expect(error_summary(visitor)).to_contain_text("There is a problem")
    expect(error_summary(visitor)).to_contain_text("Enter a correct email address and password")
    expect(header(visitor).get_by_role("link", name="Sign in", exact=True)).to_be_visible()

    # ... the new one does.
    page.get_by_label("Email address", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(THIRD_PASSWORD)
    visitor.submit("Sign in")
    expect(heading(visitor)).to_have_text("Hello, Ada")
    expect(banner(visitor)).to_contain_text("You are signed in as Ada.")
    visitor.visit("/my/account")
    expect(page.locator(".nhsuk-summary-list").first).to_contain_text(email)
    assert not page.title().startswith("Error: ")

    sign_out(visitor)


def test_registration_errors_are_listed_and_answers_kept(visitor, live_server):
    page = visitor.page
    visitor.visit("/register")
    page.get_by_label("Full name", exact=True).fill("Grace Hopper")
    page.get_by_label("Email address", exact=True).fill("grace.hopper@example.org")
    page.get_by_label("Create a password", exact=True).fill("short")
    page.get_by_label("Type the password again", exact=True).fill("short")
    # The privacy consent box is left unticked.
    visitor.submit("Enrol and create my account")

    assert page.title().startswith("Error: "), page.title()
    expect(heading(visitor)).to_have_text("Enrol with the Recovery Education Centre")

    # The error summary lists each problem, linking to its field.
    summary = error_summary(visitor)
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(
        summary.get_by_role("link", name="Password must be 10 characters or more")
    ).to_have_attribute("href", "#password")
    expect(
        summary.get_by_role("link", name="Tick the box to say you agree to the privacy notice")
    ).to_have_attribute("href", "#consent")
    expect(
        summary.get_by_role("link", name="Select how you are connected to mental health services")
    ).to_have_attribute("href", "#relationship_to_services")
    expect(summary.get_by_role("link")).to_have_count(3)
    if visitor.js:
        expect(summary).to_be_focused()  # NHS.UK frontend moves focus to the summary

    # Each message sits next to its field, and the field points to it.
    password = page.get_by_label("Create a password", exact=True)
    password_group = page.locator(".nhsuk-form-group--error").filter(has=page.locator("#password"))
    expect(password_group.locator(".nhsuk-error-message")).to_contain_text(
        "Password must be 10 characters or more"
    )
    expect(password).to_have_attribute("aria-describedby", re.compile(r"\bpassword-error\b"))
    consent_group = page.locator(".nhsuk-form-group--error").filter(has=page.locator("#consent"))
    expect(consent_group.locator(".nhsuk-error-message")).to_contain_text(
        "Tick the box to say you agree to the privacy notice"
    )
    # Fields without a problem are not marked as having one.
    expect(page.locator(".nhsuk-form-group--error")).to_have_count(3)

    # The other answers are kept; the passwords are not sent back.
    expect(page.get_by_label("Full name", exact=True)).to_have_value("Grace Hopper")
    expect(page.get_by_label("Email address", exact=True)).to_have_value("grace.hopper@example.org")
    expect(password).to_have_value("")

    # Put the problems right and the account is created.
    password.fill("compiler-cobol-1959")
    page.get_by_label("Type the password again", exact=True).fill("compiler-cobol-1959")
    page.get_by_role("radio", name="I use mental health services (or have done)").check()
    page.get_by_role("checkbox", name="I have read the privacy notice").check()
    visitor.submit("Enrol and create my account")
    expect(heading(visitor)).to_have_text("Check your email")

    # Finishing needs the password chosen: a wrong one is shown as an error, nothing made.
    visitor.visit(signup_link(live_server.app, "grace.hopper@example.org"))
    confirm_password = page.get_by_label("The password you chose when you enrolled")
    confirm_password.fill("not-what-i-chose-1")
    visitor.submit("Confirm and finish enrolling")
    assert page.title().startswith("Error: "), page.title()
    expect(error_summary(visitor).get_by_role("link")).to_have_text(
        "Enter the password you chose when you enrolled. If you enrolled more than once, use the "
        "password you chose the last time"
    )
    page.get_by_label("The password you chose when you enrolled").fill("compiler-cobol-1959")
    visitor.submit("Confirm and finish enrolling")
    expect(heading(visitor)).to_have_text("Hello, Grace")  # the home page after enrolment
    visitor.visit("/my/account")
    expect(heading(visitor)).to_have_text("My account")
    expect(page.locator(".nhsuk-summary-list").first).to_contain_text("grace.hopper@example.org")
    assert not page.title().startswith("Error: ")


def test_admin_gives_a_student_the_facilitator_role(visitor, live_server):
    page = visitor.page
    with live_server.app.app_context():
        admin = factories.make_user(
            roles=("admin", "student"), full_name="Alex Morgan", preferred_name="Alex",
            email="alex.morgan@example.org",
        )
        factories.make_user(
            full_name="Priya Shah", preferred_name="Priya", email="priya@example.org"
        )
        factories.make_user(full_name="Sam Jones", preferred_name="Sam", email="sam@example.org")
        db.session.commit()
        admin_email = admin.email
        db.session.remove()

    visitor.visit("/login")
    sign_in(visitor, admin_email, factories.PASSWORD)
    expect(banner(visitor)).to_contain_text("You are signed in as Alex.")

    visitor.click_link("Admin")
    expect(heading(visitor)).to_have_text("Admin")
    visitor.click_link("People and roles")
    expect(heading(visitor)).to_have_text("People and roles")
    count = page.locator("#people-count")
    expect(count).to_have_text("3 people found.")

    # Search for the student by name.
    search = page.get_by_label("Name, email address, phone number or student number", exact=True)
    if visitor.js:
        # Results update as you type, without a new page load and without pressing Search.
        page.evaluate("() => { window.__sameDocument = true; }")
        search.press_sequentially("Priya", delay=40)
        expect(count).to_have_text("1 person found for “Priya”.")
        assert page.evaluate("() => window.__sameDocument === true"), "the page was reloaded"
        expect(page).to_have_url(re.compile(r"/admin/people\?(.*&)?q=Priya"))
        visitor.check()
    else:
        search.fill("Priya")
        visitor.submit("Search")
        expect(count).to_have_text("1 person found for “Priya”.")
    results = page.locator("#people-results table")
    expect(results).to_contain_text("priya@example.org")
    expect(results).not_to_contain_text("Sam Jones")

    # Open the person and give them the Facilitator role.
    visitor.click_link("Priya Shah")
    expect(heading(visitor)).to_have_text("Priya Shah")
    roles = page.get_by_role("group", name="What can Priya do in the portal?")
    facilitator = roles.get_by_role("checkbox", name="Facilitator", exact=True)
    expect(roles.get_by_role("checkbox", name="Student", exact=True)).to_be_checked()
    expect(facilitator).not_to_be_checked()
    facilitator.check()
    message = "Roles saved. Priya now has: Student, Facilitator."
    if visitor.js:
        page.evaluate("() => { window.__sameDocument = true; }")
        page.get_by_role("button", name="Save roles", exact=True).click()
        expect(page.get_by_role("status")).to_contain_text(message)
        assert page.evaluate("() => window.__sameDocument === true"), "the page was reloaded"
        # Keyboard focus moves to the confirmation, not back to the top of the page.
        expect(page.get_by_role("status")).to_be_focused()
        # Keyboard focus moves to the confirmation, not back to the top of the page.
        expect(page.get_by_role("status")).to_be_focused()
        visitor.check()
    else:
        visitor.submit("Save roles")
        expect(banner(visitor)).to_contain_text(message)
    expect(heading(visitor)).to_have_text("Priya Shah")
    roles = page.get_by_role("group", name="What can Priya do in the portal?")
    expect(roles.get_by_role("checkbox", name="Facilitator", exact=True)).to_be_checked()
    expect(roles.get_by_role("checkbox", name="Student", exact=True)).to_be_checked()
    expect(roles.get_by_role("checkbox", name="Admin (REC staff)", exact=True)).not_to_be_checked()

    # The list of people shows the new role too.
    visitor.click_link("Back to people")
    priya_row = page.locator("#people-results tr").filter(has_text="Priya Shah")
    expect(priya_row).to_contain_text("Student, Facilitator")

    sign_out(visitor)
