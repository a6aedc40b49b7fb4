"""The signed-in home page (``/`` once signed in): one page, a section for each role the
person holds, each showing their next step and what is waiting for them (issue 19).

``queries.py`` works out what each section shows, in a fixed number of statements
whatever the data; the route is ``home.index`` (the same address signed out shows the
public front page); templates are ``templates/home/``.
"""

from flask import Blueprint

bp = Blueprint("home", __name__)

from rec_portal.home import views  # noqa: E402,F401
