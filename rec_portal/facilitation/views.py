"""Views for /facilitate: a facilitator's sessions, bio, availability, offers to cover,
class lists and attendance registers. Thin: load, authorise, call one operation, commit.

Everything is about the signed-in facilitator. Class lists, registers and sign-in sheets
are for the facilitators rostered on that session, and for admins (any session); anyone
else gets "not found"."""

from __future__ import annotations

import re

from flask import abort, render_template, request, url_for
from flask_login import current_user

from rec_portal.web.guards import (
    current_person,
    get_date_or_404,
    get_or_404,
    get_rostered_session_or_404,
    get_session_or_404,
    is_rostered,
)
from rec_portal import audit, documents
from rec_portal.drafts import keeps_typing, owner_may
from rec_portal.attendance import operations as attendance
from rec_portal.attendance import queries as attendance_queries
from rec_portal.class_messages import queries as class_messages
from rec_portal.web.access import owner_only, role_required
from rec_portal.extensions import db
from rec_portal.facilitation import bp, operations, queries
from rec_portal.facilitation.forms import (
    BioForm,
    ButtonForm,
    OfferForm,
    RegisterForm,
    UnavailableForm,
)
from rec_portal.models import (
    Booking,
    FacilitatorProfile,
    RosterOffer,
    Unavailability,
)
from rec_portal.models.accounts import ADMIN, FACILITATOR
from rec_portal.web.forms import done, page, run
from rec_portal.timeutil import format_uk, uk_today, utcnow




# --- Access ------------------------------------------------------------------------------

# Facilitators and admins. Signed out: go to sign in. Anyone else: a 403 page.
staff_required = role_required(FACILITATOR, ADMIN)






# --- My sessions -------------------------------------------------------------------------

@bp.route("")
@role_required(FACILITATOR)
def index():
    upcoming, past = queries.my_sessions(current_user.id)
    from rec_portal.feedback.operations import reflection_states

    return render_template(
        "facilitation/index.html",
        upcoming=upcoming,
        past=past,
        reflections=reflection_states(current_user.id, [c.session for c in upcoming + past]),
        profile=db.session.get(FacilitatorProfile, current_user.id),
        offers=len(queries.pending_offers(current_user.id)),
        now=utcnow(),
    )


# --- Bio -------------------------------------------------------------------------------

@bp.route("/profile", methods=["GET", "POST"])
@keeps_typing(BioForm, keep_if=owner_may(FACILITATOR))
@role_required(FACILITATOR)
def profile():
    me = current_person()
    found = db.session.get(FacilitatorProfile, me.id)
    back = url_for("facilitation.profile")
    if request.method in ("GET", "HEAD"):
        return page("facilitation/profile.html", profile=found, form=BioForm(obj=found))
    if found is None:
        return done(back, "Your facilitator profile has not been set up yet, so there is no bio to save.",
                    category="error")
    form = BioForm()
    return run(
        form,
        lambda: operations.update_bio(me, form.bio.data),
        done=lambda _: done(back, "Your bio is saved."),
        page=lambda: page("facilitation/profile.html", profile=found, form=form),
    )


# --- Days I cannot work -----------------------------------------------------------------

def _availability_page(form: UnavailableForm):
    upcoming, earlier = queries.my_days_off(current_user.id, uk_today())
    return page(
        "facilitation/availability.html", form=form, upcoming=upcoming, earlier=earlier,
        remove_form=ButtonForm(),
    )


def _day_saved(row: Unavailability) -> str:
    message = f"You cannot work on {format_uk(row.day)}: this is saved."
    clashes = queries.rostered_days(row.user_id, [row.day]).get(row.day, [])
    if clashes:
        titles = ", ".join(s.course.title for s in clashes)
        message += (f" You are on the roster for {titles} that day. Please tell the "
                    "REC team so they can find someone to cover.")
    return message


@bp.route("/availability", methods=["GET", "POST"])
@keeps_typing(UnavailableForm, keep_if=owner_may(FACILITATOR))
@role_required(FACILITATOR)
def availability():
    form = UnavailableForm()
    if request.method in ("GET", "HEAD"):
        return _availability_page(form)
    return run(
        form,
        lambda: operations.add_unavailable_day(current_person(), form.date.data, form.note.data),
        done=lambda row: done(url_for("facilitation.availability"), _day_saved(row)),
        page=lambda: _availability_page(form),
    )


