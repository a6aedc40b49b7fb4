"""Views for /admin/rosters and /admin/facilitators (thin: load, authorise, call, commit).
Every route needs the admin role."""

from __future__ import annotations

from flask import abort, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from rec_portal.web.guards import current_person, get_or_404, get_person_or_404, get_session_or_404
from rec_portal import documents
from rec_portal.drafts import keeps_typing, owner_may
from rec_portal.admin.operations import people_query
from rec_portal.web.access import role_required
from rec_portal.extensions import db
from rec_portal.web.htmx import is_htmx
from rec_portal.models import (
    CourseSession,
    FacilitatorProfile,
    RosterAssignment,
    RosterOffer,
    Unavailability,
    User,
)
from rec_portal.models.accounts import ADMIN
from rec_portal.models.courses import FACILITATOR_ROLE_LABELS
from rec_portal.rosters import bp, operations, queries
from rec_portal.rosters.forms import AssignForm, ButtonForm, ProfileForm, RangeForm
from rec_portal.web.forms import done, page, run
from rec_portal.timeutil import format_uk, uk_today, utcnow


# --- Facilitator profiles -------------------------------------------------------------------

@bp.route("/facilitators")
@role_required(ADMIN)
def facilitators():
    profiles = list(
        db.session.execute(
            select(FacilitatorProfile)
            .join(User, User.id == FacilitatorProfile.user_id)
            .options(joinedload(FacilitatorProfile.user))
            .order_by(FacilitatorProfile.active.desc(), User.full_name, User.id)
        ).scalars()
    )
    days_off: dict[int, list] = {}
    for row in db.session.execute(
        select(Unavailability)
        .join(FacilitatorProfile, FacilitatorProfile.user_id == Unavailability.user_id)
        .where(Unavailability.day >= uk_today())
        .order_by(Unavailability.day)
    ).scalars():
        days_off.setdefault(row.user_id, []).append(row)
    return render_template("rosters/facilitators.html", profiles=profiles, days_off=days_off)


@bp.route("/facilitators/new")
@role_required(ADMIN)
def facilitator_new():
    """Step 1 of adding a facilitator: find their existing account."""
    q = request.args.get("q", "").strip()[:100]
    found = list(db.session.execute(people_query(q).limit(20)).scalars()) if q else []
    return render_template("rosters/facilitator_new.html", q=q, found=found)


def _profile_page(person: User, form: ProfileForm):
    profile = person.facilitator
    days_off, places = [], []
    if profile is not None:
        days_off = list(
            db.session.execute(
                select(Unavailability)
                .where(Unavailability.user_id == person.id, Unavailability.day >= uk_today())
                .order_by(Unavailability.day)
            ).scalars()
        )
        places = operations.upcoming_places(person.id)
    return page(
        "rosters/facilitator.html", person=person, profile=profile, form=form,
        days_off=days_off, places=places, button_form=ButtonForm(),
    )


@bp.route("/facilitators/<int:user_id>", methods=["GET", "POST"])
@keeps_typing(ProfileForm, keep_if=owner_may(ADMIN, User, 'user_id'))
@role_required(ADMIN)
def facilitator(user_id: int):
    """Add (no profile yet) or change a facilitator's profile."""
    person = get_person_or_404(user_id)
    profile = person.facilitator
    if request.method in ("GET", "HEAD"):
        data = ({"organisation": profile.organisation, "roles": profile.role_codes,
                 "bio": profile.bio, "active": profile.active} if profile is not None else None)
        return _profile_page(person, ProfileForm(formdata=None, data=data))
    form = ProfileForm()
    return run(
        form,
        lambda: operations.save_profile(
            current_person(), person, organisation=form.organisation.data, roles=form.roles.data or [],
            bio=form.bio.data or "", active=bool(form.active.data),
        ),
        done=lambda saved: done(
            url_for("rosters.facilitators"),
            f"{person.full_name} is now a facilitator. You can put them on rosters.",
        ) if saved[1] else done(
            url_for("rosters.facilitator", user_id=person.id),
            f"{person.full_name}’s facilitator profile is saved.",
        ),
        page=lambda: _profile_page(person, form),
    )


