"""Views for the prospectus: public, no sign-in."""

from __future__ import annotations

from flask import current_app, render_template, request
from markupsafe import Markup
from flask_login import current_user

from rec_portal.web.access import public
from rec_portal import documents
from rec_portal.web import cache
from rec_portal.web.ratelimit import limit
from rec_portal.stats.terms import parse_term
from rec_portal.prospectus import bp, queries
from rec_portal.timeutil import format_uk, uk_today, utcnow


def _term():
    """The term asked for (?term=2027-spring, any real term), else the default."""
    return parse_term(request.args.get("term", "")) or queries.default_term()


def _cacheable(response):
    """Public and the same for everyone: a normal cache lifetime when signed out (signed
    in, security.py sends no-store as on every page)."""
    if not current_user.is_authenticated:
        response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.route("/prospectus")
@public
def page():
    term = _term()
    terms = queries.terms_offered(uk_today())
    if term not in terms:
        terms.append(term)
    prospectus = queries.prospectus(term)
    # The courses and dates are public and the same for everyone: made once for what
    # they show (web/cache.py); the page around them (sign-in state, menu) never is.
    themes_html = cache.get_or_make(
        "prospectus.themes", cache.key_digest(queries.shown(prospectus)),
        lambda: render_template("prospectus/_themes.html", prospectus=prospectus),
    )
    response = current_app.make_response(render_template(
        "prospectus/prospectus.html", prospectus=prospectus,
        term_choices=[(t.key, t.label) for t in terms],
        pdf_ok=documents.pdf_available(), themes_html=Markup(themes_html),
    ))
    return _cacheable(response)


@bp.route("/prospectus.pdf")
@public
@limit("REC_LIMIT_PROSPECTUS_PDF", reads_too=True)
def pdf():
    term = _term()
    if term not in queries.terms_offered(uk_today()):  # only the terms the page offers
        term = queries.default_term()
    prospectus = queries.prospectus(term)
    config = current_app.config
    base_url = config.get("REC_BASE_URL", "").rstrip("/")
    made = format_uk(utcnow(), with_time=False)
    # Public and the same for everyone: made once for what it shows (web/cache.py).
    key = cache.key_digest(
        queries.shown(prospectus), base_url, made,
        config["REC_CONTACT_PHONE"], config["REC_CONTACT_EMAIL"],
    )
    data = cache.get_or_make("prospectus.pdf", key, lambda: documents.render_pdf(
        "prospectus.html", title=f"Prospectus: {term.label}", prospectus=prospectus,
        base_url=base_url, prospectus_made=made,
    ))
    response = documents.pdf_response(data, f"rec-prospectus-{term.key}.pdf")
    return _cacheable(response)
