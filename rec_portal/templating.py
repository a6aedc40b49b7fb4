"""Templates' helpers, and the one place every Jinja filter and global is registered
(``init_templating``, at the end). A filter's function lives where it belongs: dates and
times in rec_portal/timeutil.py, course words in catalogue/display.py, plain text as
HTML in markdown.py; the small form and page helpers below."""

from __future__ import annotations

import json
import re

from flask import Flask, current_app, has_request_context, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from rec_portal.notifications.contact import preference_label
from rec_portal.web.forms import form_errors
from rec_portal.web.htmx import is_htmx
from rec_portal.markdown import render_markdown
from rec_portal.models.accounts import ADMIN, FACILITATOR, ROLE_LABELS, ROLES, STUDENT, SUPPORT_LEAD, TUTOR
from rec_portal.models.bookings import SUPPORTERS
from rec_portal.models.courses import DELIVERY_LABELS, FACILITATOR_ROLES
from rec_portal.models.workshops import WORKSHOP_CONTACT_METHODS
from rec_portal.stats import SMALL_NUMBER, as_percent, count_text
from rec_portal.stats.terms import session_term
from rec_portal.timeutil import (
    format_uk,
    uk_clock,
    uk_date,
    uk_date_and_time,
    uk_date_span,
    uk_short,
    uk_short_span,
    uk_time,
    uk_weekday_date,
)


def _term_label(starts_at) -> str:
    return session_term(starts_at).label if starts_at else ""


def _feedback_last_day(session) -> str:
    from rec_portal.feedback.window import last_day

    return format_uk(last_day(session.ends_at))


def pagination(page, endpoint: str, **args) -> dict | None:
    """Parameters for the NHS pagination macro, keeping the current filters."""
    if page.pages <= 1:
        return None
    args = {k: v for k, v in args.items() if v}

    def link(n: int) -> str:
        return url_for(endpoint, **args, page=n) if n > 1 else url_for(endpoint, **args)

    numbers = sorted({1, page.pages, *range(max(page.page - 2, 1), min(page.page + 2, page.pages) + 1)})
    items, last = [], 0
    for n in numbers:
        if n - last > 1:
            items.append({"ellipsis": True})
        items.append({"number": n, "href": link(n), "current": n == page.page})
        last = n
    params: dict = {"items": items, "ariaLabel": "Pages of results"}
    if page.has_prev:
        params["previous"] = {"href": link(page.page - 1)}
    if page.has_next:
        params["next"] = {"href": link(page.page + 1)}
    return params


STATUS_TAG_COLOURS = {
    "pending": "blue", "sent": "green", "logged": "grey", "failed": "red",
    "unconfirmed": "orange", "expired": "white",
}


def status_tag(status: str) -> Markup:
    colour = STATUS_TAG_COLOURS.get(status, "grey")
    return Markup('<strong class="nhsuk-tag nhsuk-tag--{}">{}</strong>').format(
        colour, status.capitalize()
    )


def phone_link(number: str) -> Markup:
    digits = re.sub(r"[^0-9+]", "", number)
    return Markup('<a class="rec-nowrap" href="tel:{}">{}</a>').format(digits, number)


def minutes_words(minutes: int) -> str:
    """60 -> '1 hour', 90 -> '90 minutes'."""
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour" + ("" if hours == 1 else "s")
    return f"{minutes} minutes"


COURSE_STATUS_COLOURS = {"draft": "grey", "published": "green", "archived": "white"}


def course_status_tag(status: str) -> Markup:
    return Markup('<strong class="nhsuk-tag nhsuk-tag--{}">{}</strong>').format(
        COURSE_STATUS_COLOURS.get(status, "grey"), status.capitalize()
    )