def _active_words(person: User, active: bool, places: int) -> str:
    if active:
        return f"{person.full_name} is active again and can be put on rosters."
    still = (
        f" They are still on the roster of {places} upcoming "
        + ("session" if places == 1 else "sessions")
        + ": remove them on the roster page if someone else should cover."
        if places else ""
    )
    return f"{person.full_name} is inactive and will not be offered for rosters.{still}"


def _set_active(user_id: int, active: bool):
    person = get_person_or_404(user_id)
    if person.facilitator is None:
        abort(404)
    back = url_for("rosters.facilitator", user_id=person.id)
    return run(
        ButtonForm(),
        lambda: operations.set_profile_active(current_person(), person.facilitator, active),
        done=lambda places: done(back, _active_words(person, active, places)),
        refused=lambda error: done(back, error.message, category="error"),
    )


@bp.route("/facilitators/<int:user_id>/deactivate", methods=["POST"])
@role_required(ADMIN)
def facilitator_deactivate(user_id: int):
    return _set_active(user_id, False)


@bp.route("/facilitators/<int:user_id>/reactivate", methods=["POST"])
@role_required(ADMIN)
def facilitator_reactivate(user_id: int):
    return _set_active(user_id, True)


# --- The roster page --------------------------------------------------------------------------

def _filters(source=None) -> dict:
    """The roster page's filters from ``source`` (default: the query string), to keep
    them across forms and redirects."""
    source = request.args if source is None else source
    kept = {key: (source.get(key) or "")[:20] for key in ("from", "to")}
    if source.get("gaps"):
        kept["gaps"] = "1"
    return {k: v for k, v in kept.items() if v}


def _back(session_id: int | None = None) -> str:
    """The roster page with the same filters, at the session just changed (kept on the
    page even if "only sessions with gaps" would now hide it)."""
    if session_id is None:
        return url_for("rosters.index", **_filters())
    return url_for("rosters.index", **_filters(), keep=session_id) + f"#roster-session-{session_id}"


def _page(status: int = 200, *, error: dict | None = None, extra_session: CourseSession | None = None):
    form = RangeForm(request.args)
    days = form.days(uk_today())
    rosters, first, last = [], None, None
    if days is not None:
        first, last = days
        form.date_from.data = form.date_from.data or first.isoformat()
        form.date_to.data = form.date_to.data or last.isoformat()
        sessions = queries.sessions_between(first, last)
        if extra_session is not None and extra_session not in sessions:
            sessions.append(extra_session)
        rosters = queries.build_rosters(sessions)
        if form.gaps.data:
            rosters = queries.with_gaps(rosters, keep_session_id=getattr(extra_session, "id", None))
    else:
        status = 400
    errors = []
    for field in (form.date_from, form.date_to):
        if field.errors:
            errors.append({"text": field.errors[0], "href": f"#{field.id}"})
    if error:
        where = error.get("where", "")
        errors.append({"text": f"{where}: {error['message']}" if where else error["message"],
                       "href": "#" + _error_anchor(error)})
    return (
        render_template(
            "rosters/index.html", rosters=rosters, form=form, first=first, last=last,
            filters=_filters(), error=error, errors=errors, page_has_errors=bool(errors),
            gaps_count=sum(1 for r in rosters if not r.status.complete),
        ),
        status,
    )


@bp.route("/rosters")
@role_required(ADMIN)
def index():
    keep = request.args.get("keep", type=int)
    kept = db.session.get(CourseSession, keep) if keep and 0 < keep < 2**31 else None
    return _page(extra_session=kept)


def _partial(session: CourseSession, *, message: str | None = None, error: dict | None = None) -> str:
    """The session's card on the roster page (what htmx swaps in)."""
    return render_template(
        "rosters/_session.html", r=queries.session_roster(session), filters=_filters(),
        message=message, error=error,
    )


def _done(session: CourseSession, message: str):
    """After a change: the session's card again (htmx), or back to the page."""
    return done(_back(session.id), message, partial=lambda: _partial(session, message=message))


def _error_anchor(error: dict) -> str:
    """The id the session's card gives the element showing ``error`` (rosters/_session.html):
    the offer it is about, else the role's control (or the message in its place)."""
    if error.get("offer_id"):
        return f"roster-offer-{error['offer_id']}"
    return f"assign-{error['session_id']}-{error['role']}"


