"""Rate limits with REC_REDIS_URL: counted in Redis (shared by every worker and server:
tests/pg/test_two_servers.py), and still counted, in each worker's memory, while Redis is
down, instead of every sign-in failing with an error."""

from __future__ import annotations

from flask_migrate import upgrade

from rec_portal import create_app
from rec_portal.extensions import db, limiter
from tests.conftest import csrf_from, test_config
from tests.pgserver import free_port


def _failed_sign_ins(app, count: int) -> list[tuple[int, bool]]:
    client = app.test_client()
    answers = []
    for _ in range(count):
        token = csrf_from(client.get("/login").get_data(as_text=True))
        page = client.post("/login", data={"email": "someone@example.org", "password": "wrong", "csrf_token": token})
        text = page.get_data(as_text=True)
        answers.append((page.status_code, "Please wait a few minutes, then try again" in text))
    return answers


def test_rate_limits_use_redis_when_it_is_set(redis_url, tmp_path):
    app = create_app(test_config(f"sqlite:///{tmp_path / 'r.sqlite3'}", REC_REDIS_URL=redis_url))
    assert type(limiter._storage).__name__ == "RedisStorage"
    assert app.config["RATELIMIT_STORAGE_URI"] == redis_url
    with app.app_context():
        db.engine.dispose()


def test_sign_in_still_works_and_is_still_limited_while_redis_is_down(tmp_path):
    down = f"redis://127.0.0.1:{free_port()}/0"
    app = create_app(test_config(f"sqlite:///{tmp_path / 'down.sqlite3'}", REC_REDIS_URL=down,
                                 REC_LIMIT_LOGIN="2 per minute", PROPAGATE_EXCEPTIONS=False))
    with app.app_context():
        upgrade()
    # A wrong password gets its calm message (400), not an error page (500); the third is
    # refused, counted in memory.
    assert _failed_sign_ins(app, 3) == [(400, False), (400, False), (429, True)]
    with app.app_context():
        db.engine.dispose()
