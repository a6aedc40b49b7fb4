"""/healthz, the proxy's health check: 200 "ok" when the database answers and its
migrations are the code's head revision, else 503 naming the check that failed."""

from __future__ import annotations

from flask_migrate import upgrade

from rec_portal import create_app
from rec_portal.extensions import db
from tests.conftest import test_config
from tests.pgserver import free_port


def test_ok_when_the_database_answers_and_is_migrated(app, client):
    for _ in range(30):  # a proxy asks every few seconds: never rate-limited
        response = client.get("/healthz")
        assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok\n"
    assert response.mimetype == "text/plain"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers  # no session for a health check
    assert client.post("/healthz").status_code == 405


def test_503_when_the_database_is_behind_the_code(tmp_path):
    app = create_app(test_config(f"sqlite:///{tmp_path / 'behind.sqlite3'}"))
    with app.app_context():
        upgrade(revision="0015_recovery_college")
    client = app.test_client()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_data(as_text=True) == "database: ok\nmigrations: not current\n"
    assert response.headers["Cache-Control"] == "no-store"
    with app.app_context():
        upgrade()
    assert client.get("/healthz").get_data(as_text=True) == "ok\n"
    with app.app_context():
        db.engine.dispose()


def test_503_when_the_database_cannot_be_reached():
    nobody_listens = f"postgresql+psycopg://rec:secret-password@127.0.0.1:{free_port()}/rec"
    app = create_app(test_config(nobody_listens))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_data(as_text=True)
    assert body == "database: unreachable\nmigrations: unknown\n"  # no error text, no secrets
    assert "secret-password" not in body and "Traceback" not in body
    assert response.headers["Cache-Control"] == "no-store"


def test_a_signed_in_browser_gets_the_health_answer_when_the_database_is_gone(tmp_path):
    """The session cookie is not looked at: with the database gone, the answer is still
    the health check's 503, not the error page from loading the session."""
    from tests import factories
    from tests.conftest import Browserless

    path = tmp_path / "gone.sqlite3"
    app = create_app(test_config(f"sqlite:///{path}"))
    with app.app_context():
        upgrade()
        factories.make_user(roles=("student",), email="sam@example.org")
        db.session.commit()
    client = app.test_client()
    Browserless(client).login("sam@example.org")
    assert "Sign out" in client.get("/my/account").get_data(as_text=True)
    with app.app_context():
        db.engine.dispose()
    path.unlink()
    (tmp_path / "gone.sqlite3-wal").unlink(missing_ok=True)
    path.mkdir()  # where the database was, nothing can be opened
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_data(as_text=True) == "database: unreachable\nmigrations: unknown\n"
    with app.app_context():
        db.engine.dispose()
