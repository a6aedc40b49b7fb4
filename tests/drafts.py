"""Which forms take free text, found from the app itself: its POST rules, the form classes
their views (and the view module's helpers) use, and the decorators around them. Used by
tests/web/test_drafts_everywhere.py and tests/web/test_drafts_give_back.py."""

from __future__ import annotations

import inspect
import sys
import types

from flask_wtf import FlaskForm
from wtforms.fields import HiddenField, PasswordField, StringField

# Free-text forms that do not keep drafts, and why.
EXCLUDED = {
    "auth.login": "signing in: nobody is signed in, and a password is never stored",
    "auth.register": "enrolling: nobody is signed in yet, and a password is never stored",
    "auth.forgot_password": "asked while signed out: only an email address",
    "outcomes.delete": "a button (delete my answers); the answer form is only redisplayed",
    "safety_plans.remove_person": "a button; the person form is only redisplayed beside it",
    "referrals.refer": "the public \u201cRefer someone\u201d form: referrers are not signed in",
    "admin.person_invite": "only an email address (as asking for a password reset), typed by staff",
    "admin.person_roles": "checkboxes; the text field found is the invitation's email address, "
                          "redisplayed on the same page",
}


def has_free_text(form_class) -> bool:
    """A text input or text area a person types in (StringField, TextAreaField ...), not a
    password or hidden field."""
    for klass in form_class.__mro__:
        for name, value in vars(klass).items():
            field_class = getattr(value, "field_class", None)
            if (not name.startswith("_") and field_class and issubclass(field_class, StringField)
                    and not issubclass(field_class, (PasswordField, HiddenField))):
                return True
    return False


def forms_used(function, module, seen) -> set[type]:
    """Form classes named by ``function`` or by helpers of its own module it calls."""
    found = set()
    names, codes = set(), [function.__code__]
    while codes:
        code = codes.pop()
        names |= set(code.co_names)
        codes += [const for const in code.co_consts if isinstance(const, types.CodeType)]
    for name in names:
        value = module.__dict__.get(name)
        if isinstance(value, type) and issubclass(value, FlaskForm):
            found.add(value)
        elif (isinstance(value, types.FunctionType) and value.__module__ == module.__name__
              and value not in seen):
            seen.add(value)
            found |= forms_used(value, module, seen)
    return found


def keeps_drafts(view) -> bool:
    while view is not None:
        if getattr(view, "keeps_drafts", None):
            return True
        view = getattr(view, "__wrapped__", None)
    return False


def free_text_post_routes(app) -> dict[str, set[str]]:
    """endpoint -> names of the free-text form classes its view uses."""
    routes = {}
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        view = inspect.unwrap(app.view_functions[rule.endpoint])
        module = sys.modules[view.__module__]
        forms = {form.__name__ for form in forms_used(view, module, set()) if has_free_text(form)}
        if forms or keeps_drafts(app.view_functions[rule.endpoint]):
            routes[rule.endpoint] = forms
    return routes

