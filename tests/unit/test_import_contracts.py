"""The import contracts in setup.cfg hold (import-linter, run as `make test` runs it).

Models and the shared layers import no feature; features import downwards only (no cycles);
a feature reaches another only through its operations or queries module, never a private
name (tools/import_contracts.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(config: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-logo", "--no-cache", str(config)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )


def test_the_import_contracts_hold():
    result = _lint(ROOT / "setup.cfg")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "Contracts: 3 kept, 0 broken." in result.stdout


def test_the_contracts_catch_a_sideways_import(tmp_path):
    """The feature contract is not vacuous: a feature importing another's views, a
    private name, or a feature above it is reported."""
    config = (ROOT / "setup.cfg").read_text()
    probe = ROOT / "rec_portal" / "pages" / "_contract_probe.py"
    probe.write_text(
        "from rec_portal.bookings.views import my_courses  # noqa: F401\n"
        "from rec_portal.bookings.queries import _marks  # noqa: F401\n"
        "from rec_portal.reports import queries  # noqa: F401\n"
    )
    try:
        (tmp_path / "setup.cfg").write_text(config)
        result = _lint(tmp_path / "setup.cfg")
    finally:
        probe.unlink()
    assert result.returncode != 0
    assert "rec_portal.pages._contract_probe:1: from rec_portal.bookings.views import" in result.stdout
    assert "rec_portal.pages._contract_probe:2: from rec_portal.bookings.queries import" in result.stdout
    assert "rec_portal.pages is not allowed to import rec_portal.reports" in result.stdout
