"""What the stack itself allows on this machine, measured in the same run as the portal
(``make bench``, "What the stack allows"), so each target can be read against it:

- ``stack_app()``: Flask + Flask-Login + Flask-SQLAlchemy on the bench database and nothing
  of the portal. ``/signed-in`` loads the signed-in user (one statement, as Flask-Login
  does on every request) and renders one line; ``/signed-in/5`` reads four more rows by
  primary key. ``/sign-in?id=N`` signs in as user N (served on the loopback only, in the
  benchmark; never part of the portal).
- ``portal_app()``: the portal itself with one more page, ``/floor``, that renders the
  NHS.UK layout (header, navigation, footer) around one paragraph: every page's share of
  the work, with no page of its own.
- ``table_document(rows, cells)``: a bare HTML table (no stylesheet but WeasyPrint's own),
  for timing WeasyPrint on a document the size of a PDF the portal makes.
"""

from __future__ import annotations

import os

from flask import Flask, render_template_string, request
from flask_login import LoginManager, current_user, login_user
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select

ONE_LINE = "<!doctype html><title>Floor</title><p>{{ current_user.full_name }}</p>"


def stack_app(database_url: str | None = None) -> Flask:
    """Flask + Flask-Login + Flask-SQLAlchemy on the portal's ``users`` table (gunicorn
    ``bench.floor:stack_app()``, on ``DATABASE_URL``)."""
    app = Flask(__name__)
    app.config.update(SQLALCHEMY_DATABASE_URI=database_url or os.environ["DATABASE_URL"],
                      SECRET_KEY=os.environ.get("SECRET_KEY", "bench-floor-" + "x" * 32))
    db = SQLAlchemy(app)
    login = LoginManager(app)

    class User(db.Model):
        """The portal's ``users`` table, the three columns this app reads."""

        __tablename__ = "users"
        id = db.Column(db.Integer, primary_key=True)
        email = db.Column(db.String)
        full_name = db.Column(db.String)
        is_active = is_authenticated = True
        is_anonymous = False

        def get_id(self) -> str:
            return str(self.id)

    @login.user_loader
    def load(user_id: str):
        return db.session.execute(select(User).where(User.id == int(user_id))).scalar_one_or_none()

    @app.route("/")
    def hello():
        return "Hello, World!"

    @app.route("/sign-in")
    def sign_in():
        login_user(db.session.get(User, int(request.args["id"])))
        return "signed in"

    @app.route("/signed-in")
    @app.route("/signed-in/<int:statements>")
    def signed_in(statements: int = 1):
        if not current_user.is_authenticated:
            return "not signed in", 403
        for other in range(1, statements):  # the user was the first statement
            db.session.execute(select(User).where(User.id == other)).scalar_one_or_none()
        return render_template_string(ONE_LINE)

    return app


def portal_app():
    """The portal with ``/floor``: its layout around one paragraph (gunicorn
    ``bench.floor:portal_app()``)."""
    from rec_portal import create_app
    from rec_portal.web.access import public

    app = create_app()

    @app.route("/floor")
    @public
    def floor():
        return render_template_string(
            '{% extends "base.html" %}{% block content %}<p>Nothing else on this page.</p>{% endblock %}')

    return app


def table_document(rows: int, cells: int) -> str:
    """A bare table of ``rows`` rows of ``cells`` short cells, with a title and a heading."""
    body = "".join("<tr>" + "".join(f"<td>Row {r}, cell {c}</td>" for c in range(cells)) + "</tr>"
                   for r in range(rows))
    return (f'<!doctype html><html lang="en"><head><title>{rows} rows</title></head><body>'
            f"<h1>{rows} rows</h1><table><tbody>{body}</tbody></table></body></html>")


def weasyprint_seconds(rows: int, cells: int) -> float:
    """Seconds WeasyPrint takes to make a tagged PDF (PDF/UA-1, as the portal's are) of
    ``table_document(rows, cells)``, fonts already loaded."""
    import time

    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    HTML(string=table_document(2, cells)).write_pdf(font_config=fonts)
    started = time.perf_counter()
    HTML(string=table_document(rows, cells)).write_pdf(pdf_variant="pdf/ua-1", pdf_tags=True, font_config=fonts)
    return time.perf_counter() - started