def audience_text(course) -> str:
    parts = [
        label
        for flag, label in (
            (course.for_service_users, "people who use services"),
            (course.for_carers, "carers"),
            (course.for_staff, "staff"),
        )
        if flag
    ]
    return (", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else "".join(parts)).capitalize()


def roles_text(course) -> str:
    from rec_portal.models.courses import FACILITATOR_ROLE_LABELS

    return ", ".join(
        f"{FACILITATOR_ROLE_LABELS[n.role]}" + (f" ({n.count})" if n.count > 1 else "")
        for n in course.roles_needed
    ) or "None set"


def booking_window(session) -> str:
    """'open', 'not yet' or 'closed', for the booking panel."""
    from rec_portal.timeutil import utcnow

    now = utcnow()
    if session.booking_opens_at and now < session.booking_opens_at:
        return "not yet"
    if (session.booking_closes_at and now >= session.booking_closes_at) or session.starts_at <= now:
        return "closed"
    return "open"


def role_list(names) -> str:
    """Role names in the usual order, as labels ('Student, Admin'), or 'None'."""
    return ", ".join(ROLE_LABELS[r] for r in ROLES if r in names) or "None"


def role_checkbox(choice: dict, selected) -> dict:
    return {**choice, "checked": choice["value"] in selected}


def roster_when(session_date, short: bool = False) -> str:
    """'Tuesday 1 December 2026, 10am to 3pm' (UK time) for a SessionDate; ``short``:
    'Tue 1 Dec 2026, 10am to 3pm'."""
    if not short:
        return uk_date_span(session_date.starts_at, session_date.ends_at)
    return uk_short_span(session_date.starts_at, session_date.ends_at)


def support_site(url: str) -> str:
    """A web address as people say it: 'https://www.samaritans.org/' -> 'samaritans.org'."""
    text = re.sub(r"^https?://", "", url or "", flags=re.IGNORECASE)
    text = re.sub(r"^www\.", "", text, flags=re.IGNORECASE)
    return text.rstrip("/")


def workshop_contact(code: str) -> str:
    """How the student asked to be contacted, in words ("Phone call")."""
    return WORKSHOP_CONTACT_METHODS.get(code, code)


def choice_item(choice, selected=None) -> dict:
    """A WTForms choice (a tuple or an object with ``value`` and ``label``) as an NHS
    radios/checkboxes/select item (``selected``: checked values)."""
    value, label = (choice.value, choice.label) if hasattr(choice, "value") else choice[:2]
    item = {"value": value, "text": label}
    if selected is not None:
        item["checked"] = value in selected
    return item


def change_action(endpoint: str, anchor: str, what: str) -> dict:
    """The "Change" link of an NHS summary list row, going to ``endpoint``'s field."""
    return {"items": [{"href": f"{url_for(endpoint)}#{anchor}", "text": "Change", "visuallyHiddenText": what}]}


def navigation_items() -> list[dict]:
    path = request.path
    items = [
        {"text": "Home", "href": url_for("home.index"), "current": path == "/"},
        {"text": "Courses", "href": url_for("catalogue.index"), "active": path.startswith("/courses")},
        {"text": "Support", "href": url_for("support.index"),
         "active": path.startswith("/support") and not path.startswith("/support-requests")},
    ]
    if current_user.is_authenticated:
        if current_user.has_role(STUDENT):
            items.append(
                {"text": "My courses", "href": url_for("bookings.my_courses"),
                 "active": path.startswith("/my/courses")}
            )
            items.append(
                {"text": "My plan", "href": url_for("plans.index"), "active": path.startswith("/my/plan")}
            )
            items.append(
                {"text": "Safety plan", "href": url_for("safety_plans.index"),
                 "active": path.startswith("/my/safety-plan")}
            )
        # Everyone signed in has an account page, whatever their roles.
        items.append(
            {"text": "My account", "href": url_for("account.index"),
             "active": path.startswith("/my/account")}
        )
        if current_user.has_role(FACILITATOR):
            items.append(
                {
                    "text": "Facilitating",
                    "href": url_for("facilitation.index"),
                    "active": path.startswith("/facilitate"),
                }
            )
        if current_user.has_role(TUTOR):
            items.append({"text": "My students", "href": url_for("tutoring.caseload"),
                          "active": path.startswith("/tutor")})
        if current_user.has_role(ADMIN):
            items.append(
                {"text": "Admin", "href": url_for("admin.index"),
                 "active": path.startswith("/admin") and not path.startswith("/admin/calls")}
            )
            items.append(
                {"text": "Call list", "href": url_for("calls.index"), "active": path.startswith("/admin/calls")}
            )
        if current_user.has_role(SUPPORT_LEAD):
            items.append({"text": "Support requests", "href": url_for("support_requests.queue"),
                          "active": path.startswith("/support-requests")})
    else:
        items.append({"text": "How to join", "href": url_for("home.index") + "#how-to-join"})
    for item in items:
        if item.get("current"):
            item["active"] = True
    return items


def init_templating(app: Flask) -> None:
    """Register every Jinja filter and global (the one list: add new ones here)."""
    # Imported here, not at the top: a feature package imports its views, which import
    # this module (add_error).
    from rec_portal.catalogue.display import (
        audience_words,
        delivery_label,
        facilitator_roles,
        places_words,
        text_lines,
        text_paragraphs,
    )

    app.jinja_env.globals.update(
        form_errors=form_errors,
        pagination=pagination,
        status_tag=status_tag,
        course_status_tag=course_status_tag,
        booking_window=booking_window,
        supporters=SUPPORTERS,  # who may come with a student (models.bookings)
        change_action=change_action,
        uk_date_span=uk_date_span,
        delivery_label=delivery_label,
        facilitator_roles=FACILITATOR_ROLES,
        delivery_labels=DELIVERY_LABELS,
        role_choices=[{"value": r, "text": ROLE_LABELS[r]} for r in ROLES],
        ROLE_LABELS=ROLE_LABELS,
        small_number=SMALL_NUMBER,  # rec_portal/stats: counts below it (and above 0) are held back
        count_text=count_text,  # count_text(n, "answers", "No answers yet"): 'Fewer than 8 answers'
        contact_preference=preference_label,  # contact_preference(person): 'Text message'
    )
    app.jinja_env.filters.update(
        # Dates and times, in UK time (rec_portal/timeutil.py).
        uk_datetime=format_uk,  # '23 November 2026 at 2:05pm'
        uk_date=uk_date,  # '23 November 2026'
        uk_weekday_date=uk_weekday_date,  # 'Tuesday 8 December 2026'
        uk_date_and_time=uk_date_and_time,  # 'Tuesday 8 December 2026 at 10am'
        uk_clock=uk_clock,  # '10am', '2:30pm', 'midday'
        uk_short=uk_short,  # '23 Nov 2026 at 3:07pm' (tables)
        uk_time=uk_time,  # '3:07pm'
        roster_when=roster_when,  # a SessionDate: 'Tuesday 1 December 2026, 10am to 3pm'
        minutes_words=minutes_words,  # '1 hour', '90 minutes'
        # The term a session started in (anonymous feedback is shown by term, never by session).
        term_label=_term_label,
        # Staff figures (rec_portal/stats): a per cent from stats.percent, '13%' ('' for None).
        as_percent=as_percent,
        # The last day feedback on a session can be given ('15 January 2027').
        feedback_last_day=_feedback_last_day,
        # Forms: WTForms choices as NHS macro items.
        choice_item=choice_item,
        catalogue_option=choice_item,
        ws_choice=choice_item,
        role_checkbox=role_checkbox,
        # Words and text.
        role_list=role_list,
        tel_link=phone_link,
        support_site=support_site,  # 'samaritans.org'
        workshop_contact=workshop_contact,  # 'Phone call'
        audience_text=audience_text,
        roles_text=roles_text,
        # Course pages (rec_portal/catalogue/display.py).
        audience_words=audience_words,
        places_words=places_words,
        text_lines=text_lines,
        text_paragraphs=text_paragraphs,
        facilitator_roles=facilitator_roles,
        render_markdown=render_markdown,
    )

    @app.context_processor
    def _globals():
        shared = {
            "service_name": current_app.config["REC_SERVICE_NAME"],
            "contact_email": current_app.config["REC_CONTACT_EMAIL"],
            "contact_phone": current_app.config["REC_CONTACT_PHONE"],
            "phone_link": phone_link(current_app.config["REC_CONTACT_PHONE"]),
        }
        if not has_request_context():  # emails written by a command
            return shared
        csrf_token = generate_csrf()
        return {
            **shared,
            "nav_items": navigation_items,
            "csrf_token_value": csrf_token,
            "hx_headers": json.dumps({"X-CSRFToken": csrf_token}),
            "htmx_request": is_htmx(),
        }
