"""Every form a signed-in person fills with free text keeps it across a session timeout
(issue 14: editing a learning goal did not). The routes are found from the app itself: its
POST rules, the form classes their views (and the view module's helpers) use, and the
decorators around them."""

from __future__ import annotations

from tests.drafts import EXCLUDED, free_text_post_routes, keeps_drafts


def test_every_free_text_form_keeps_drafts_or_is_excluded_for_a_reason(app):
    routes = free_text_post_routes(app)
    # The finder finds what it should (goal edits are among them).
    assert {"plans.edit_goal", "plans.new_goal", "safety_plans.save", "account.details",
            "content_reviews.note", "workshops.ask", "plans.add_review"} <= set(routes)
    missing = sorted(
        f"{endpoint} ({', '.join(sorted(forms))})" for endpoint, forms in routes.items()
        if endpoint not in EXCLUDED and not keeps_drafts(app.view_functions[endpoint])
    )
    assert missing == [], "these forms lose what was typed at a timeout: " + "; ".join(missing)
    # An exclusion that keeps drafts, or no longer exists, is out of date.
    assert sorted(e for e in EXCLUDED if e not in routes or keeps_drafts(app.view_functions[e])) == []
