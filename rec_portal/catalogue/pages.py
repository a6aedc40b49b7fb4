"""The catalogue's pages through the shared cache (rec_portal/web/cache.py).

Signed out, /courses and a course page are the same for everyone, so the whole rendered
page is kept, under a key that names everything it shows: the course's every column and
facilitator roles, each listed session's times, place, status, booking window and places
left, who delivers it, the published "You said, we did" summaries and pathways; for
/courses the filters, the page, the months offered and each listed course with its next
date and places left. These come from the same statements the page is made from (a fixed
number, whatever the data size), so a booking by anyone changes the key at once: nothing
is ever stale and nothing needs invalidating.

Never for someone signed in, nor for a request with a flash message waiting: such a page
is rendered as before (the public description part of a course page comes from the cache
as a fragment). A cached page carries no CSRF token (signed out, these pages have no form
that posts) and its CSP nonce is a placeholder, replaced per response.
"""

from __future__ import annotations

from typing import Callable

from flask import current_app, make_response, render_template, session
from flask_login import current_user
from markupsafe import Markup

from rec_portal.security import csp_nonce
from rec_portal.web import cache

# The nonce the cached page is made with; each response gets its own in its place.
NONCE_PLACEHOLDER = "rec-cached-page-nonce"
# Only for pages with no form that posts: the page carries no token at all.
NO_TOKEN = {"csrf_token_value": "", "hx_headers": "{}", "cspNonce": NONCE_PLACEHOLDER}


def whole_page_allowed() -> bool:
    """Whether this request may be answered from (and fill) the whole-page cache: signed
    out, and no flash message waiting to be shown."""
    return not current_user.is_authenticated and not session.get("_flashes")


def serve(namespace: str, key: str, template: str, make_context: Callable[[], dict],
          still: Callable[[], bool] | None = None):
    """The page ``template`` would render with ``make_context()``, from the cache under
    ``key`` or made now and kept. The caller has checked ``whole_page_allowed()``.
    ``still()``: whether what ``key`` was made from is still so after rendering (if
    something changed in between, the page is sent but not kept under the old key)."""
    body = cache.get(namespace, key)
    if body is None:
        body = render_template(template, **make_context(), **NO_TOKEN)
        if 'name="csrf_token"' in body or "X-CSRFToken" in body:  # never keep a token
            current_app.logger.error("catalogue: a %s page had a CSRF token; not cached", namespace)
        elif still is None or still():
            cache.put(namespace, key, body)
    return make_response(body.replace(f'nonce="{NONCE_PLACEHOLDER}"', f'nonce="{csp_nonce()}"'))


def _columns(row) -> tuple:
    return tuple(getattr(row, column.key) for column in row.__table__.columns)


def course_content_key(course, reviews) -> tuple:
    """Everything the public description part of a course page shows: every column of the
    course (its content_version and updated_at among them), its facilitator roles, its
    published "You said, we did" summaries."""
    return (
        _columns(course),
        tuple((need.role, need.count) for need in course.roles_needed),
        tuple((r.id, r.held_on, r.you_said_we_did) for r in reviews),
    )


def course_page_key(fingerprint: tuple) -> str:
    """The whole signed-out course page, from queries.course_page_fingerprint: the course
    (its version), its facilitator roles, and for each upcoming session its times, dates,
    where, places left and booking window now, who delivers it; the published "You said,
    we did" summaries and the pathways that include it."""
    return cache.key_digest("course", fingerprint)


def course_about(course, reviews) -> Markup:
    """The public description part of a course page (about, what you will learn, what to
    expect, access and support, who made it, "You said, we did"), made once per version
    of the course and kept in the cache, so a signed-in page renders only what is theirs."""
    from rec_portal.catalogue.display import facilitator_roles
    from rec_portal.catalogue.words import course_words

    key = cache.key_digest("about", course_content_key(course, reviews))
    return Markup(cache.get_or_make(
        "course-about", key,
        lambda: render_template("catalogue/_course_about.html", course=course, you_said_we_did=reviews,
                                words=course_words(course, facilitator_roles(course))),
    ))


def listing_key(filters, page, months: list, htmx: bool) -> str:
    """The whole signed-out /courses page (or its htmx results): the filters, the page
    number and total, the months offered, each listed course's shown fields with its next
    date and places left."""
    return cache.key_digest(
        "listing", htmx, tuple(sorted(filters.as_args().items())), page.page, page.per_page,
        page.total, tuple(months),
        tuple(
            (
                entry.course.id, entry.course.slug, entry.course.title, entry.course.summary,
                entry.course.for_service_users, entry.course.for_carers, entry.course.for_staff,
                entry.course.delivery, entry.course.duration,
                entry.next_starts_at, entry.places_left,
            )
            for entry in page.items
        ),
    )

