import pytest

from rec_portal.security import safe_next


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "///evil.example",
        "/\\evil.example",
        "/\t/evil.example",  # what /%09/evil.example decodes to
        "https://evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/ok\r\nSet-Cookie: x=1",
        "",
        None,
    ],
)
def test_unsafe_targets_fall_back(target):
    assert safe_next(target, default="/fallback") == "/fallback"


@pytest.mark.parametrize("target", ["/my/account", "/admin/people?q=jo&page=2", "/"])
def test_own_paths_are_kept(target):
    assert safe_next(target) == target
