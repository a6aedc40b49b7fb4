"""Views for support requests. Thin: load, authorise, call one operation through ``run``
(one commit), then redirect (or, for htmx, return the section's partial).

- /ask-for-help (anyone signed in): "I would like someone from the REC to contact me";
  /ask-for-help/sent says it was received (and nothing of what was sent).
- /facilitate/sessions/<id>/concerns (a facilitator on the session's roster): "I am
  worried about someone's safety" (also a section of the reflection page, sent on its own).
- /support-requests, /support-requests/<id> (support leads only, not every admin): the
  confidential queue, a request and its notes. Every list and request shown is audited.

Signed-in pages are sent with ``Cache-Control: no-store`` (security.py), and the person's
pages carry the quick exit, so Back after leaving shows nothing."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user

from rec_portal import audit
from rec_portal.drafts import keeps_typing, owner_may
from rec_portal.errors_pages import render_error
from rec_portal.extensions import db
from rec_portal.models.accounts import FACILITATOR, SUPPORT_LEAD
from rec_portal.models.support_requests import CAME_FROM, HOW, NEW, STATUSES, SupportRequest
from rec_portal.support_requests import bp, operations, queries
from rec_portal.support_requests.forms import AskForm, ConcernForm, NoteForm
from rec_portal.web.access import login_required, owner_only, role_required
from rec_portal.web.forms import done, page, run
from rec_portal.web.guards import current_person, get_or_404, get_rostered_session_or_404, is_rostered
from rec_portal.web.htmx import is_htmx
from rec_portal.web.paging import Page, page_number, status_filter
from rec_portal.web.ratelimit import limit

PER_PAGE = 25


# --- Asking for help -------------------------------------------------------------------------

def _came_from(value: str | None) -> str:
    return value if value in operations.ASKED_FROM else ""


def _prefilled(person) -> AskForm:
    how = operations.preferred_how(person)
    return AskForm(data={"how": how, "contact_detail": operations.contact_detail_for(person, how),
                         "came_from": _came_from(request.args.get("from"))})


def _asker_key() -> str:
    """Requests to be contacted are counted per person (a class on shared wifi is many
    people), by address only if nobody is signed in (the page then sends them to sign in)."""
    if current_user.is_authenticated:
        return f"asker:{current_user.id}"
    return get_remote_address()


def _request_stored(response) -> bool:
    """Only requests that were sent on count: a form sent back with a problem to fix does not."""
    return response.status_code in (302, 303) or "HX-Redirect" in response.headers


@bp.route("/ask-for-help", methods=["GET", "POST"])
@keeps_typing(AskForm)
@login_required
@limit("REC_LIMIT_SUPPORT_REQUEST", key_func=_asker_key, deduct_when=_request_stored)
def ask():
    person = current_person()
    form = AskForm() if request.method == "POST" else _prefilled(person)
    return run(
        form,
        lambda: operations.ask_for_help(
            person, how=form.how.data, contact_detail=form.contact_detail.data, safe_times=form.safe_times.data,
            may_leave_message=form.leave_message(), details=form.details.data,
            came_from=_came_from(form.came_from.data),
        ),
        done=lambda _: done(url_for("support_requests.sent")),
        page=lambda: page("support_requests/ask.html", form=form, email=person.email,
                          open_requests=queries.open_requests_of(person.id)),
    )


@bp.errorhandler(429)
def _asked_many_times(error):
    """Too many requests to be contacted in a short while (``REC_LIMIT_SUPPORT_REQUEST``):
    a calm page that says the earlier requests are in hand, keeps what was typed, and keeps
    the numbers to call now. Any other page of this blueprint gets the usual page."""
    if request.endpoint != "support_requests.ask" or not current_user.is_authenticated:
        return render_error(429)
    person = current_person()
    form = AskForm()
    form.came_from.data = _came_from(form.came_from.data)
    return render_template("support_requests/ask.html", form=form, email=person.email, asked_many_times=True,
                           open_requests=queries.open_requests_of(person.id)), 429


@bp.route("/ask-for-help/sent")
@login_required
def sent():
    """What happens next. Deliberately shows nothing of what was sent."""
    return render_template("support_requests/sent.html")


# --- A facilitator's concern ------------------------------------------------------------------

def _rostered(owner, session_id: int) -> bool:
    return owner.has_role(FACILITATOR) and is_rostered(owner.id, session_id)


def _students(session_id: int) -> list[dict]:
    return [{"value": str(s.id), "text": s.full_name} for s in operations.class_list(session_id)]


@bp.route("/facilitate/sessions/<int:session_id>/concerns", methods=["GET", "POST"])
@owner_only("session")
@keeps_typing(ConcernForm, keep_if=_rostered)
@role_required(FACILITATOR)
def concern(session_id: int):
    session = get_rostered_session_or_404(session_id, current_person())
    form = ConcernForm() if request.method == "POST" else ConcernForm(formdata=None)
    sent_one = request.args.get("sent") == "1"

    def shown(sent_now: bool = False):
        context = {"session": session, "concern_form": form, "concern_students": _students(session.id),
                   "concern_sent": sent_now or sent_one,
                   # The page's h1 on its own page; an h2 in the reflection page it sits in.
                   "concern_heading_level": 1 if "/concerns" in request.headers.get("HX-Current-URL", "/concerns") else 2}
        return page("support_requests/concern.html", "support_requests/_concern.html", **context)

    def sent_partial():
        nonlocal form
        form = ConcernForm(formdata=None)
        return shown(sent_now=True)

    if request.method in ("GET", "HEAD"):
        return shown()
    return run(
        form,
        lambda: operations.raise_concern(current_person(), session, person_id=form.student_id(),
                                         details=form.details.data),
        done=lambda _: done(url_for("support_requests.concern", session_id=session.id, sent=1), partial=sent_partial),
        page=shown,
    )


# --- The support lead's queue -----------------------------------------------------------------

@bp.route("/support-requests")
@role_required(SUPPORT_LEAD)
def queue():
    status = status_filter(STATUSES, NEW)
    counts = queries.status_counts()
    number = page_number()
    items = queries.queue_page(status, page=number, per_page=PER_PAGE)
    found = Page(items=items, page=number, per_page=PER_PAGE, total=counts[status])
    html = render_template("support_requests/queue.html", page=found, counts=counts, status=status,
                           statuses=STATUSES)
    # Rendered first: committing expires what the page reads.
    audit.record(audit.SUPPORT_REQUESTS_VIEWED, actor=current_person(),
                 detail=f"support requests {status} page {number}: " + ",".join(str(r.id) for r in items))
    db.session.commit()
    return html


def _load(request_id: int) -> SupportRequest:
    return get_or_404(SupportRequest, request_id, load=queries.request_for_staff)


def _request_context(found: SupportRequest, note_form=None, message: str | None = None) -> dict:
    return {"req": found, "note_form": note_form or NoteForm(formdata=None), "notes_message": message,
            "how_labels": HOW, "came_from_labels": CAME_FROM}


def _request_page(found: SupportRequest, note_form=None, status: int = 200):
    """The request page; showing it is audited."""
    html = render_template("support_requests/request.html", **_request_context(found, note_form))
    audit.record(audit.SUPPORT_REQUEST_VIEWED, actor=current_person(), detail=f"support request {found.id}")
    db.session.commit()
    return html, status


@bp.route("/support-requests/<int:request_id>", endpoint="request")
@role_required(SUPPORT_LEAD)
def show(request_id: int):
    return _request_page(_load(request_id))


@bp.route("/support-requests/<int:request_id>/notes", methods=["GET", "POST"])
@keeps_typing(NoteForm, keep_if=owner_may(SUPPORT_LEAD, SupportRequest, "request_id"))
@role_required(SUPPORT_LEAD)
def add_note(request_id: int):
    found = _load(request_id)
    if request.method in ("GET", "HEAD"):  # e.g. after signing in again: the form is on the request page
        return redirect(url_for("support_requests.request", request_id=found.id) + "#notes")
    form = NoteForm()

    def again():
        shown = _load(request_id)
        if is_htmx():  # only the notes section: not a new read of the whole request
            return render_template("support_requests/_progress.html", **_request_context(shown, form)), 400
        return _request_page(shown, form, 400)

    def noted(note):
        message = "Note added." + (f" The request is now {STATUSES[note.status_to].lower()}." if note.status_to else "")
        return done(
            url_for("support_requests.request", request_id=request_id) + "#notes", message,
            partial=lambda: render_template("support_requests/_progress.html",
                                            **_request_context(_load(request_id), message=message)),
        )

    return run(
        form,
        lambda: operations.add_note(found, form.body.data, current_person(), status_to=form.status_to.data or ""),
        done=noted,
        page=again,
    )
