"""Views for individual workshops. Thin: load, authorise, call one operation, commit once,
then redirect (or, for htmx, return the notes partial).

Students: /courses/<slug>/individual-workshop (ask), /my/courses/workshops/<id> (their
request, withdraw). Admins: /admin/workshops (the queue) and /admin/workshops/<id> (notes,
close, reopen, arrange, roster)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from rec_portal.web.guards import current_person, get_workshop_request_or_404
from rec_portal import audit
from rec_portal.drafts import keeps_typing, owner_may
from rec_portal.web.access import owner_only, role_required
from rec_portal.catalogue.queries import published_course
from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.web.htmx import is_htmx
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
from rec_portal.web.forms import add_error, form_errors
from rec_portal.web.paging import Page, page_number
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




def _page(template: str, form, **context):
    """A form page: 400 when the form shows errors."""
    errors = bool(form_errors(form))
    return render_template(template, form=form, page_has_errors=errors, **context), 400 if errors else 200


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
    if form.validate_on_submit():
        try:
            made = operations.request_workshop(
                student, course, why_not_group=form.why_not_group.data, what_would_help=form.what_would_help.data,
                availability=form.availability.data, contact_method=form.contact_method.data,
                contact_detail=form.contact_detail.data,
            )
        except DomainError as error:
            db.session.rollback()
            add_error(form, error.field, error.message)
        else:
            db.session.commit()
            return redirect(url_for("workshops.sent", request_id=made.id))
    return _page("workshops/ask.html", form, course=course, email=student.email)


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
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        operations.withdraw_request(found, current_person())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("workshops.mine", request_id=found.id))
    db.session.commit()
    flash(f"Your request for an individual {found.course.title} workshop has been withdrawn.", "success")
    return redirect(url_for("bookings.my_courses"))


# --- Admins: the queue --------------------------------------------------------------------

def _status_arg() -> str:
    status = request.args.get("status", NEW)
    return status if status in WORKSHOP_STATUSES or status == "all" else NEW


@bp.route("/admin/workshops")
@role_required(ADMIN)
def queue():
    status = _status_arg()
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




def _url(found: WorkshopRequest, anchor: str = "") -> str:
    return url_for("workshops.request", request_id=found.id) + (f"#{anchor}" if anchor else "")


def _roster_context(found: WorkshopRequest) -> dict:
    """The arranged session's roster: who is on it, the gaps and who could fill each."""
    if found.session is None:
        return {"roster": None}
    from rec_portal.rosters import operations as rosters

    facts = rosters.load_facts([found.session])
    status = rosters.status_in(found.session, facts)
    gaps = [
        (role, label, n, [{"value": str(u.id), "text": u.full_name} for u in rosters.eligible_in(found.session, role, facts)])
        for role, label, n in status.missing
    ]
    return {"roster": facts.assignments.get(found.session.id, []), "roster_status": status, "gaps": gaps}


def _request_page(found: WorkshopRequest, note_form=None, status: int = 200, **extra):
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
    if form.validate_on_submit():
        try:
            operations.add_note(found, form.text.data, current_person())
        except DomainError as error:
            db.session.rollback()
            found = get_workshop_request_or_404(request_id, load=queries.request_for_staff)
            add_error(form, "text", error.message)
        else:
            db.session.commit()
            if is_htmx():
                return _notes_partial(found, NoteForm(formdata=None), message="Note added.")
            flash("Note added.", "success")
            return redirect(_url(found, "notes"))
    elif form.csrf_token.errors:
        abort(400)
    if is_htmx():
        return _notes_partial(found, form, status=400)
    return _request_page(found, note_form=form, status=400, page_has_errors=True)


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
    if form.validate_on_submit():
        try:
            operations.close_request(found, form.reason.data, current_person())
        except DomainError as error:
            db.session.rollback()
            add_error(form, "reason", error.message)
        else:
            db.session.commit()
            flash("The request is closed.", "success")
            return redirect(_url(found))
    return _page("workshops/close.html", form, req=found)


@bp.route("/admin/workshops/<int:request_id>/reopen", methods=["POST"])
@role_required(ADMIN)
def reopen(request_id: int):
    found = get_workshop_request_or_404(request_id, load=queries.request_for_staff)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        operations.reopen_request(found, current_person())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(_url(found))
    db.session.commit()
    flash("The request is open again, as new.", "success")
    return redirect(_url(found))


def _people_for(course) -> dict[str, list[User]]:
    """Active facilitators holding each role the course needs (one statement)."""
    from sqlalchemy import select

    from rec_portal.models import FacilitatorProfile
    from rec_portal.rosters.operations import person_of

    roles = {n.role for n in course.roles_needed}
    people: dict[str, list[User]] = {r: [] for r in roles}
    for profile in db.session.execute(
        select(FacilitatorProfile).where(FacilitatorProfile.active.is_(True)).options(person_of(FacilitatorProfile.user))
    ).scalars():
        if not profile.user.active:
            continue
        for role in roles & set(profile.role_codes):
            people[role].append(profile.user)
    for users in people.values():
        users.sort(key=lambda u: (u.full_name.lower(), u.id))
    return people


@bp.route("/admin/workshops/<int:request_id>/arrange", methods=["GET", "POST"])
@keeps_typing(ArrangeForm, keep_if=owner_may(ADMIN, WorkshopRequest, 'request_id'))
@role_required(ADMIN)
def arrange(request_id: int):
    found = get_workshop_request_or_404(request_id, load=queries.request_for_staff)
    if found.status != NEW:
        flash(f"This request is {found.status_label.lower()}, so it cannot be arranged.", "info")
        return redirect(_url(found))
    form = ArrangeForm.for_course(found.course, _people_for(found.course))
    if form.validate_on_submit():
        plan = operations.Arrangement(
            starts_at=form.starts_at(), ends_at=form.ends_at(), venue=form.venue.data,
            online_details=form.online_details.data, facilitators=form.facilitators(),
        )
        try:
            session = operations.arrange(found, plan, current_person())
        except DomainError as error:
            db.session.rollback()
            found = get_workshop_request_or_404(request_id, load=queries.request_for_staff)
            add_error(form, error.field, error.message)
        else:
            db.session.commit()
            from rec_portal.rosters.operations import roster_status

            status = roster_status(session)
            flash("The workshop is arranged. " + found.student.full_name + " has been sent the confirmation "
                  "and calendar file." + ("" if status.complete else f" The roster still needs: {status.missing_text}."),
                  "success")
            return redirect(_url(found, "workshop"))
    return _page("workshops/arrange.html", form, req=found)


@bp.route("/admin/workshops/<int:request_id>/assign", methods=["POST"])
@role_required(ADMIN)
def assign(request_id: int):
    found = get_workshop_request_or_404(request_id, load=queries.request_for_staff)
    form = AssignForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        flash("Choose who will cover this role.", "error")
        return redirect(_url(found, "roster"))
    role = (form.role.data or "")[:40]
    person = db.session.get(User, form.user_id.data) if 0 < (form.user_id.data or 0) <= MAX_ID else None
    try:
        operations.assign(found, person, role, current_person())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(_url(found, "roster"))
    db.session.commit()
    flash(f"{person.full_name} is on the roster as {operations.role_label(role).lower()}. They have been sent an email.",
          "success")
    return redirect(_url(found, "roster"))
