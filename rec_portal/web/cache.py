"""One cache for what is costly to make and the same for everyone: rendered public pages
and fragments, the prospectus PDF.

    from rec_portal.web import cache
    body = cache.get_or_make(("prospectus.pdf", digest), make_pdf)

**The key is the rule.** A key names everything the cached thing shows (a digest of the
rows it was made from: course versions, session times, places left), so when any of that
changes the key changes and the old entry is never read again. Nothing is ever
"invalidated": there is no stale window, not even a second, and two servers cannot
disagree. Entries also expire after ``REC_CACHE_SECONDS`` so old keys fall away.

**Never cache what belongs to one person.** Pages for someone signed in, anything with a
name, a booking of theirs or a CSRF token in it, must not go through here.

Backends: in the process (the default; bounded by ``REC_CACHE_MAX_BYTES`` per worker,
least recently used dropped first), or Redis when ``REC_REDIS_URL`` is set, shared by every
worker and server. A Redis that is down is logged and the thing is made afresh: the cache
only ever saves time.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from typing import Any, Callable

from flask import Flask, current_app

_EXTENSION = "rec_cache"
# Settings that public pages and the prospectus show.
SHOWN_SETTINGS = ("REC_SERVICE_NAME", "REC_CONTACT_EMAIL", "REC_CONTACT_PHONE", "REC_BASE_URL",
                  "REC_QUICK_EXIT_URL", "REC_REFERRAL_CONTACT_DAYS")


def key_digest(*parts: Any) -> str:
    """A short stable digest of ``parts`` (anything with a stable ``repr``: numbers,
    strings, dates, tuples of them)."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


class MemoryCache:
    """Least-recently-used, bounded by total size in bytes; one per worker process."""

    def __init__(self, max_bytes: int, seconds: int) -> None:
        self.max_bytes, self.seconds = max_bytes, seconds
        self._items: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            expires, value = item
            if expires < time.monotonic():
                self._drop(key)
                return None
            self._items.move_to_end(key)
            return value

    def set(self, key: str, value: bytes) -> None:
        if len(value) > self.max_bytes // 4:
            return  # one entry never takes more than a quarter of the room
        with self._lock:
            if key in self._items:
                self._drop(key)
            self._items[key] = (time.monotonic() + self.seconds, value)
            self._size += len(value)
            while self._size > self.max_bytes and self._items:
                self._drop(next(iter(self._items)))

    def _drop(self, key: str) -> None:
        _expires, value = self._items.pop(key)
        self._size -= len(value)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._size = 0

    @property
    def size(self) -> int:
        return self._size


class RedisCache:
    """Shared by every worker and server. Errors are logged and count as a miss."""

    def __init__(self, url: str, seconds: int, prefix: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.seconds, self.prefix = seconds, prefix

    def get(self, key: str) -> bytes | None:
        try:
            return self.client.get(self.prefix + key)
        except Exception:  # noqa: BLE001 - the cache only ever saves time
            current_app.logger.warning("cache: Redis unavailable on read", exc_info=True)
            return None

    def set(self, key: str, value: bytes) -> None:
        try:
            self.client.set(self.prefix + key, value, ex=self.seconds)
        except Exception:  # noqa: BLE001
            current_app.logger.warning("cache: Redis unavailable on write", exc_info=True)

    def clear(self) -> None:
        try:
            for key in self.client.scan_iter(match=self.prefix + "*", count=500):
                self.client.delete(key)
        except Exception:  # noqa: BLE001
            current_app.logger.warning("cache: Redis unavailable on clear", exc_info=True)


def init_cache(app: Flask) -> None:
    seconds = int(app.config.get("REC_CACHE_SECONDS", 3600))
    url = app.config.get("REC_REDIS_URL")
    if url:
        backend = RedisCache(url, seconds, prefix=app.config.get("REC_CACHE_PREFIX", "rec:cache:"))
    else:
        backend = MemoryCache(int(app.config.get("REC_CACHE_MAX_BYTES", 32 * 1024 * 1024)), seconds)
    app.extensions[_EXTENSION] = backend
    # The code and templates, and the settings that pages print (the REC's phone number,
    # its address...): a change to either starts every key afresh.
    shown_settings = tuple(str(app.config.get(name)) for name in SHOWN_SETTINGS)
    app.extensions[_EXTENSION + "_release"] = key_digest(_release_digest(app), shown_settings)[:12]


def backend():
    return current_app.extensions[_EXTENSION]


def get(namespace: str, key: str) -> str | bytes | None:
    """Text or bytes (never pickled objects: what Redis holds is not trusted as code)."""
    raw = backend().get(f"{_release()}:{namespace}:{key}")
    if raw is None:
        return None
    kind, body = raw[:1], raw[1:]
    return body.decode() if kind == b"s" else body


def put(namespace: str, key: str, value: str | bytes) -> None:
    raw = b"s" + value.encode() if isinstance(value, str) else b"b" + bytes(value)
    backend().set(f"{_release()}:{namespace}:{key}", raw)


def _release() -> str:
    """Part of every key: the code and templates that made an entry, so a deploy never
    serves pages made by the old templates (matters with a shared Redis)."""
    return current_app.extensions[_EXTENSION + "_release"]


def _release_digest(app: Flask) -> str:
    from pathlib import Path

    root = Path(app.root_path)
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.suffix in {".html", ".jinja", ".py", ".txt"} and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def get_or_make(namespace: str, key: str, make: Callable[[], str | bytes]) -> str | bytes:
    """The cached value for ``namespace:key``, or ``make()`` stored under it.

    ``key`` must change whenever what ``make`` would return changes (see the module
    docstring); build it with ``key_digest``."""
    value = get(namespace, key)
    if value is None:
        value = make()
        put(namespace, key, value)
    return value


def clear() -> None:
    """Drop everything (tests; after a deploy that changes templates, keys carry the
    release so this is not needed)."""
    backend().clear()
