"""Views for data rights (thin): /my/account/data and /my/account/delete."""

from __future__ import annotations

import json

from flask import make_response, render_template, url_for
from flask_login import current_user

from rec_portal import documents
from rec_portal.auth.operations import sessions
from rec_portal.passwords import verify_password
from rec_portal.web.access import login_required, public
from rec_portal.web.ratelimit import limit
from rec_portal.data_rights import bp, operations
from rec_portal.data_rights.forms import DeleteAccountForm
from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.models.safety import SECTIONS
from rec_portal.web.forms import add_error, done, page, run
from rec_portal.web.guards import current_person


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


@bp.route("/data.pdf")
@login_required
def my_data_pdf():
    user = current_user._get_current_object()
    data = operations.collect(user)
    pdf = documents.render_pdf(
        "my_data.html", title="Everything the REC holds about you", data=data,
        safety_sections=SECTIONS,
    )
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