def _refused(session: CourseSession, role: str, message: str, *, offer_id: int | None = None):
    error = {"session_id": session.id, "role": role, "message": message, "offer_id": offer_id,
             "where": f"{session.course.title}, {format_uk(session.starts_at, with_time=False)}"}
    # The one htmx branch left: the card and the whole roster page need different things
    # loaded (one session's roster, or every roster in the range), so page(full, partial)
    # with one context would load every roster for a card.
    if is_htmx():
        return _partial(session, error=error), 400
    return _page(400, error=error, extra_session=session)


def _status_words(session: CourseSession) -> str:
    status = operations.roster_status(session)
    return " The roster is complete." if status.complete else f" Still missing: {status.missing_text}."


@bp.route("/rosters/sessions/<int:session_id>/assign", methods=["POST"])
@role_required(ADMIN)
def assign(session_id: int):
    session = get_session_or_404(session_id)
    form = AssignForm()
    role = (form.role.data or "")[:40]
    return run(
        form,
        lambda: operations.assign_chosen(session, form.user_id.data, role, current_person()),
        done=lambda assignment: _done(
            session,
            f"{assignment.user.full_name} is on the roster as {FACILITATOR_ROLE_LABELS.get(role, role).lower()}. "
            "They have been sent an email." + _status_words(session),
        ),
        page=lambda: _refused(session, role, "Choose who will cover this role"),
        refused=lambda error: _refused(session, role, error.message),
    )


@bp.route("/rosters/assignments/<int:assignment_id>/remove", methods=["POST"])
@role_required(ADMIN)
def remove(assignment_id: int):
    assignment = get_or_404(RosterAssignment, assignment_id)
    session, person, role, label = assignment.session, assignment.user, assignment.role, assignment.role_label
    return run(
        ButtonForm(),
        lambda: operations.remove_assignment(assignment, current_person()),
        done=lambda _: _done(
            session, f"{person.full_name} is no longer on the roster as {label.lower()}. "
            "They have been sent an email." + _status_words(session),
        ),
        refused=lambda error: _refused(session, role, error.message),
    )


@bp.route("/rosters/offers/<int:offer_id>/confirm", methods=["POST"])
@role_required(ADMIN)
def confirm_offer(offer_id: int):
    offer = get_or_404(RosterOffer, offer_id)
    session, person, role = offer.session, offer.user, offer.role
    return run(
        ButtonForm(),
        lambda: operations.accept_offer(offer, current_person()),
        done=lambda _: _done(
            session, f"Offer confirmed: {person.full_name} is on the roster as {offer.role_label.lower()}. "
            "They have been sent an email." + _status_words(session),
        ),
        refused=lambda error: _refused(
            session, role, f"{person.full_name}’s offer could not be confirmed: {error.message}", offer_id=offer_id,
        ),
    )


@bp.route("/rosters/offers/<int:offer_id>/decline", methods=["POST"])
@role_required(ADMIN)
def decline_offer(offer_id: int):
    offer = get_or_404(RosterOffer, offer_id)
    session, person, role = offer.session, offer.user, offer.role
    return run(
        ButtonForm(),
        lambda: operations.decline_offer(offer, current_person()),
        done=lambda _: _done(session, f"Offer declined. {person.full_name} has been sent an email."),
        refused=lambda error: _refused(session, role, error.message, offer_id=offer_id),
    )


# --- Report and PDF ---------------------------------------------------------------------------

@bp.route("/rosters/fidelity")
@role_required(ADMIN)
def fidelity():
    return render_template("rosters/fidelity.html", report=queries.fidelity_report())


@bp.route("/rosters.pdf")
@role_required(ADMIN)
def pdf():
    form = RangeForm(request.args)
    days = form.days(uk_today())
    if days is None:
        return _page(400)
    first, last = days
    rosters = queries.build_rosters(queries.sessions_between(first, last), with_choices=False)
    if form.gaps.data:
        rosters = queries.with_gaps(rosters)
    data = documents.render_pdf(
        "roster.html",
        title=f"Roster: {format_uk(first)} to {format_uk(last)}",
        rosters=rosters, first=first, last=last, made_on=utcnow(),
        gaps_only=bool(form.gaps.data),
    )
    return documents.pdf_response(data, f"roster-{first.isoformat()}-to-{last.isoformat()}.pdf")