@bp.route("/availability/<int:day_id>/remove", methods=["POST"])
@owner_only("unavailable day")
@role_required(FACILITATOR)
def remove_day(day_id: int):
    row = get_or_404(Unavailability, day_id)
    if row.user_id != current_user.id:
        abort(404)
    return run(
        ButtonForm(),
        lambda: operations.remove_unavailable_day(current_person(), row),
        done=lambda day: done(url_for("facilitation.availability"),
                              f"{format_uk(day)} is removed. You are shown as available that day."),
    )


# --- Open roles and offers --------------------------------------------------------------

@bp.route("/open-roles")
@role_required(FACILITATOR)
def open_roles():
    me = current_person()
    return render_template(
        "facilitation/open_roles.html",
        profile=db.session.get(FacilitatorProfile, me.id),
        roles=queries.open_roles_for(me),
        offers=queries.pending_offers(me.id),
        button_form=ButtonForm(),
    )


def _offer_sent(offer: RosterOffer) -> str:
    session = offer.session
    return (
        f"Thank you. Your offer to cover {session.course.title} on "
        f"{format_uk(session.starts_at, with_time=False)} has been sent to the REC team. "
        "We will email you when they have answered."
    )


@bp.route("/open-roles", methods=["POST"])
@role_required(FACILITATOR)
def offer():
    from rec_portal.rosters.operations import offer_to_cover

    form = OfferForm()
    back = url_for("facilitation.open_roles")
    return run(
        form,
        # The form (and its role) is checked first: a bad one is 400, before a missing session's 404.
        lambda: offer_to_cover(get_session_or_404(form.session_id.data), current_person(), form.role.data),
        done=lambda made: done(back, _offer_sent(made)),
        refused=lambda error: done(back, error.message, category="error"),
    )


@bp.route("/offers/<int:offer_id>/withdraw", methods=["POST"])
@owner_only("roster offer")
@role_required(FACILITATOR)
def withdraw_offer(offer_id: int):
    found = get_or_404(RosterOffer, offer_id)
    if found.user_id != current_user.id:
        abort(404)
    back = url_for("facilitation.open_roles")
    return run(
        ButtonForm(),
        lambda: operations.withdraw_offer(found, current_person()),
        done=lambda _: done(back, f"Your offer to cover {found.session.course.title} is withdrawn."),
        refused=lambda error: done(back, error.message, category="error"),
    )


# --- Class list ---------------------------------------------------------------------------

@bp.route("/sessions/<int:session_id>")
@owner_only("session")
@staff_required
def class_list(session_id: int):
    session = get_rostered_session_or_404(session_id, current_person(), admins_too=True)
    people = queries.class_list(session)
    roster = queries.roster_of([session.id]).get(session.id, [])
    summary = attendance_queries.attendance_summary(session)
    shown = render_template(
        "facilitation/class_list.html", session=session, people=people, roster=roster,
        summary=summary, now=utcnow(), class_messages=class_messages.messages_sent(session.id),
        message_url=url_for("class_messages.facilitator_message", session_id=session.id)
        if current_user.has_role(FACILITATOR) and is_rostered(current_user.id, session.id)
        else url_for("class_messages.admin_message", session_id=session.id),
    )
    # Rendered first, then recorded (see scheduling.session_bookings): a commit before
    # rendering would expire the list and reload each person one by one.
    audit.record(audit.BOOKINGS_VIEWED, actor=current_user, detail=f"session {session.id}")
    db.session.commit()
    return shown


# --- Register -----------------------------------------------------------------------------

MARK_FIELD = re.compile(r"booking-(\d{1,10})")


def _register_page(session, session_date, *, chosen=None, errors=None, status=200):
    rows = attendance_queries.register_rows(session_date)
    return render_template(
        "facilitation/register.html",
        session=session,
        session_date=session_date,
        rows=rows,
        count=attendance_queries.count_rows(rows),
        register_open=attendance.register_is_open(session_date),
        opens_message=attendance.register_opens_message(session_date),
        form=RegisterForm(),
        chosen=chosen or {},
        errors=errors or {},
        page_has_errors=bool(errors),
    ), status


