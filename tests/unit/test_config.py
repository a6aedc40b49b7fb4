import pytest

from rec_portal.config import ConfigError, load_config


def test_secret_key_is_required_in_production(monkeypatch, tmp_path):
    monkeypatch.setenv("REC_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY must be set"):
        load_config(str(tmp_path))


def test_production_settings_are_secure(monkeypatch, tmp_path):
    monkeypatch.setenv("REC_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    monkeypatch.setenv("DATABASE_URL", "postgres://rec:pw@db.internal/rec")
    monkeypatch.delenv("REC_BASE_URL", raising=False)
    with pytest.raises(ConfigError, match="REC_BASE_URL must be set in production"):
        load_config(str(tmp_path))
    monkeypatch.setenv("REC_BASE_URL", "https://rec.example.nhs.uk/")
    config = load_config(str(tmp_path))
    assert config["REC_BASE_URL"] == "https://rec.example.nhs.uk"
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["REC_HSTS"] is True
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://rec:pw@db.internal/rec"
    assert not (tmp_path / "secret_key").exists()


def test_development_key_is_generated_once_and_kept(monkeypatch, tmp_path):
    monkeypatch.setenv("REC_ENV", "development")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = load_config(str(tmp_path))["SECRET_KEY"]
    second = load_config(str(tmp_path))["SECRET_KEY"]
    assert first == second and len(first) >= 64
    assert (tmp_path / "secret_key").read_text() == first
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"
    assert load_config(str(tmp_path))["SQLALCHEMY_DATABASE_URI"].endswith("rec_portal.sqlite3")


def test_timeouts_are_configurable(monkeypatch, tmp_path):
    monkeypatch.setenv("REC_IDLE_TIMEOUT_MINUTES", "5")
    monkeypatch.setenv("REC_ABSOLUTE_TIMEOUT_HOURS", "2")
    config = load_config(str(tmp_path))
    assert config["REC_IDLE_TIMEOUT"].total_seconds() == 300
    assert config["REC_ABSOLUTE_TIMEOUT"].total_seconds() == 7200


def test_bad_numbers_are_explained(monkeypatch, tmp_path):
    monkeypatch.setenv("REC_SMTP_PORT", "lots")
    with pytest.raises(ConfigError, match="REC_SMTP_PORT must be a whole number"):
        load_config(str(tmp_path))


def test_uk_date_shows_plain_dates_as_they_are():
    from datetime import date, datetime

    from rec_portal.timeutil import format_uk

    assert format_uk(date(2027, 3, 14), with_time=False) == "14 March 2027"
    assert format_uk(datetime(2027, 6, 30, 23, 30), with_time=False) == "1 July 2027"  # BST


def test_a_notify_key_without_a_text_template_stops_production_starting(monkeypatch, tmp_path):
    monkeypatch.setenv("REC_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    monkeypatch.setenv("REC_BASE_URL", "https://rec.example.nhs.uk")
    monkeypatch.setenv("REC_NOTIFY_API_KEY", "rec-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0")
    monkeypatch.delenv("REC_NOTIFY_TEXT_TEMPLATE_ID", raising=False)
    with pytest.raises(ConfigError, match="REC_NOTIFY_TEXT_TEMPLATE_ID must be set"):
        load_config(str(tmp_path))
    monkeypatch.setenv("REC_NOTIFY_TEXT_TEMPLATE_ID", "f33517ff-2a88-4f6e-b855-c550268ce08a")
    assert load_config(str(tmp_path))["REC_NOTIFY_TEXT_TEMPLATE_ID"] == "f33517ff-2a88-4f6e-b855-c550268ce08a"
    # The key and the texts never cross the network unencrypted.
    monkeypatch.setenv("REC_NOTIFY_BASE_URL", "http://notify.example.org")
    with pytest.raises(ConfigError, match="REC_NOTIFY_BASE_URL must start with https://"):
        load_config(str(tmp_path))


def test_the_notify_timeout_takes_fractions_of_a_second(monkeypatch, tmp_path):
    monkeypatch.setenv("REC_ENV", "testing")
    monkeypatch.setenv("REC_NOTIFY_TIMEOUT", "0.5")
    assert load_config(str(tmp_path))["REC_NOTIFY_TIMEOUT"] == 0.5
    monkeypatch.setenv("REC_NOTIFY_TIMEOUT", "soon")
    with pytest.raises(ConfigError, match="REC_NOTIFY_TIMEOUT must be a number of seconds"):
        load_config(str(tmp_path))


def test_the_ask_for_help_limit_is_a_setting(monkeypatch, tmp_path):
    monkeypatch.setenv("REC_ENV", "testing")
    monkeypatch.delenv("REC_LIMIT_SUPPORT_REQUEST", raising=False)
    assert load_config(str(tmp_path))["REC_LIMIT_SUPPORT_REQUEST"] == "5 per hour; 10 per day"
    monkeypatch.setenv("REC_LIMIT_SUPPORT_REQUEST", "3 per hour")
    assert load_config(str(tmp_path))["REC_LIMIT_SUPPORT_REQUEST"] == "3 per hour"
