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
    found = queries.published_course(slug)
    if found is None:
        abort(404)
    sessions = queries.upcoming_sessions(found)
    # The booking panels show a signed-in student their own place or waiting-list position.
    mine = (
        booking_queries.my_bookings(current_user.id, [u.session.id for u in sessions])
        if current_user.is_authenticated and sessions
        else {}
    )
    # A waiting-list place on a date of a course where they have a place on another date.
    if mine:
        booking_queries.mark_places_elsewhere(current_user.id, mine.values())
    # "Add to my plan" (the plans feature): True/False for a student, None for others.
    from rec_portal.content_reviews.queries import published_summaries
    from rec_portal.pathways.queries import pathways_with_course
    from rec_portal.plans.queries import course_in_plan

    # Who delivers each session, with their bios (one statement).
    facilitators = queries.facilitators_for([u.session.id for u in sessions])
    # "You said, we did" from the course's content reviews (one statement).
    reviews = published_summaries(found.id)
    # The learning pathways that include it (one statement).
    pathways = pathways_with_course(found.id)
    def context(**more):
        # The description part is made once per version of the course (a cached fragment).
        return dict(course=found, sessions=sessions, facilitators=facilitators, pathways=pathways,
                    about_html=pages.course_about(found, reviews), **more)

    if pages.whole_page_allowed():  # signed out: the same page for everyone
        key = pages.course_page_key(found, sessions, facilitators, reviews, pathways)
        return pages.serve("course", key, "catalogue/course.html",
                           lambda: context(my_bookings={}, in_plan=None))
    return render_template(
        "catalogue/course.html", **context(my_bookings=mine, in_plan=course_in_plan(current_user, found.id)),
    )
