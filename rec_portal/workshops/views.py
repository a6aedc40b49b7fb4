"""Views for individual workshops. Thin: load, authorise, call one operation through
``run`` (one commit), then redirect (or, for htmx, return the notes partial).

Students: /courses/<slug>/individual-workshop (ask), /my/courses/workshops/<id> (their
request, withdraw). Admins: /admin/workshops (the queue) and /admin/workshops/<id> (notes,
close, reopen, arrange, roster)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from rec_portal import audit
from rec_portal.catalogue.queries import published_course
from rec_portal.drafts import keeps_typing, owner_may
from rec_portal.extensions import db
from rec_portal.ids import MAX_ID
from rec_portal.models import Course, User
from rec_portal.models.accounts import ADMIN, STUDENT
from rec_portal.models.workshops import (
    ARRANGED,
    NEW,
    WORKSHOP_CONTACT_METHODS,
    WORKSHOP_STATUS_LABELS,
    WORKSHOP_STATUSES,
    WorkshopRequest,
)
from rec_portal.rosters.operations import eligible_in, load_facts, roster_status, status_in
from rec_portal.web.access import owner_only, role_required
from rec_portal.web.forms import done, page, run
from rec_portal.web.guards import current_person, get_workshop_request_or_404
from rec_portal.web.htmx import is_htmx
from rec_portal.web.paging import Page, page_number, status_filter
from rec_portal.workshops import bp, operations, queries
from rec_portal.workshops.forms import (
    ArrangeForm,
    AssignForm,
    ButtonForm,
    CloseForm,
    NoteForm,
    RequestForm,
)

PER_PAGE = 20


# --- Students -----------------------------------------------------------------------------

def _prefilled(student: User) -> RequestForm:
    profile = getattr(student, "profile", None)
    method = profile.contact_preference if profile and profile.contact_preference in WORKSHOP_CONTACT_METHODS else "email"
    detail = student.email if method == "email" else (profile.phone if profile else "")
    return RequestForm(data={"contact_method": method, "contact_detail": detail})


@bp.route("/courses/<slug>/individual-workshop", methods=["GET", "POST"])
@keeps_typing(RequestForm, keep_if=owner_may(STUDENT, Course, 'slug', by='slug'))
@role_required(STUDENT)
def ask(slug: str):
    course = published_course(slug)
    if course is None:
        abort(404)
    student = current_person()
    existing = operations.open_request(student.id, course.id)
    if existing is not None:
        flash("You have already asked for an individual workshop of this course. Here is your request.", "info")
        return redirect(url_for("workshops.mine", request_id=existing.id))
    form = RequestForm() if request.method == "POST" else _prefilled(student)
    return run(
        form,
        lambda: operations.request_workshop(
            student, course, why_not_group=form.why_not_group.data, what_would_help=form.what_would_help.data,
            availability=form.availability.data, contact_method=form.contact_method.data,
            contact_detail=form.contact_detail.data,
        ),
        done=lambda made: done(url_for("workshops.sent", request_id=made.id)),
        page=lambda: page("workshops/ask.html", form=form, course=course, email=student.email),
    )


@bp.route("/my/courses/workshops/<int:request_id>/sent")
@owner_only("workshop request")
@role_required(STUDENT)
def sent(request_id: int):
    return render_template("workshops/sent.html", req=get_workshop_request_or_404(request_id, for_user=current_person()))


@bp.route("/my/courses/workshops/<int:request_id>")
@owner_only("workshop request")
@role_required(STUDENT)
def mine(request_id: int):
    found = get_workshop_request_or_404(request_id, for_user=current_person())
    return render_template("workshops/mine.html", req=found, form=ButtonForm(),
                           contact_methods=WORKSHOP_CONTACT_METHODS)


@bp.route("/my/courses/workshops/<int:request_id>/withdraw", methods=["POST"])
@owner_only("workshop request")
@role_required(STUDENT)
def withdraw(request_id: int):
    found = get_workshop_request_or_404(request_id, for_user=current_person())
    return run(
        ButtonForm(),
        lambda: operations.withdraw_request(found, current_person()),
        done=lambda _: done(url_for("bookings.my_courses"),
                            f"Your request for an individual {found.course.title} workshop has been withdrawn."),
        refused=lambda error: done(url_for("workshops.mine", request_id=found.id), error.message, category="error"),
    )


# --- Admins: the queue --------------------------------------------------------------------

@bp.route("/admin/workshops")
@role_required(ADMIN)
def queue():
    status = status_filter((*WORKSHOP_STATUSES, "all"), NEW)
    counts = queries.status_counts()
    total = sum(counts.values()) if status == "all" else counts[status]
    number = page_number()
    found = queries.queue_page("" if status == "all" else status, page=number, per_page=PER_PAGE)
    page = Page(items=found.items, page=number, per_page=PER_PAGE, total=total)
    html = render_template("workshops/queue.html", page=page, counts=counts, status=status,
                           labels=WORKSHOP_STATUS_LABELS, statuses=WORKSHOP_STATUSES)
    # Rendered first: committing expires what the page reads.
    audit.record(audit.WORKSHOP_REQUESTS_VIEWED, actor=current_person(),
                 detail=f"workshop requests {status} page {number}: " + ",".join(str(r.id) for r in page.items))
    db.session.commit()
    return html


# --- Admins: one request ------------------------------------------------------------------

def _url(found: WorkshopRequest, anchor: str = "") -> str:
    return url_for("workshops.request", request_id=found.id) + (f"#{anchor}" if anchor else "")


def _refused(found: WorkshopRequest, anchor: str = ""):
    """A button the rules refused: back to the request with the reason."""
    return lambda error: done(_url(found, anchor), error.message, category="error")


def _reloaded(request_id: int) -> WorkshopRequest:
    """The request read again (after a refusal rolled back what the page reads)."""
    return get_workshop_request_or_404(request_id, load=queries.request_for_staff)


def _roster_context(found: WorkshopRequest) -> dict:
    """The arranged session's roster: who is on it, the gaps and who could fill each."""
    if found.session is None:
        return {"roster": None}
    facts = load_facts([found.session])
    status = status_in(found.session, facts)
    gaps = [
        (role, label, n, [{"value": str(u.id), "text": u.full_name} for u in eligible_in(found.session, role, facts)])
        for role, label, n in status.missing
    ]
    return {"roster": facts.assignments.get(found.session.id, []), "roster_status": status, "gaps": gaps}


