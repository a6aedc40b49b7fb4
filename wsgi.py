"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi run``."""

from rec_portal import create_app

app = create_app()
