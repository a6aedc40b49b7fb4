"""Referrals (issue 17): the retention setting, as tests/unit/test_config.py checks settings."""

from __future__ import annotations

import pytest

from rec_portal.config import ConfigError, load_config


def test_the_referral_retention_period_defaults_to_180_days_and_can_be_set(monkeypatch, tmp_path):
    monkeypatch.delenv("REC_REFERRAL_RETENTION_DAYS", raising=False)
    assert load_config(str(tmp_path))["REC_REFERRAL_RETENTION_DAYS"] == 180
    monkeypatch.setenv("REC_REFERRAL_RETENTION_DAYS", "90")
    assert load_config(str(tmp_path))["REC_REFERRAL_RETENTION_DAYS"] == 90


def test_a_referral_retention_period_below_a_day_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("REC_REFERRAL_RETENTION_DAYS", "0")
    with pytest.raises(ConfigError, match="REC_REFERRAL_RETENTION_DAYS must be 1 or more"):
        load_config(str(tmp_path))
