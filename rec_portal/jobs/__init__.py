"""Periodic work in one command: ``flask --app wsgi rec run-due`` (cli.py) runs every job
in operations.JOBS that is due. Safe to run every minute on every server at once: each job
is claimed in the database (models/jobs.py) before it runs, so only one server runs it."""
