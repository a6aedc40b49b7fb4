"""The shared cache (rec_portal/web/cache.py): text and bytes kept, bounded in memory, and
shared through Redis between two apps (as between two servers)."""

from __future__ import annotations

from rec_portal import create_app
from rec_portal.web import cache
from tests.conftest import test_config


def test_text_and_bytes_come_back_as_they_went_in(app_ctx):
    calls = []

    def make():
        calls.append(1)
        return "<p>Staying Safe</p>"

    assert cache.get_or_make("page", cache.key_digest("course", 1, 8), make) == "<p>Staying Safe</p>"
    assert cache.get_or_make("page", cache.key_digest("course", 1, 8), make) == "<p>Staying Safe</p>"
    assert calls == [1]
    # A key that names another state (a place taken: 7 left) makes the page afresh.
    assert cache.get_or_make("page", cache.key_digest("course", 1, 7), lambda: "seven") == "seven"
    cache.put("pdf", "k", b"%PDF-1.7 \x00\xff")
    assert cache.get("pdf", "k") == b"%PDF-1.7 \x00\xff"
    assert cache.get("pdf", "other") is None


def test_memory_cache_drops_the_least_recently_used_beyond_its_room():
    room = cache.MemoryCache(max_bytes=100, seconds=60)
    room.set("a", b"x" * 20)
    room.set("b", b"y" * 20)
    assert room.get("a") == b"x" * 20  # a is now the most recently used
    for key in "cdef":
        room.set(key, b"z" * 20)
    assert room.size <= 100
    assert room.get("b") is None and room.get("a") is not None
    room.set("huge", b"h" * 60)  # more than a quarter of the room: never kept
    assert room.get("huge") is None


def test_memory_cache_entries_expire():
    room = cache.MemoryCache(max_bytes=1000, seconds=-1)
    room.set("a", b"x")
    assert room.get("a") is None and room.size == 0


def test_two_apps_on_one_redis_share_entries(tmp_path, redis_url):
    first = create_app(test_config(f"sqlite:///{tmp_path / 'a.sqlite3'}", REC_REDIS_URL=redis_url))
    second = create_app(test_config(f"sqlite:///{tmp_path / 'b.sqlite3'}", REC_REDIS_URL=redis_url))
    with first.app_context():
        cache.clear()
        cache.put("page", "shared", "made by the first server")
    with second.app_context():
        assert cache.get("page", "shared") == "made by the first server"
        cache.clear()
        assert cache.get("page", "shared") is None


def test_a_redis_that_is_down_only_costs_time(tmp_path):
    app = create_app(test_config(f"sqlite:///{tmp_path / 'c.sqlite3'}", REC_REDIS_URL="redis://127.0.0.1:1/0"))
    with app.app_context():
        assert cache.get_or_make("page", "k", lambda: "made afresh") == "made afresh"


def test_a_changed_phone_number_starts_the_keys_afresh(tmp_path, redis_url):
    """Two servers sharing one Redis: after the REC's phone number changes on the next
    release, no page made with the old number is served."""
    old = create_app(test_config(f"sqlite:///{tmp_path / 'd.sqlite3'}", REC_REDIS_URL=redis_url,
                                 REC_CONTACT_PHONE="0300 000 0001"))
    new = create_app(test_config(f"sqlite:///{tmp_path / 'e.sqlite3'}", REC_REDIS_URL=redis_url,
                                 REC_CONTACT_PHONE="0300 000 0002"))
    with old.app_context():
        cache.put("page", "home", "call 0300 000 0001")
    with new.app_context():
        assert cache.get("page", "home") is None
