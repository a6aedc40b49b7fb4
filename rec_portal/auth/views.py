"""Views for /login, /logout, /register and forgotten passwords. Thin: parse, call, commit."""

from __future__ import annotations

from flask import current_app, flash, g, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from rec_portal.aftercommit import commit_record_only
from rec_portal.auth import bp, operations
from rec_portal.web.access import login_required, public
from rec_portal.auth.forms import (
    ClaimAccountForm,
    ConfirmSignupForm,
    ForgotPasswordForm,
    LoginForm,
    RegisterForm,
    ResetPasswordForm,
)
from rec_portal.errors import DomainError
from rec_portal.extensions import csrf, db
from rec_portal.models.students import PROFILE_FIELDS
from rec_portal.notifications.outbox import queue_email
from rec_portal.security import safe_next
from rec_portal.web.ratelimit import limit
from rec_portal.web.forms import add_error, done, page, run


def _email_sent(response) -> bool:
    """Count an enrolment against its email address only once it has sent that address an
    email (a form sent back with mistakes sends nothing)."""
    return response.status_code == 302


def _not_signed_in(response) -> bool:
    """Count an attempt to sign in against the connection's limit only if it did not sign
    anyone in: a class on a venue's shared wifi all sign in from one address."""
    return not g.get("signed_in")


def _email_key() -> str:
    return "email:" + operations.normalise_email(request.form.get("email", ""))[:254]


