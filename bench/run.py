"""Time the term report page, its PDF and the prospectus PDF against the benchmark data
set, and a small one in the same run; print statement counts, timings and ratios.

    python -m bench.run [--scale 1.0] [--small-scale 0.01] [--dir /tmp]
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

from sqlalchemy import event

from bench.generate import ADMIN_EMAIL, PASSWORD, generate, make_app
from rec_portal.extensions import db

URLS = ["/admin/reports/term", "/admin/reports/term.pdf", "/admin/reports/term/waiting-lists.csv",
        "/prospectus", "/prospectus.pdf"]


def measure(path: Path) -> dict:
    app = make_app(path)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"csrf_token": token, "email": ADMIN_EMAIL, "password": PASSWORD}).status_code == 302
    results = {}
    with app.app_context():
        engine = db.engine
    for url in URLS:
        statements = []

        def count(*_args):
            statements.append(1)

        event.listen(engine, "before_cursor_execute", count)
        start = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - start
        event.remove(engine, "before_cursor_execute", count)
        assert response.status_code == 200, (url, response.status_code)
        results[url] = (len(statements), elapsed, len(response.data))
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--small-scale", type=float, default=0.01)
    parser.add_argument("--dir", type=Path, default=Path("/tmp"))
    args = parser.parse_args()
    runs = {}
    for name, scale in (("small", args.small_scale), ("target", args.scale)):
        path = args.dir / f"rec_bench_{name}.sqlite3"
        start = time.perf_counter()
        counts = generate(path, scale)
        print(f"{name}: scale {scale}: {counts} generated in {time.perf_counter() - start:.1f}s")
        runs[name] = measure(path)
    print(f"\n{'URL':42} {'stmts small':>11} {'stmts target':>12} {'s small':>8} {'s target':>9} {'ratio':>6}")
    for url in URLS:
        (qs, ts, _), (qt, tt, size) = runs["small"][url], runs["target"][url]
        print(f"{url:42} {qs:11d} {qt:12d} {ts:8.2f} {tt:9.2f} {tt / ts:6.1f}")


if __name__ == "__main__":
    main()
