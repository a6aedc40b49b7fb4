from rec_portal.markdown import render_markdown


def test_formatting_survives():
    html = render_markdown("Hello **there**\n\n- one\n- two\n\n[REC](https://example.org)")
    assert "<strong>there</strong>" in html and "<li>one</li>" in html
    assert '<a href="https://example.org" rel="noopener noreferrer">REC</a>' in html


def test_scripts_and_dangerous_links_are_removed():
    html = render_markdown('<script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1)) <b hx-post="/x">b</b>')
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html
    assert "hx-post" not in html and "<img" not in html
