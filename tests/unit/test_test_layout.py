"""The tests' own layout (issue 15): no test module imports another test module. Shared
data comes from tests/factories.py (and tests/scenarios.py, tests/feedback.py), fixtures and
browser helpers from the conftest files, other helpers from small modules not named test_*."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent


def _is_test_module(dotted: str) -> bool:
    return dotted.split(".")[-1].startswith("test_")


def _is_module(dotted: str) -> bool:
    """Whether ``tests.x.y`` names a module file (not a function such as conftest.test_config)."""
    return (TESTS.parent / (dotted.replace(".", "/") + ".py")).exists()


def imports_of_test_modules(source: str, package: str = "tests") -> list[str]:
    """The test modules ``source`` (a module of ``package``) imports, at any depth (imports
    inside functions count too)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("tests.") and _is_test_module(a.name)]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module != "tests" and not module.startswith("tests."):
                continue
            if _is_test_module(module):
                found.append(module)
            else:  # from tests.web import test_workshops
                found += [f"{module}.{a.name}" for a in node.names
                          if _is_test_module(a.name) and _is_module(f"{module}.{a.name}")]
    return found


def test_the_check_sees_each_way_of_importing_a_test_module():
    caught = imports_of_test_modules(
        "from tests.web.test_workshops import _world\n"
        "import tests.unit.test_roster_rules\n"
        "from tests.browser import test_account_journeys\n"
        "def f():\n    from .test_drafts import _timed_out\n",
        package="tests.web",
    )
    assert caught == ["tests.web.test_workshops", "tests.unit.test_roster_rules",
                      "tests.browser.test_account_journeys", "tests.web.test_drafts"]
    assert imports_of_test_modules(
        "from tests import factories\nfrom tests.conftest import csrf_from, test_config\n"
        "from tests.browser.conftest import heading\nimport pytest\nfrom rec_portal.models import test_x\n"
    ) == []


def test_no_test_module_imports_another():
    offenders = {
        str(path.relative_to(TESTS.parent)): imported
        for path in sorted(TESTS.rglob("*.py"))
        if (imported := imports_of_test_modules(
            path.read_text(encoding="utf-8"), ".".join(path.relative_to(TESTS.parent).parent.parts)))
    }
    assert offenders == {}, (
        "move what they share to tests/factories.py, a conftest.py or a helper module: " + repr(offenders)
    )