@bp.route("/sessions/<int:session_id>/dates/<int:date_id>/register")
@owner_only("session")
@staff_required
def register(session_id: int, date_id: int):
    session = get_rostered_session_or_404(session_id, current_person(), admins_too=True)
    session_date = get_date_or_404(session, date_id)
    shown = _register_page(session, session_date)
    # Rendered first, then recorded (as the class list): a commit before rendering would
    # expire what is loaded and load it all again.
    audit.record(audit.BOOKINGS_VIEWED, actor=current_user,
                 detail=f"session {session.id} register date {session_date.id}")
    db.session.commit()
    return shown


@bp.route("/sessions/<int:session_id>/dates/<int:date_id>/register", methods=["POST"])
@owner_only("session")
@staff_required
def save_register(session_id: int, date_id: int):
    """The whole register at once (the form without JavaScript)."""
    session = get_rostered_session_or_404(session_id, current_person(), admins_too=True)
    session_date = get_date_or_404(session, date_id)
    chosen = {
        int(match[1]): value
        for key, value in request.form.items()
        if (match := MARK_FIELD.fullmatch(key)) and int(match[1]) < 2**31
    }

    def saved(completed: bool):
        count = attendance_queries.count_rows(attendance_queries.register_rows(session_date))
        message = f"The register is saved: {count.words()}."
        if completed:
            message += " Everyone is marked for the last date, so the session is now completed."
        return done(url_for("facilitation.register", session_id=session.id, date_id=session_date.id), message)

    return run(
        RegisterForm(),
        lambda: attendance.record_register(session, session_date, chosen, current_person()),
        done=saved,
        refused=lambda error: _register_page(session, session_date, chosen=chosen, errors=error.errors, status=400),
    )


@bp.route("/sessions/<int:session_id>/dates/<int:date_id>/register/<int:booking_id>", methods=["POST"])
@owner_only("session")
@staff_required
def mark(session_id: int, date_id: int, booking_id: int):
    """One person's mark (htmx: the row and the running count are returned)."""
    session = get_rostered_session_or_404(session_id, current_person(), admins_too=True)
    session_date = get_date_or_404(session, date_id)
    booking = get_or_404(Booking, booking_id)
    if booking.session_id != session.id:
        abort(404)
    status = request.form.get(f"booking-{booking.id}", "")
    back = url_for("facilitation.register", session_id=session.id, date_id=session_date.id)

    def answer(error: str | None, completed: bool = False):
        rows = attendance_queries.register_rows(session_date)
        row = next((r for r in rows if r.booking.id == booking.id),
                   attendance_queries.RegisterRow(booking, None, booking.student.display_name))

        def row_partial():
            return render_template(
                "facilitation/_register_row.html",
                session=session, session_date=session_date, row=row,
                error=error,  # the row shows the mark that is stored (a refused one changed nothing)
                saved=not error, focus=True, register_open=attendance.register_is_open(session_date),
                count=attendance_queries.count_rows(rows), oob_count=True,
            ), (400 if error else 200)

        if error:
            return done(back, error, category="error", partial=row_partial)
        return done(back, f"{row.name} is marked {status}." + (" The session is now completed." if completed else ""),
                    partial=row_partial)

    return run(
        RegisterForm(),
        lambda: attendance.mark_one(session, session_date, booking, status, current_person()),
        done=lambda completed: answer(None, completed),
        refused=lambda error: answer(error.message),
    )


@bp.route("/sessions/<int:session_id>/dates/<int:date_id>/sign-in-sheet.pdf")
@owner_only("session")
@staff_required
def sign_in_sheet(session_id: int, date_id: int):
    session = get_rostered_session_or_404(session_id, current_person(), admins_too=True)
    session_date = get_date_or_404(session, date_id)
    rows = attendance_queries.register_rows(session_date)
    roster = queries.roster_of([session.id]).get(session.id, [])
    data = documents.render_pdf(
        "sign_in_sheet.html",
        title=f"Sign-in sheet: {session.course.title}",
        session=session, session_date=session_date, rows=rows, roster=roster,
    )
    audit.record(audit.EXPORTED, actor=current_user,
                 detail=f"sign-in sheet: session {session.id} date {session_date.id}")
    db.session.commit()
    return documents.pdf_response(data, f"sign-in-sheet-{format_uk(session_date.starts_at, with_time=False).replace(' ', '-').lower()}.pdf")
