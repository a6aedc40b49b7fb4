"""The benchmark (bench/, `make bench`) still builds its data set and measures every URL it
times, so it keeps working as the models change. A tiny scale; the timings are not checked."""

from __future__ import annotations

from bench.generate import generate
from bench.run import URLS, measure


def test_the_benchmark_builds_its_data_and_every_url_answers(tmp_path):
    path = tmp_path / "bench.sqlite3"
    counts = generate(path, scale=0.005)
    # 100 students, 3 courses, 15 sessions; bookings beyond a session's places wait or cancel;
    # every response comes from someone marked present.
    assert counts["students"] == 100 and counts["courses"] == 3 and counts["sessions"] == 15
    assert counts["bookings"] == 15 * (1000 // 15)
    assert 0 < counts["responses"] <= min(250, counts["attendance"])
    results = measure(path)
    assert set(results) == set(URLS)
    for url, (statements, _seconds, size) in results.items():
        assert statements > 0 and size > 0, url