@bp.route("/login", methods=["GET", "POST"])
@public
# Failures count at once; since a failure is only counted once it has been answered, a
# ceiling that counts every attempt bounds what sending many at the same time could add.
@limit("REC_LIMIT_LOGIN_CEILING")
@limit("REC_LIMIT_LOGIN", deduct_when=_not_signed_in)
@limit("REC_LIMIT_LOGIN_PER_EMAIL", key_func=_email_key)
def login():
    next_url = safe_next(request.args.get("next"), default="")
    if current_user.is_authenticated and request.method in ("GET", "HEAD"):
        return redirect(next_url or url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        # Not run(): a refusal here is not rolled back but committed, to keep the audit
        # record of the failed sign-in (nothing else was saved).
        try:
            user = operations.authenticate(form.email.data, form.password.data)
        except DomainError as error:
            commit_record_only()
            add_error(form, error.field, error.message)
        else:
            operations.sign_in(user)
            db.session.commit()
            g.signed_in = True
            return done(next_url or url_for("home.index"), f"You are signed in as {user.display_name}.")
    return page("auth/login.html", form=form, next_url=next_url)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    operations.sign_out(current_user._get_current_object())
    db.session.commit()
    flash("You have signed out.", "success")
    return redirect(url_for("home.index"))


def _sent_from_this_site() -> bool:
    """Whether the browser says the request came from one of this site's own pages:
    ``Sec-Fetch-Site: same-origin``, or failing that an ``Origin`` header naming this site."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    origin = request.headers.get("Origin")
    return origin is not None and origin.rstrip("/") == request.host_url.rstrip("/")


@bp.route("/quick-exit", methods=["POST"])
@public
@csrf.exempt  # checked below: a refused token must still send the person away
def quick_exit():
    """"Leave this page quickly": end the signed-in session on the server, exactly like
    signing out, then send the person to the neutral site (REC_QUICK_EXIT_URL).

    Without JavaScript this is an ordinary form post, answered with a 303 to the neutral
    site. With JavaScript, app.js sends the same form with ``navigator.sendBeacon`` (it
    survives the page unloading; ``via=beacon`` gets an empty 204) and replaces the page
    in the history itself. The CSRF token (or, for a page left open with a stale one, the
    browser's own same-origin headers) is needed to end the session, so no other site can
    sign anyone out; without either nothing changes, but the person is still sent away (a
    safety exit never stops at an error page). Signed-out visitors (the support
    guide) are just sent away. Recorded like a sign-out, so no record says a quick exit
    was used."""
    try:
        csrf.protect()  # the same check as every other form (token, and referrer on HTTPS)
    except CSRFError:
        # A page left open for long (or from before signing in again in another tab) holds a
        # stale token: the browser's own word that the form came from this site's page
        # (headers no other site's page can set) is enough to sign out.
        token_ok = _sent_from_this_site()
    else:
        token_ok = True
    if token_ok and current_user.is_authenticated:
        operations.sign_out(current_user._get_current_object())
        db.session.commit()
    if request.form.get("via") == "beacon":
        response = make_response("", 204)
    else:
        response = redirect(current_app.config["REC_QUICK_EXIT_URL"], code=303)
    # Also drop this site's pages from the browser's caches (HTTP and back/forward).
    response.headers["Clear-Site-Data"] = '"cache"'
    return response


@bp.route("/register", methods=["GET", "POST"])
@public
@limit("REC_LIMIT_REGISTER")
@limit("REC_LIMIT_REGISTER_PER_EMAIL", key_func=_email_key, deduct_when=_email_sent)
def register():
    if current_user.is_authenticated:
        flash("You already have an account and are signed in.", "info")
        return redirect(url_for("home.index"))
    form = RegisterForm()
    return run(
        form,
        lambda: operations.start_signup(
            full_name=form.full_name.data,
            preferred_name=form.preferred_name.data,
            email=form.email.data,
            password=form.password.data,
            profile={name: form[name].data for name in PROFILE_FIELDS},
        ),
        # The same page follows whether or not the address has an account already.
        done=lambda _: done(url_for("auth.register_sent")),
        page=lambda: page("auth/register.html", form=form),
    )


@bp.route("/register/check-your-email")
@public
def register_sent():
    hours = current_app.config["REC_SIGNUP_CONFIRM_HOURS"]
    return render_template("auth/register_sent.html", minutes=hours * 60)


@bp.route("/register/confirm/<token>", methods=["GET", "POST"])
@public
@limit("REC_LIMIT_REGISTER")
def confirm_signup(token: str):
    """The link in the email. Opening it changes nothing (mail scanners open links); the
    button makes the account, signs the person in and carries on with enrolment."""
    if operations.find_pending_signup(token) is None:
        return render_template("auth/signup_link_invalid.html"), 410
    form = ConfirmSignupForm()
    show = lambda: page("auth/confirm_signup.html", form=form, token=token)  # noqa: E731

    def confirm():
        user = operations.confirm_signup(token, form.password.data)
        queue_email(
            to=user.email,
            user=user,
            subject="Welcome to the Recovery Education Centre",
            body=render_template("emails/welcome.txt", user=user),
        )
        operations.sign_in(user)

    def refused(error: DomainError):
        if isinstance(error, operations.EmailTaken):
            return done(url_for("auth.login"), error.message + ".", category="info")
        if error.field != "password":
            return render_template("auth/signup_link_invalid.html"), 410
        add_error(form, error.field, error.message)
        return show()

    return run(
        form,
        confirm,
        done=lambda _: done(
            # The home page's next step (the optional questions are offered there).
            url_for("home.index"),
            "Your email address is confirmed and your account has been created. You are signed in.",
        ),
        page=show,
        refused=refused,
    )


@bp.route("/forgot-password", methods=["GET", "POST"])
@public
@limit("REC_LIMIT_PASSWORD_RESET")
@limit("REC_LIMIT_PASSWORD_RESET_PER_EMAIL", key_func=_email_key)
def forgot_password():
    form = ForgotPasswordForm()
    return run(
        form,
        lambda: operations.request_password_reset(form.email.data),
        done=lambda _: done(url_for("auth.forgot_password_sent")),
        page=lambda: page("auth/forgot_password.html", form=form),
    )


@bp.route("/forgot-password/sent")
@public
def forgot_password_sent():
    minutes = current_app.config["REC_PASSWORD_RESET_MINUTES"]
    return render_template("auth/forgot_password_sent.html", minutes=minutes)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@public
@limit("REC_LIMIT_PASSWORD_RESET")
def reset_password(token: str):
    row = operations.find_reset_token(token)
    if row is None:
        return render_template("auth/reset_link_invalid.html"), 410
    form = ResetPasswordForm(account_email=row.user.email)
    return run(
        form,
        lambda: operations.reset_password(token, form.password.data),
        done=lambda _: done(url_for("auth.login"), "Your password has been changed. Sign in with your new password."),
        page=lambda: page("auth/reset_password.html", form=form, token=token),
    )


@bp.route("/claim-account/<token>", methods=["GET", "POST"])
@public
@limit("REC_LIMIT_REGISTER")
def claim_account(token: str):
    """The link in a staff invitation (auth/invitations.py). Opening it changes nothing;
    choosing a password puts the address and password on the person's own record and
    signs them in."""
    invitation = operations.find_invitation(token)
    if invitation is None:
        return render_template("auth/claim_link_invalid.html"), 410
    form = ClaimAccountForm(account_email=invitation.email)
    show = lambda: page("auth/claim_account.html", form=form, token=token,  # noqa: E731
                        invitation=invitation)

    def claim():
        user = operations.claim_invitation(token, form.password.data)
        operations.sign_in(user)
        return user

    def refused(error: DomainError):
        if error.field == "email":
            return render_template("auth/claim_link_invalid.html", message=error.message), 409
        return render_template("auth/claim_link_invalid.html"), 410

    return run(
        form,
        claim,
        # To My courses, where the bookings staff made for them are (not My account).
        done=lambda user: done(
            url_for("bookings.my_courses"),
            f"Your online account is set up and you are signed in, {user.display_name}. "
            "Your courses are below.",
        ),
        page=show,
        refused=refused,
    )
