"""This feature's ``flask --app wsgi rec ...`` commands (registered in rec_portal/cli.py)."""

from __future__ import annotations

import click

from rec_portal.commands import rec_cli
from rec_portal.extensions import db


@rec_cli.command("term-figures")
def term_figures() -> None:
    """Store, once, the equality counts of the term that last ended, for the term report
    (which shows only stored counts). Opening the report for that term does the same; run
    this daily so the counts are fixed soon after the term ends. Safe to repeat and to run
    twice at once."""
    from rec_portal.reports.operations import close_equality
    from rec_portal.stats.terms import term_of
    from rec_portal.timeutil import uk_today

    term = term_of(uk_today()).previous()
    stored = close_equality(term)
    db.session.commit()
    if stored:
        click.echo(f"Stored the equality counts of the {term.label}.")
    else:
        click.echo(f"The equality counts of the {term.label} were already stored.")
