"""web/picks.py: ticks kept across the pages of a list, in the session cookie (small)."""

from __future__ import annotations

from flask import Flask

from rec_portal.web import picks


def test_one_list_is_kept_at_most_limit_values_and_used_up():
    app = Flask(__name__)
    app.secret_key = "test"
    with app.test_request_context():
        assert picks.keep("a", {"answer_id": ["1", "2", "2", " ", ""], "question_id": ["7"]})
        assert picks.kept("a") == {"answer_id": ["1", "2"], "question_id": ["7"]}
        # Another list replaces it: the cookie never holds two.
        assert picks.keep("b", {"answer_id": [str(n) for n in range(picks.LIMIT + 10)]}) is False
        assert picks.kept("a") == {} and len(picks.kept("b")["answer_id"]) == picks.LIMIT
        picks.clear("b")
        assert picks.kept("b") == {}
