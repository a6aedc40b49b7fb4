"""Views for referrals. Thin: parse, call one operation through ``run`` (one commit), then
redirect or render.

Public: /refer (the form), /refer/sent (what happens next). Admins: /admin/referrals (the
queue), /admin/referrals/<id> (everything, audited), and its outcome, create-record and
link actions."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, session, url_for

from rec_portal import audit
from rec_portal.admin import operations as people
from rec_portal.drafts import keeps_typing, owner_may
from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.ids import MAX_ID
from rec_portal.models import User
from rec_portal.models.accounts import ADMIN
from rec_portal.models.referrals import ENROLLED, NEW, ORG_TYPES, STATUSES, Referral
from rec_portal.models.students import CONTACT_PREFERENCES, EMAIL
from rec_portal.referrals import bp, operations, queries
from rec_portal.referrals.forms import CreateRecordForm, LinkForm, OutcomeForm, ReferForm
from rec_portal.web.access import public, role_required
from rec_portal.web.forms import add_error, done, page, run
from rec_portal.web.guards import current_person, get_or_404
from rec_portal.web.htmx import hx_redirect, is_htmx
from rec_portal.web.paging import Page, page_number, status_filter
from rec_portal.web.ratelimit import limit

PER_PAGE = 25
SENT_KEY = "referral_reference"


# --- Public: refer someone ---------------------------------------------------------------------


@bp.route("/refer", methods=["GET", "POST"])
@public
@limit("REC_LIMIT_REFERRAL")
def refer():
    form = ReferForm()

    def sent(referral: Referral):
        session[SENT_KEY] = referral.reference  # shown once on the next page
        return done(url_for("referrals.sent"), partial=lambda: hx_redirect(url_for("referrals.sent")))

    return run(
        form,
        lambda: operations.submit_referral(form.details()),
        done=sent,
        page=lambda: page("referrals/refer.html", "referrals/_refer_form.html", form=form),
    )


@bp.route("/refer/sent")
@public
def sent():
    return render_template(
        "referrals/sent.html", reference=session.pop(SENT_KEY, None),
        days=current_app.config["REC_REFERRAL_CONTACT_DAYS"],
    )


# --- Admins: the queue ------------------------------------------------------------------------


@bp.route("/admin/referrals")
@role_required(ADMIN)
def queue():
    status = status_filter(STATUSES, NEW)
    counts = queries.status_counts()
    number = page_number()
    found = queries.queue_page(status, page=number, per_page=PER_PAGE)
    listing = Page(items=found, page=number, per_page=PER_PAGE, total=counts[status])
    html = render_template("referrals/queue.html", page=listing, counts=counts, status=status,
                           labels=STATUSES, oldest_first=status in queries.TO_DO,
                           preferences=CONTACT_PREFERENCES)
    # Rendered first: committing expires what the page reads.
    audit.record(audit.REFERRALS_VIEWED, actor=current_person(),
                 detail=f"referrals {status} page {number}: " + ",".join(str(r.id) for r in found))
    db.session.commit()
    return html


# --- Admins: one referral ---------------------------------------------------------------------


def _load(referral_id: int) -> Referral:
    return get_or_404(Referral, referral_id, load=queries.referral)


def _url(referral: Referral, anchor: str = "") -> str:
    return url_for("referrals.show", referral_id=referral.id) + (f"#{anchor}" if anchor else "")


def _referral_page(referral: Referral, outcome_form: OutcomeForm | None = None, status: int = 200):
    """The referral page; showing it is audited (a read of the person's details)."""
    html = render_template(
        "referrals/referral.html", referral=referral, org_types=ORG_TYPES,
        preferences=CONTACT_PREFERENCES, outcome_form=outcome_form or OutcomeForm(formdata=None),
        matches=[] if referral.status == ENROLLED else operations.possible_matches(referral),
        link_form=LinkForm(formdata=None), page_has_errors=status == 400,
    )
    audit.record(audit.REFERRAL_VIEWED, actor=current_person(), subject=referral.student,
                 detail=f"referral {referral.id}")
    db.session.commit()
    return html, status


@bp.route("/admin/referrals/<int:referral_id>")
@role_required(ADMIN)
def show(referral_id: int):
    return _referral_page(_load(referral_id))


@bp.route("/admin/referrals/<int:referral_id>/outcome", methods=["GET", "POST"])
@keeps_typing(OutcomeForm, keep_if=owner_may(ADMIN, Referral, "referral_id"))
@role_required(ADMIN)
def outcome(referral_id: int):
    referral = _load(referral_id)
    if request.method in ("GET", "HEAD"):  # e.g. after signing in again: the form is on the referral page
        return redirect(_url(referral, "outcome"))
    form = OutcomeForm()

    def again():
        shown = _load(referral_id)
        if is_htmx():
            return render_template("referrals/_outcome.html", referral=shown, outcome_form=form), 400
        return _referral_page(shown, outcome_form=form, status=400)

    return run(
        form,
        lambda: operations.record_outcome(referral, current_person(), form.status.data, form.note.data or ""),
        done=lambda saved: done(
            _url(saved, "outcome"), _saved_message(saved),
            partial=lambda: render_template("referrals/_outcome.html", referral=saved,
                                            outcome_form=OutcomeForm(formdata=None),
                                            outcome_message=_saved_message(saved))),
        page=again,
    )


def _saved_message(referral: Referral) -> str:
    return f"Saved: the referral is now “{referral.status_label}”."


def _prefilled(referral: Referral) -> CreateRecordForm:
    preference = referral.person_contact_preference
    return CreateRecordForm(data={
        "full_name": referral.person_name, "phone": referral.person_phone, "email": referral.person_email,
        "contact_preference": preference if preference in CONTACT_PREFERENCES else "phone",
        "postal_address": referral.person_postal_address,
        "invite": preference == EMAIL and bool(referral.person_email),
    })


@bp.route("/admin/referrals/<int:referral_id>/record", methods=["GET", "POST"])
@keeps_typing(CreateRecordForm, keep_if=owner_may(ADMIN, Referral, "referral_id"))
@role_required(ADMIN)
def create_record(referral_id: int):
    referral = _load(referral_id)
    if referral.status == ENROLLED:
        return done(_url(referral), "This referral is already linked to a student record.", category="info")
    form = CreateRecordForm() if request.method == "POST" else _prefilled(referral)
    duplicates: list[User] = []

    def show():
        shown = _load(referral_id)
        # Only the referral's own possible matches may be linked (``link_to_student``); the
        # details staff typed may find others.
        linkable = {m.id for m in operations.possible_matches(shown)} if duplicates else set()
        return page("referrals/create_record.html", form=form, referral=shown, duplicates=duplicates,
                    linkable=linkable, link_form=LinkForm(formdata=None))

    def refused(error: DomainError):
        if isinstance(error, people.PossibleDuplicate):
            duplicates.extend(error.matches)
        add_error(form, error.field, error.message)
        return show()

    def created(enrolled: operations.Enrolled):
        person = enrolled.student
        message = (f"{person.full_name}’s record is created ({person.student_number}) and the referral is "
                   "enrolled.")
        if enrolled.invitation is not None:
            message += f" An invitation to set up an online account has been sent to {enrolled.invitation.email}."
        else:
            message += " They have no online account: the REC contacts them the way they chose."
        return done(_url(referral), message)

    return run(
        form,
        lambda: operations.create_record(
            referral, current_person(), form.details(), consent_way=form.consent_way.data or "",
            consent_other=form.consent_other.data or "", not_duplicate=bool(form.not_duplicate.data),
            invite=bool(form.invite.data),
        ),
        done=created,
        page=show,
        refused=refused,
    )


@bp.route("/admin/referrals/<int:referral_id>/link", methods=["POST"])
@role_required(ADMIN)
def link(referral_id: int):
    referral = _load(referral_id)
    form = LinkForm()

    def linked():
        raw = form.student_id.data or 0
        student = db.session.get(User, raw) if 0 < raw <= MAX_ID else None
        return operations.link_to_student(referral, current_person(), student)

    return run(
        form,
        linked,
        done=lambda student: done(_url(referral), f"The referral is linked to {student.full_name}’s record "
                                                  f"({student.student_number}) and is enrolled."),
        page=lambda: done(_url(referral), operations.CHOOSE_LISTED, category="error"),
        refused=lambda error: done(_url(referral), error.message, category="error"),
    )

