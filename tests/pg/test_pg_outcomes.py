"""The outcomes report's SQL, closing quarters once, and the invitations' unique key on
PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models import OutcomeInvitation
from rec_portal.timeutil import uk_to_utc
from tests import factories

pytestmark = pytest.mark.pg


def test_the_report_groups_by_uk_quarter_and_invitations_are_sent_once(pg_app, pg_client):
    with pg_app.app_context():
        # 23:30 UTC on 30 June is 00:30 on 1 July in UK summer time: Jul to Sep.
        late = datetime(2026, 6, 30, 23, 30)
        for i in range(10):
            factories.make_outcome_check(factories.make_user(), answered_at=late, victim=i < 8, times=2,
                                         crime_types=["theft"])
        early = uk_to_utc(datetime(2026, 5, 1).date(), datetime.min.time())
        factories.make_outcome_check(factories.make_user(), answered_at=early, victim=True)
        students = [factories.make_user() for _ in range(3)]
        factories.make_attended_session(students, ended_days_ago=200)
        db.session.commit()
        from rec_portal.outcomes.operations import close_quarters
        from rec_portal.outcomes.queries import build_report

        close_quarters(datetime(2026, 10, 1, 9))  # Apr to Jun and Jul to Sep have ended
        table = build_report(stage="baseline").tables[0]
        rows = {r.key: r for r in table.rows}
        assert rows["2026-3"]["respondents"].count == 10 and rows["2026-3"]["victims"].count == 8
        assert rows["2026-2"]["respondents"].count == 1
        assert rows["2026-3"].crime("theft").count == 8

        from rec_portal.outcomes.operations import invite_due

        assert invite_due() == 3
        db.session.commit()
        assert invite_due() == 0
        db.session.commit()
        assert len(db.session.execute(select(OutcomeInvitation)).all()) == 3


def test_closing_quarters_twice_at_once_stores_each_quarter_once(pg_app, monkeypatch):
    """Report views (or a view and the daily command) closing the same quarters at the
    same moment: the quarter's primary key lets one of them store it; the others stop."""
    import time

    from rec_portal.models import OutcomeQuarter, OutcomeQuarterFigure
    from rec_portal.outcomes import queries
    from rec_portal.outcomes.operations import close_quarters
    from rec_portal.outcomes.queries import build_report
    from tests.concurrency import run_at_once

    counted = queries.grouped_counts

    def slowly(quarters):  # every run has read "nothing stored yet" before any inserts
        out = counted(quarters)
        time.sleep(0.5)
        return out

    monkeypatch.setattr(queries, "grouped_counts", slowly)

    with pg_app.app_context():
        for i in range(30):
            factories.make_outcome_check(factories.make_user(), answered_at=datetime(2026, 2, 10, 12), victim=i < 12,
                                         times=2, crime_types=["theft"])
        db.session.commit()
    now = datetime(2026, 10, 2, 12)  # Jan to Mar, Apr to Jun and Jul to Sep have ended
    results = run_at_once(pg_app, [lambda: close_quarters(now) for _ in range(4)])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(results) == 3
    with pg_app.app_context():
        assert len(db.session.execute(select(OutcomeQuarter)).all()) == 3
        assert len(db.session.execute(select(OutcomeQuarterFigure)).all()) == 3 * 3 * 17
        rows = build_report(stage="baseline").tables[0].rows
        assert [(r.label, r["respondents"].text, r["victims"].text) for r in rows] == [
            ("Jan to Mar 2026", "30", "12"), ("Apr to Jun 2026", "0", "0"), ("Jul to Sep 2026", "0", "0")]
