"""Friendly error pages. Unexpected failures are logged, never shown as a stack trace."""

from __future__ import annotations

from flask import Flask, g, make_response, render_template, request
from flask_login import AnonymousUserMixin
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from rec_portal.aftercommit import committed, outcome_response

from rec_portal.extensions import db
from rec_portal.web.htmx import is_htmx

PAGES = {
    400: (
        "Sorry, there is a problem with that request",
        ["The page could not understand what was sent.", "Go back and try again."],
    ),
    403: (
        "You do not have access to this page",
        [
            "Your account does not have permission to see this page.",
            (
                "If you think you should have access, tell the REC team which page you "
                "were trying to open."
            ),
        ],
    ),
    404: (
        "Page not found",
        [
            "If you typed the web address, check it is correct.",
            "If you pasted the web address, check you copied the entire address.",
        ],
    ),
    405: (
        "Sorry, that action is not available here",
        ["The page was asked to do something it does not do. Go back and try again."],
    ),
    413: (
        "That was too much to send in one go",
        [
            "Nothing was saved. What you typed may still be on the page you came from.",
            (
                "Go back and try again with less in the form, for example one part at a "
                "time. If it keeps happening, contact the Recovery Education Centre team."
            ),
        ],
    ),
    429: (
        "Please wait a few minutes, then try again",
        [
            "To keep accounts safe, we pause this for a few minutes when we get a lot of "
            "requests like it at once. It can happen when many people share one internet "
            "connection, for example in a class.",
            "Wait a few minutes, then try again. Nothing you did has been lost.",
        ],
    ),
    500: (
        "Sorry, there is a problem with the service",
        [
            "Something went wrong on our side. It is not your fault.",
            "Try again later. If the problem continues, contact the Recovery Education Centre team.",
        ],
    ),
}

BUSY = (
    "The service is busy at the moment",
    [
        "Nothing was changed.",
        "Wait a minute, then try again. What you typed may still be on the page you came from.",
    ],
)

# PostgreSQL's "lock not available" (lock_timeout) and "query cancelled"
# (statement_timeout): the statement was stopped and the transaction rolled back.
_BUSY_SQLSTATES = {"55P03", "57014"}


def _is_busy(error: Exception) -> bool:
    """A database timeout: the request waited too long and was stopped, nothing written."""
    import sqlite3

    from sqlalchemy.exc import DBAPIError

    if not isinstance(error, DBAPIError):
        return False
    orig = error.orig
    if getattr(orig, "sqlstate", None) in _BUSY_SQLSTATES:
        return True
    return isinstance(orig, sqlite3.OperationalError) and "database is locked" in str(orig)


FALLBACK_500 = (
    "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<title>Sorry, there is a problem with the service</title></head><body>"
    "<h1>Sorry, there is a problem with the service</h1>"
    "<p>Something went wrong on our side. It is not your fault.</p>"
    "<p>Try again later. If the problem continues, contact the Recovery Education Centre team.</p>"
    "</body></html>"
)


def render_error(code: int, title: str | None = None, paragraphs: list[str] | None = None):
    default_title, default_paragraphs = PAGES.get(code, PAGES[500])
    response = make_response(
        render_template(
            "errors/error.html",
            code=code,
            title=title or default_title,
            paragraphs=paragraphs or default_paragraphs,
        ),
        code,
    )
    if is_htmx():
        # htmx swaps every response (see htmx-config in base.html); an error page
        # replaces the main content instead of landing inside a fragment.
        response.headers["HX-Retarget"] = "#maincontent"
        response.headers["HX-Reswap"] = "outerHTML"
        response.headers["HX-Reselect"] = "#maincontent"
    return response


def init_error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error):
        app.logger.warning("CSRF check failed on %s %s: %s", request.method, request.path, error.description)
        return render_error(
            400,
            "Your form could not be sent",
            [
                (
                    "This can happen when a page has been open for a long time, or after "
                    "signing in or out in another tab."
                ),
                "Go back, refresh the page and try again.",
            ],
        )

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        code = error.code or 500
        if code not in PAGES:
            return error
        response = render_error(code)
        if code == 405 and getattr(error, "valid_methods", None):
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    from rec_portal.documents import PdfUnavailable

    @app.errorhandler(PdfUnavailable)
    def _no_pdf(error):
        app.logger.error("PDF requested but WeasyPrint cannot run here: %s", error)
        return render_error(
            503,
            "Sorry, downloads are not working at the moment",
            [
                "The PDF could not be made. Nothing you wrote has been lost.",
                "Try again later, or contact the Recovery Education Centre team.",
            ],
        )

    @app.errorhandler(InternalServerError)
    def _internal(error: InternalServerError):
        # Flask's own wrapper for an error outside the view (a before/after-request
        # hook): treated like any other unexpected error.
        original = getattr(error, "original_exception", None)
        return _unexpected(original if original is not None else error)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        was_committed = committed()
        if was_committed:
            app.logger.exception(
                "error after %s %s had committed: the change was saved; showing that",
                request.method, request.path,
            )
        elif _is_busy(error):
            app.logger.warning(
                "database timeout on %s %s (nothing written): %s", request.method, request.path,
                getattr(error, "orig", error),
            )
        else:
            app.logger.exception("unexpected error on %s %s", request.method, request.path)
        try:
            db.session.rollback()
        except Exception:  # pragma: no cover - the database itself may be down
            app.logger.warning("rollback after an unexpected error also failed", exc_info=True)
        if was_committed and request.method == "POST":
            try:
                return outcome_response()
            except Exception:
                app.logger.exception("could not send the person on after a saved change")
        if "_login_user" not in g:
            # Do not go back to the database (it may be what failed) to load the user.
            g._login_user = AnonymousUserMixin()
        busy = not was_committed and _is_busy(error)
        try:
            return _error_page(busy)
        except Exception:
            # Drawing the signed-in header needed the database, and it failed again:
            # draw the page as for a visitor.
            app.logger.warning("error page could not be drawn for the signed-in person", exc_info=True)
        try:
            db.session.rollback()
        except Exception:  # pragma: no cover - the database itself may be down
            pass
        g._login_user = AnonymousUserMixin()
        try:
            return _error_page(busy)
        except Exception:  # the page itself could not be drawn: plain text, still calm
            app.logger.exception("could not render the error page")
            return FALLBACK_500, 500, {"Content-Type": "text/html; charset=utf-8"}


def _error_page(busy: bool):
    if busy:
        response = render_error(503, *BUSY)
        response.headers["Retry-After"] = "60"
        return response
    return render_error(500)
