"""rec_portal/timeutil.py is the one home for UK dates and times, and
rec_portal/templating.py the one place that registers Jinja filters and globals."""

from __future__ import annotations

import ast
from datetime import date, datetime
from pathlib import Path

import pytest

from rec_portal.timeutil import uk_day_start, uk_days, uk_today

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "rec_portal"


# --- uk_today around midnight UK time -----------------------------------------------------

@pytest.mark.parametrize(
    ("now_utc", "today"),
    [
        # Summer (BST, UTC+1): UK midnight is 23:00 UTC the evening before.
        (datetime(2026, 7, 14, 22, 59, 59), date(2026, 7, 14)),
        (datetime(2026, 7, 14, 23, 0, 0), date(2026, 7, 15)),
        (datetime(2026, 7, 14, 23, 30), date(2026, 7, 15)),
        # Winter (GMT, UTC+0): UK midnight is midnight UTC.
        (datetime(2026, 12, 14, 23, 59, 59), date(2026, 12, 14)),
        (datetime(2026, 12, 15, 0, 0, 0), date(2026, 12, 15)),
        # The nights the clocks change.
        (datetime(2026, 3, 28, 23, 59), date(2026, 3, 28)),  # GMT until 01:00 UTC on the 29th
        (datetime(2026, 10, 24, 23, 0), date(2026, 10, 25)),  # still BST
    ],
)
def test_uk_today_is_the_date_in_the_uk_not_in_utc(now_utc, today):
    assert uk_today(now_utc) == today


def test_uk_today_without_an_argument_is_today_in_the_uk():
    from zoneinfo import ZoneInfo

    before = datetime.now(ZoneInfo("Europe/London")).date()
    got = uk_today()
    after = datetime.now(ZoneInfo("Europe/London")).date()
    assert got in (before, after)


def test_a_uk_day_starts_at_2300_utc_in_summer_and_midnight_in_winter():
    assert uk_day_start(date(2026, 7, 15)) == datetime(2026, 7, 14, 23, 0)
    assert uk_day_start(date(2026, 12, 15)) == datetime(2026, 12, 15, 0, 0)
    # Both ends of a run of days that crosses the autumn clock change.
    assert uk_days(date(2026, 10, 24), date(2026, 10, 25)) == (
        datetime(2026, 10, 23, 23, 0), datetime(2026, 10, 26, 0, 0)
    )


# --- No second copy -----------------------------------------------------------------------

def _modules(*folders: str):
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _is_call_of(node, name: str) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    return (isinstance(func, ast.Name) and func.id == name) or (
        isinstance(func, ast.Attribute) and func.attr == name
    )


def _todays_date_written_out(node) -> bool:
    """``to_uk(utcnow()).date()``, ``to_uk(now or utcnow()).date()``, ``to_uk(now).date()``:
    today's UK date worked out by hand instead of ``uk_today()``."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "date" and _is_call_of(node.func.value, "to_uk")):
        return False
    args = node.func.value.args
    if not args:
        return False
    arg = args[0]
    return any(_is_call_of(n, "utcnow") for n in ast.walk(arg)) or (
        isinstance(arg, ast.Name) and arg.id == "now"
    )


def test_todays_uk_date_is_worked_out_only_in_timeutil():
    found = []
    for path, tree in _modules("rec_portal"):
        if path == PACKAGE / "timeutil.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and "today" in node.name.lower():
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} def {node.name}")
            elif _todays_date_written_out(node):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {ast.unparse(node)}")
    assert found == [], "Use rec_portal.timeutil.uk_today() instead of: " + "; ".join(found)


def test_a_uk_day_start_is_worked_out_only_in_timeutil():
    """``uk_to_utc(day, time(0))`` is ``uk_day_start(day)`` (academic terms aside: they
    wait to move to rec_portal/stats)."""
    allowed = {PACKAGE / "timeutil.py", PACKAGE / "feedback" / "queries.py",
               PACKAGE / "reports" / "queries.py"}
    found = []
    for path, tree in _modules("rec_portal"):
        if path in allowed:
            continue
        for node in ast.walk(tree):
            if _is_call_of(node, "uk_to_utc") and len(node.args) == 2 and _is_call_of(node.args[1], "time"):
                midnight = node.args[1].args
                if all(isinstance(a, ast.Constant) and a.value == 0 for a in midnight):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} {ast.unparse(node)}")
    assert found == [], "Use rec_portal.timeutil.uk_day_start() instead of: " + "; ".join(found)


REGISTERING_CALLS = {
    "template_filter", "app_template_filter", "add_template_filter", "add_app_template_filter",
    "template_global", "app_template_global", "add_template_global", "add_app_template_global",
    "template_test", "app_template_test", "add_template_test", "add_app_template_test",
}


def test_jinja_filters_and_globals_are_registered_only_in_templating():
    found = []
    for path, tree in _modules("rec_portal"):
        if path == PACKAGE / "templating.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in REGISTERING_CALLS:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} .{node.attr}")
            elif (isinstance(node, ast.Attribute) and node.attr in ("filters", "globals", "tests")
                  and isinstance(node.value, ast.Attribute) and node.value.attr == "jinja_env"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} jinja_env.{node.attr}")
    assert found == [], "Register filters in rec_portal/templating.py init_templating: " + "; ".join(found)


def test_every_filter_the_app_has_is_in_the_templating_list(app):
    """What the app ends up with is what init_templating registers: nothing added elsewhere
    at run time (a blueprint, an extension of ours)."""
    from flask import Flask
    from jinja2 import Environment

    from rec_portal.templating import init_templating

    bare = Flask("bare")
    bare.config.update(app.config)
    init_templating(bare)
    plain = Environment()
    ours = set(app.jinja_env.filters) - set(plain.filters)
    listed = set(bare.jinja_env.filters) - set(plain.filters)
    assert ours == listed and "uk_clock" in ours and "support_site" in ours
    ours_globals = {k for k in app.jinja_env.globals if k not in bare.jinja_env.globals}
    assert ours_globals <= {"csrf_token", "csrf_meta_tag"}  # Flask-WTF's own
