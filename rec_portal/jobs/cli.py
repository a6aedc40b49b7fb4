"""``flask --app wsgi rec run-due`` (registered in rec_portal/cli.py)."""

from __future__ import annotations

import io
import sys
from contextlib import redirect_stderr, redirect_stdout

import click
from flask import current_app

from rec_portal.commands import rec_cli
from rec_portal.extensions import db
from rec_portal.jobs import operations
from rec_portal.timeutil import uk_short, utcnow


@rec_cli.command("run-due")
@click.option("--job", "only", type=click.Choice([job.name for job in operations.JOBS]),
              help="Run this one job now, due or not (unless another server is running it).")
@click.option("--list", "listing", is_flag=True, help="Print each job, how often it runs, "
              "its last run and when it is next due; run nothing.")
@click.pass_context
def run_due(ctx: click.Context, only: str | None, listing: bool) -> None:
    """Run every periodic job that is due (sending messages, reminders, alerts,
    invitations, expiring old links and records, retention). Run it every minute from one
    cron line or systemd timer, on every server at once: each job is claimed first, so
    only one server runs it. Exits with status 1 if any job failed (the others still
    run)."""
    operations.add_missing_rows()
    if listing:
        _print_list()
        return
    failed = []
    for job in operations.JOBS:
        if only and job.name != only:
            continue
        claimed = operations.claim(job.name, force=bool(only))
        if claimed is None:
            if only:
                click.echo(f"{job.name}: not run: another server is running it now.")
            continue
        ok, output = _run(ctx, job.name)
        operations.finish(claimed, ok, output)
        click.echo(f"{job.name}: {'done' if ok else 'FAILED'}.")
        for line in output.splitlines():
            click.echo(f"  {line}")
        if not ok:
            failed.append(job.name)
    if failed:
        click.echo(f"Failed: {', '.join(failed)} (see above and the log). The others ran.", err=True)
        sys.exit(1)


def _run(ctx: click.Context, name: str) -> tuple[bool, str]:
    """Run the ``rec`` command ``name`` as if by hand, catching what it prints; whether
    it succeeded, and its output."""
    command = rec_cli.get_command(ctx, name)
    out = io.StringIO()
    ok = True
    try:
        with redirect_stdout(out), redirect_stderr(out):
            ctx.invoke(command)
    except SystemExit as exc:  # a command that reports failure with its exit status
        ok = exc.code in (None, 0)
    except Exception as exc:  # noqa: BLE001 - one job must not stop the others
        ok = False
        current_app.logger.exception("rec run-due: %s failed", name)
        print(f"{type(exc).__name__}: {exc}", file=out)
    finally:
        db.session.rollback()  # nothing a failed job left half-done is kept
        db.session.remove()
    if not ok:
        current_app.logger.error("rec run-due: %s failed: %s", name, " ".join(out.getvalue().split())[:300])
    return ok, out.getvalue().strip()


def _print_list() -> None:
    rows = operations.rows()
    now = utcnow()
    for job in operations.JOBS:
        row = rows.get(job.name)
        every = _every(job)
        if row is None or row.last_started_at is None:
            last, due = "never run", "now"
        else:
            finished = row.last_finished_at is not None and row.last_finished_at >= row.last_started_at
            outcome = ("ok" if row.last_ok else "FAILED") if finished else "not finished"
            last = f"last started {uk_short(row.last_started_at)} ({outcome}, {row.run_by})"
            next_at = job.due_from(row.last_started_at, row.last_ok is False)
            if row.lease_until and row.lease_until > now:
                due = f"held until {uk_short(row.lease_until)}"
            else:
                due = "now" if next_at <= now else uk_short(next_at)
        click.echo(f"{job.name:<22} {every:<24} {last}; next due: {due}")


def _every(job: operations.Job) -> str:
    if job.after_uk is not None:
        return f"daily after {job.after_uk:%H:%M} UK"
    minutes = int(job.every.total_seconds() // 60)
    if minutes == 1:
        return "every minute"
    if minutes < 60:
        return f"every {minutes} minutes"
    if minutes == 60:
        return "hourly"
    return "daily" if minutes == 1440 else f"every {minutes // 60} hours"
