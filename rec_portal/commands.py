"""The ``flask --app wsgi rec ...`` command group. Its commands are defined in rec_portal/cli.py
and in each feature's cli.py (which rec_portal/cli.py imports); this module imports no feature,
so a feature's commands can join the group without importing the others."""

from __future__ import annotations

from flask.cli import AppGroup

rec_cli = AppGroup("rec", help="Recovery Education Centre portal commands.")