def _request_page(found: WorkshopRequest, note_form=None, status: int = 200, **extra):
    """The request page; showing it is audited (a read of the student's request)."""
    html = render_template(
        "workshops/request.html", req=found, note_form=note_form or NoteForm(formdata=None),
        button=ButtonForm(), contact_methods=WORKSHOP_CONTACT_METHODS, assign_form=AssignForm(formdata=None),
        **_roster_context(found), **extra,
    )
    audit.record(audit.WORKSHOP_REQUEST_VIEWED, actor=current_person(), subject=found.student,
                 detail=f"workshop request {found.id}")
    db.session.commit()
    return html, status


@bp.route("/admin/workshops/<int:request_id>", endpoint="request")
@role_required(ADMIN)
def show(request_id: int):
    return _request_page(get_workshop_request_or_404(request_id, load=queries.request_for_staff))


def _notes_partial(found: WorkshopRequest, form, message: str | None = None, status: int = 200):
    return render_template("workshops/_notes.html", req=found, note_form=form, notes_message=message), status


@bp.route("/admin/workshops/<int:request_id>/notes", methods=["GET", "POST"])
@keeps_typing(NoteForm, keep_if=owner_may(ADMIN, WorkshopRequest, 'request_id'))
@role_required(ADMIN)
def add_note(request_id: int):
    found = get_workshop_request_or_404(request_id, load=queries.request_for_staff)
    if request.method in ("GET", "HEAD"):  # e.g. after signing in again: the note form is on the request page
        return redirect(_url(found, "notes"))
    form = NoteForm()

    def again():
        shown = _reloaded(request_id)
        # Kept branch: the full page is a read of the student's request and is audited as
        # one (``_request_page``); the notes partial alone is not.
        if is_htmx():
            return _notes_partial(shown, form, status=400)
        return _request_page(shown, note_form=form, status=400, page_has_errors=True)

    return run(
        form,
        lambda: operations.add_note(found, form.text.data, current_person()),
        done=lambda _: done(_url(found, "notes"), "Note added.",
                            partial=lambda: _notes_partial(found, NoteForm(formdata=None), message="Note added.")),
        page=again,
    )


