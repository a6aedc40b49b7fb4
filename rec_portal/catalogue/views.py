"""Views for /courses: read-only, open to everyone, signed in or not."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_login import current_user

from rec_portal.web.access import public
from rec_portal.bookings import queries as booking_queries
from rec_portal.catalogue import bp, pages, queries
from rec_portal.catalogue.forms import CatalogueFilterForm
from rec_portal.web.htmx import is_htmx, render
from rec_portal.timeutil import utcnow
from rec_portal.web.paging import page_number

PER_PAGE = 10




@bp.route("/courses")
@public
def index():
    now = utcnow()
    form = CatalogueFilterForm(formdata=request.args, now=now)
    filters = form.filters()
    page = queries.catalogue_page(filters, page=page_number(), per_page=PER_PAGE, now=now)
    context = dict(form=form, filters=filters, page=page)
    if pages.whole_page_allowed():  # signed out: the same page for everyone
        htmx = is_htmx()
        key = pages.listing_key(filters, page, form.month.choices, htmx)
        return pages.serve("courses", key, "catalogue/_results.html" if htmx else "catalogue/index.html",
                           lambda: context)
    return render("catalogue/index.html", "catalogue/_results.html", **context)


@bp.route("/courses/<slug>")
@public
def course(slug: str):
    if pages.whole_page_allowed():
        # Signed out: the same page for everyone, from the cache when what it shows has not
        # changed (one statement says what it shows).
        fingerprint = queries.course_page_fingerprint(slug)
        if fingerprint is None:
            abort(404)
        return pages.serve(
            "course", pages.course_page_key(fingerprint), "catalogue/course.html",
            lambda: _course_context(slug, signed_in=False),
            still=lambda: queries.course_page_fingerprint(slug) == fingerprint,
        )
    return render_template("catalogue/course.html",
                           **_course_context(slug, signed_in=current_user.is_authenticated))


def _course_context(slug: str, signed_in: bool) -> dict:
    found = queries.published_course(slug)
    if found is None:
        abort(404)
    sessions = queries.upcoming_sessions(found)
    # The booking panels show a signed-in student their own place or waiting-list position.
    mine = (
        booking_queries.my_bookings(current_user.id, [u.session.id for u in sessions])
        if signed_in and sessions
        else {}
    )
    # A waiting-list place on a date of a course where they have a place on another date.
    if mine:
        booking_queries.mark_places_elsewhere(current_user.id, mine.values())
    from rec_portal.content_reviews.queries import published_summaries
    from rec_portal.pathways.queries import pathways_with_course
    from rec_portal.plans.queries import course_in_plan

    # "You said, we did" from the course's content reviews (one statement).
    reviews = published_summaries(found.id)
    return dict(
        course=found, sessions=sessions, my_bookings=mine,
        # "Add to my plan" (the plans feature): True/False for a student, None for others.
        in_plan=course_in_plan(current_user, found.id) if signed_in else None,
        # Who delivers each session, with their bios (one statement).
        facilitators=queries.facilitators_for([u.session.id for u in sessions]),
        # The learning pathways that include it (one statement).
        pathways=pathways_with_course(found.id),
        # The description part, made once per version of the course (a cached fragment).
        about_html=pages.course_about(found, reviews),
    )
