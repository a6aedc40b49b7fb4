"""Views for /my/account."""

from __future__ import annotations

from flask import current_app, render_template, request, url_for
from flask_login import current_user

from rec_portal.drafts import keeps_typing
from rec_portal.account import bp
from rec_portal.account import operations as settings
from rec_portal.account.forms import (
    AboutYouForm,
    CalendarForm,
    ChangePasswordForm,
    DetailsForm,
    SupportForm,
)
from rec_portal.auth import operations
from rec_portal.support_requests.queries import my_requests_of
from rec_portal.web.access import login_required
from rec_portal.web.ratelimit import limit
from rec_portal.models.students import PROFILE_FIELDS
from rec_portal.web.forms import done, page, run
from rec_portal.web.guards import current_person


@bp.route("")
@login_required
def index():
    from rec_portal.notifications.outbox import undelivered_since

    return render_template("account/index.html", user=current_user,
                           undelivered=undelivered_since(current_user),
                           my_requests=my_requests_of(current_user.id))


@bp.route("/details", methods=["GET", "POST"])
@keeps_typing(DetailsForm)
@login_required
@limit("REC_LIMIT_ACCOUNT_CHANGES")
def details():
    user = current_person()
    form = DetailsForm(obj=user if request.method in ("GET", "HEAD") else None)
    return run(
        form,
        lambda: operations.update_details(
            user,
            full_name=form.full_name.data,
            preferred_name=form.preferred_name.data,
            email=form.email.data,
            current_password=form.current_password.data or "",
        ),
        done=lambda changed: done(url_for("account.index"),
                                  "Your details have been saved." if changed else "Nothing was changed."),
        page=lambda: page("account/details.html", form=form),
    )


@bp.route("/password", methods=["GET", "POST"])
@login_required
@limit("REC_LIMIT_ACCOUNT_CHANGES")
def password():
    user = current_person()
    form = ChangePasswordForm(account_email=user.email)
    return run(
        form,
        lambda: operations.change_password(user, form.current_password.data, form.password.data),
        done=lambda _: done(url_for("account.index"),
                            "Your password has been changed. Any other devices have been signed out."),
        page=lambda: page("account/password.html", form=form),
    )


@bp.route("/calendar", methods=["GET", "POST"])
@login_required
def calendar():
    user = current_person()
    if request.method == "POST":
        form = CalendarForm()
    else:
        form = CalendarForm(data={"show_course_titles": "yes" if user.show_course_titles else "no"})

    def change() -> str:
        action = request.form.get("action")
        if action == "new-link":
            settings.new_calendar_link(user)
            return "Your new calendar link is ready. Any old link has stopped working."
        if action == "stop-link":
            settings.stop_calendar_link(user)
            return "Your calendar link has stopped working."
        settings.set_show_course_titles(user, form.show_course_titles.data == "yes")
        return "Saved."

    return run(
        form,
        change,
        done=lambda message: done(url_for("account.calendar"), message),
        page=lambda: page("account/calendar.html", form=form, feed_url=_feed_url(user)),
    )


def _feed_url(user) -> str | None:
    if not user.calendar_token:
        return None
    return current_app.config["REC_BASE_URL"] + url_for("bookings.calendar_feed", token=user.calendar_token)


def _profile_data(user) -> dict:
    profile = user.profile
    return {name: getattr(profile, name) if profile else "" for name in PROFILE_FIELDS}


@bp.route("/support", methods=["GET", "POST"])
@keeps_typing(SupportForm)
@login_required
@limit("REC_LIMIT_ACCOUNT_CHANGES")
def support():
    """Phone, how to contact them, what would help them take part."""
    user = current_person()
    data = _profile_data(user)
    data["contact_preference"] = data["contact_preference"] or "email"
    form = SupportForm(data=data) if request.method in ("GET", "HEAD") else SupportForm()
    return run(
        form,
        lambda: settings.update_support_details(
            user, phone=form.phone.data, access_needs=form.access_needs.data,
            contact_preference=form.contact_preference.data, postal_address=form.postal_address.data,
        ),
        done=lambda _: done(url_for("account.index"), "Your contact and support details have been saved."),
        page=lambda: page("account/support.html", form=form),
    )


@bp.route("/about", methods=["GET", "POST"])
@keeps_typing(AboutYouForm)
@login_required
@limit("REC_LIMIT_ACCOUNT_CHANGES")
def about():
    """Pronouns, relationship to services, team, how they heard about the REC."""
    user = current_person()
    form = AboutYouForm(data=_profile_data(user)) if request.method in ("GET", "HEAD") else AboutYouForm()
    return run(
        form,
        lambda: settings.update_profile(
            user, **{name: form[name].data or "" for name in
                     ("pronouns", "relationship_to_services", "team", "referral_source", "referral_detail")}
        ),
        done=lambda _: done(url_for("account.index"), "Your details have been saved."),
        page=lambda: page("account/about.html", form=form),
    )
