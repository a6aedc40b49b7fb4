"""Periodic work (``rec run-due``): one row per job, saying when it last ran.

``rec run-due`` may run every minute on every server at once: a job is claimed by
setting ``lease_until`` in a transaction that holds the row, so only one server runs it,
and a run that died (its lease passed) is taken over by the next."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from rec_portal.extensions import db


class ScheduledJob(db.Model):
    __tablename__ = "scheduled_jobs"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    # When the last run started (the next is due one interval later) and ended.
    last_started_at: Mapped[datetime | None] = mapped_column()
    last_finished_at: Mapped[datetime | None] = mapped_column()
    # False when the last run raised; its error, in one line, for the admin page and log.
    last_ok: Mapped[bool | None] = mapped_column()
    last_summary: Mapped[str] = mapped_column(String(500), default="", server_default="")
    # While a server runs the job: until when it holds it (others leave it alone).
    lease_until: Mapped[datetime | None] = mapped_column()
    # Which server (host and process) holds or last held it.
    run_by: Mapped[str] = mapped_column(String(120), default="", server_default="")