@bp.route("/admin/workshops/<int:request_id>/close", methods=["GET", "POST"])
@keeps_typing(CloseForm, keep_if=owner_may(ADMIN, WorkshopRequest, 'request_id'))
@role_required(ADMIN)
def close(request_id: int):
    found = get_workshop_request_or_404(request_id, load=queries.request_for_staff)
    if found.status != NEW:
        flash("Only a new request can be closed." + (" Cancel its session first." if found.status == ARRANGED else ""),
              "info")
        return redirect(_url(found))
    form = CloseForm()
    return run(
        form,
        lambda: operations.close_request(found, form.reason.data, current_person()),
        done=lambda _: done(_url(found), "The request is closed."),
        page=lambda: page("workshops/close.html", form=form, req=found),
    )


@bp.route("/admin/workshops/<int:request_id>/reopen", methods=["POST"])
@role_required(ADMIN)
def reopen(request_id: int):
    found = get_workshop_request_or_404(request_id, load=queries.request_for_staff)
    return run(
        ButtonForm(),
        lambda: operations.reopen_request(found, current_person()),
        done=lambda _: done(_url(found), "The request is open again, as new."),
        refused=_refused(found),
    )


def _arranged_message(found: WorkshopRequest, session) -> str:
    status = roster_status(session)
    return ("The workshop is arranged. " + found.student.full_name + " has been sent the confirmation "
            "and calendar file." + ("" if status.complete else f" The roster still needs: {status.missing_text}."))


@bp.route("/admin/workshops/<int:request_id>/arrange", methods=["GET", "POST"])
@keeps_typing(ArrangeForm, keep_if=owner_may(ADMIN, WorkshopRequest, 'request_id'))
@role_required(ADMIN)
def arrange(request_id: int):
    found = get_workshop_request_or_404(request_id, load=queries.request_for_staff)
    if found.status != NEW:
        flash(f"This request is {found.status_label.lower()}, so it cannot be arranged.", "info")
        return redirect(_url(found))
    form = ArrangeForm.for_course(found.course, queries.people_for(found.course))
    return run(
        form,
        lambda: operations.arrange(found, operations.Arrangement(
            starts_at=form.starts_at(), ends_at=form.ends_at(), venue=form.venue.data,
            online_details=form.online_details.data, facilitators=form.facilitators(),
        ), current_person()),
        done=lambda session: done(_url(found, "workshop"), _arranged_message(found, session)),
        page=lambda: page("workshops/arrange.html", form=form, req=_reloaded(request_id)),
    )


@bp.route("/admin/workshops/<int:request_id>/assign", methods=["POST"])
@role_required(ADMIN)
def assign(request_id: int):
    found = get_workshop_request_or_404(request_id, load=queries.request_for_staff)
    form = AssignForm()
    role = (form.role.data or "")[:40]

    def assign_person() -> User | None:
        person = db.session.get(User, form.user_id.data) if 0 < (form.user_id.data or 0) <= MAX_ID else None
        operations.assign(found, person, role, current_person())
        return person

    return run(
        form,
        assign_person,
        done=lambda person: done(
            _url(found, "roster"),
            f"{person.full_name} is on the roster as {operations.role_label(role).lower()}. They have been sent an email.",
        ),
        # Nobody chosen (the only thing the form checks): back to the roster, as a banner.
        page=lambda: done(_url(found, "roster"), "Choose who will cover this role.", category="error"),
        refused=_refused(found, "roster"),
    )
