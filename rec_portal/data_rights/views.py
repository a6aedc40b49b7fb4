"""Views for data rights (thin): /my/account/data and /my/account/delete."""

from __future__ import annotations

import json

from flask import make_response, render_template, request, url_for
from flask_login import current_user

from rec_portal import documents
from rec_portal.auth.operations import sessions
from rec_portal.passwords import verify_password
from rec_portal.models.accounts import ADMIN
from rec_portal.web.access import login_required, public, role_required
from rec_portal.web.ratelimit import limit
from rec_portal.data_rights import bp, operations, staff_bp
from rec_portal.data_rights.forms import ConfirmForm, DeleteAccountForm
from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.models.safety import SECTIONS
from rec_portal.web.forms import add_error, done, page, run
from rec_portal.web.guards import current_person, get_person_or_404


@bp.route("/data")
@login_required
def my_data():
    return render_template("data_rights/my_data.html", pdf_ok=documents.pdf_available())


@bp.route("/data.json")
@login_required
def my_data_json():
    user = current_user._get_current_object()
    data = operations.collect(user)
    operations.record_download(user, "json")
    db.session.commit()
    response = make_response(json.dumps(data, indent=2, ensure_ascii=False))
    response.headers["Content-Type"] = "application/json; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="my-rec-data.json"'
    return response


def _data_pdf(data: dict) -> bytes:
    return documents.render_pdf(
        "my_data.html", title="Everything the REC holds about you", data=data,
        safety_sections=SECTIONS,
    )


@bp.route("/data.pdf")
@login_required
def my_data_pdf():
    user = current_user._get_current_object()
    data = operations.collect(user)
    pdf = _data_pdf(data)
    operations.record_download(user, "pdf")
    db.session.commit()
    return documents.pdf_response(pdf, "my-rec-data.pdf")


@bp.route("/delete", methods=["GET", "POST"])
@login_required
@limit("REC_LIMIT_ACCOUNT_CHANGES")
def delete_account():
    user = current_person()
    form = DeleteAccountForm()

    def delete():
        if not verify_password(user.password_hash, form.password.data):
            raise DomainError(WRONG_PASSWORD, field="password")
        operations.delete_account(user)
        sessions.end_current_session("account deleted")

    return run(
        form,
        delete,
        done=lambda _: done(url_for("data_rights.deleted")),
        page=lambda: _delete_page(form, user),
    )


WRONG_PASSWORD = "Your password is not correct"


def _delete_page(form: DeleteAccountForm, user):
    # A wrong password shows beside the other problems too (the box not ticked).
    if (WRONG_PASSWORD not in form.password.errors and form.is_submitted() and form.password.data
            and not verify_password(user.password_hash, form.password.data)):
        add_error(form, "password", WRONG_PASSWORD)
    return page("data_rights/delete.html", form=form)


@bp.route("/deleted")
@public
def deleted():
    return render_template("data_rights/deleted.html")


# --- By an admin, for a person without an online account -----------------------------------


def _person_url(person) -> str:
    return url_for("admin.person", person_id=person.id)


@staff_bp.route("/<int:person_id>/data.pdf")
@role_required(ADMIN)
def person_data_pdf(person_id: int):
    """The person's own "download my data" PDF, printed by staff for someone who cannot
    sign in. Never cached; audited."""
    person = get_person_or_404(person_id)
    try:
        data = operations.data_for_staff(current_person(), person)
    except DomainError as error:
        return done(_person_url(person), error.message + ".", category="error")
    pdf = _data_pdf(data)
    db.session.commit()
    return documents.pdf_response(pdf, f"rec-data-{person.student_number}.pdf")


@staff_bp.route("/<int:person_id>/delete", methods=["GET", "POST"])
@role_required(ADMIN)
def person_delete(person_id: int):
    """Delete the record of a person without an online account, at their request."""
    person = get_person_or_404(person_id)
    name = person.full_name
    form = ConfirmForm()
    if request.method == "GET" and (reason := operations.why_staff_cannot_delete(person)):
        return done(_person_url(person), reason + ".", category="error")  # no page to refuse on
    return run(
        form,
        lambda: operations.delete_for_staff(current_person(), person),
        done=lambda _: done(_person_url(person), f"{name}’s record has been deleted. Nothing "
                                                 "personal about them is kept, except any open request "
                                                 "for help or safety concern, which the support lead "
                                                 "keeps until it is closed."),
        page=lambda: page("data_rights/person_delete.html", person=person, form=form),
        refused=lambda error: done(_person_url(person), error.message + ".", category="error"),
    )
