"""REC Portal: the web portal of the Recovery Education Centre."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from jinja2 import ChainableUndefined, ChoiceLoader, PackageLoader, select_autoescape
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, PathConverter, UnicodeConverter

from rec_portal.config import load_config
from rec_portal.extensions import (
    configure_postgres,
    configure_sqlite,
    csrf,
    db,
    limiter,
    login_manager,
    migrate,
)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Application factory. ``config`` overrides settings read from the environment."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(load_config(app.instance_path))
    if config:
        app.config.update(config)
        if config.get("REC_REDIS_URL") and "RATELIMIT_STORAGE_URI" not in config:
            app.config["RATELIMIT_STORAGE_URI"] = config["REC_REDIS_URL"]

    _configure_logging(app)
    if app.config["REC_PROXY_COUNT"]:
        n = app.config["REC_PROXY_COUNT"]
        # Not x_host: links in email are built from REC_BASE_URL, never from a header.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n)  # type: ignore[method-assign]

    if app.config["REC_ENV"] == "production" and not app.config["REC_PROXY_COUNT"]:
        app.logger.warning(
            "REC_PROXY_COUNT is 0: if the portal runs behind a proxy, every visitor shares one "
            "rate-limit bucket and the audit log records the proxy's address"
        )

    # Templates: the app's own first, then the NHS.UK frontend macros.
    app.jinja_loader = ChoiceLoader([app.jinja_loader, PackageLoader("nhsuk_frontend_jinja")])
    app.jinja_env.undefined = ChainableUndefined
    # Flask only escapes .html/.xml templates; the NHS.UK macros are .jinja files and are
    # written for an escaping environment (they mark their "html" parameters safe).
    # Plain-text emails (.txt) are not escaped.
    app.jinja_env.autoescape = select_autoescape(
        enabled_extensions=("html", "htm", "xml", "jinja"), default_for_string=True
    )

    from rec_portal import models  # noqa: F401  (registers every table)

    # A failed statement's parameters (a safety plan's text, say) never reach the logs.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}), "hide_parameters": True,
    }
    # Ids in URLs beyond what the database holds are a 404, not an overflow error.
    app.url_map.converters["int"] = BoundedInt
    # Text in URLs never holds control characters (PostgreSQL cannot even compare a NUL):
    # routing itself refuses them, so such an address is a 404 before any query.
    app.url_map.converters["default"] = app.url_map.converters["string"] = PlainText
    app.url_map.converters["path"] = PlainPath
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine)
        elif db.engine.dialect.name == "postgresql":
            configure_postgres(db.engine, app)
    migrate.init_app(app, db, directory=_migrations_dir())
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)

    from rec_portal import errors_pages, security, templating
    from rec_portal.auth import sessions
    from rec_portal.web import access
    from rec_portal.web.cache import init_cache
    from rec_portal.web.htmx import init_htmx

    security.init_security(app)
    init_htmx(app)
    init_cache(app)
    sessions.init_sessions(app)
    access.init_access(app)
    templating.init_templating(app)
    errors_pages.init_error_pages(app)

    from rec_portal.drafts import init_drafts

    init_drafts(app)

    from rec_portal.account import bp as account_bp
    from rec_portal.admin import bp as admin_bp
    from rec_portal.attendance import bp as attendance_bp
    from rec_portal.auth import bp as auth_bp
    from rec_portal.bookings import bp as bookings_bp
    from rec_portal.calls import bp as calls_bp
    from rec_portal.catalogue import bp as catalogue_bp
    from rec_portal.class_messages import bp as class_messages_bp
    from rec_portal.content_reviews import bp as content_reviews_bp
    from rec_portal.scheduling import bp as scheduling_bp
    from rec_portal.data_rights import bp as data_rights_bp
    from rec_portal.data_rights import staff_bp as data_rights_staff_bp
    from rec_portal.facilitation import bp as facilitation_bp
    from rec_portal.feedback import bp as feedback_bp
    from rec_portal.feedback_review import bp as feedback_review_bp
    from rec_portal.outcomes import bp as outcomes_bp
    from rec_portal.pages import bp as pages_bp
    from rec_portal.plans import bp as plans_bp
    from rec_portal.rosters import bp as rosters_bp
    from rec_portal.safety_plans import bp as safety_plans_bp
    from rec_portal.support import bp as support_bp
    from rec_portal.workshops import bp as workshops_bp
    from rec_portal.reports import bp as reports_bp
    from rec_portal.prospectus import bp as prospectus_bp
    from rec_portal.tutoring import bp as tutoring_bp
    from rec_portal.referrals import bp as referrals_bp
    from rec_portal.support_requests import bp as support_requests_bp
    from rec_portal.pathways import bp as pathways_bp
    from rec_portal.equality import bp as equality_bp
    from rec_portal.health import bp as health_bp
    from rec_portal.home import bp as home_bp

    for bp in (
        pages_bp, auth_bp, account_bp, catalogue_bp, bookings_bp, facilitation_bp, admin_bp,
        scheduling_bp, plans_bp, safety_plans_bp, support_bp, data_rights_bp, rosters_bp,
        attendance_bp, feedback_bp, feedback_review_bp, content_reviews_bp, outcomes_bp, workshops_bp,
    ):
        app.register_blueprint(bp)
    for bp in (reports_bp, prospectus_bp, calls_bp, class_messages_bp, data_rights_staff_bp):
        app.register_blueprint(bp)
    for bp in (tutoring_bp, referrals_bp, support_requests_bp, pathways_bp, equality_bp, health_bp, home_bp):
        app.register_blueprint(bp)

    from rec_portal.cli import rec_cli

    app.cli.add_command(rec_cli)

    from rec_portal import aftercommit

    aftercommit.init_after_commit(app)  # last: it guards every hook registered above
    return app


class BoundedInt(IntegerConverter):
    """``<int:...>`` with a ceiling that fits every database's integer column."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


# Characters no path value may hold: C0 controls (NUL, tab, newline...), DEL, C1
# controls, lone surrogates, and U+FFFD (what bytes that are not UTF-8 decode to).
_REFUSED = "\\x00-\\x1f\\x7f-\\x9f\\ud800-\\udfff\\ufffd"


class PlainText(UnicodeConverter):
    """``<name>`` and ``<string:name>``: one path segment without control characters."""

    def __init__(self, map, *args, **kwargs):
        super().__init__(map, *args, **kwargs)
        assert self.regex.startswith("[^/]")
        self.regex = f"[^/{_REFUSED}]" + self.regex[len("[^/]"):]


class PlainPath(PathConverter):
    """``<path:name>`` without control characters."""

    part_isolating = False
    regex = f"[^/{_REFUSED}][^{_REFUSED}]*?"


def _migrations_dir() -> str:
    """The checkout's migrations/ folder (deploy from a checkout; see the README)."""
    from pathlib import Path

    beside_package = Path(__file__).resolve().parent.parent / "migrations"
    return str(beside_package if beside_package.is_dir() else Path.cwd() / "migrations")


def _configure_logging(app: Flask) -> None:
    level = getattr(logging, app.config["REC_LOG_LEVEL"], logging.INFO)
    root = logging.getLogger("rec_portal")
    root.setLevel(level)
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    app.logger.setLevel(level)
