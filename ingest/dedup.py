"""Persistent seen-store (SQLite): which articles were published, with which content, and each feed's HTTP state."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    canonical_url TEXT PRIMARY KEY,
    article_id    TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    revision      INTEGER NOT NULL,
    entry_stamp   TEXT,
    published_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS feeds (
    feed_id       TEXT PRIMARY KEY,
    etag          TEXT,
    last_modified TEXT
);
"""


@dataclass(frozen=True)
class Seen:
    article_id: str
    content_hash: str
    revision: int
    entry_stamp: str | None


class SeenStore:
    """Thread-safe; an article is recorded only after the broker acknowledged it (see service.py)."""

    def __init__(self, path: str | Path) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()

    def get(self, canonical_url: str) -> Seen | None:
        with self._lock:
            row = self._db.execute(
                "SELECT article_id, content_hash, revision, entry_stamp FROM articles WHERE canonical_url = ?",
                (canonical_url,),
            ).fetchone()
        return Seen(*row) if row else None

    def record(self, canonical_url: str, article_id: str, content_hash: str, revision: int, stamp: str | None) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(canonical_url) DO UPDATE SET "
                "content_hash = excluded.content_hash, revision = excluded.revision, "
                "entry_stamp = excluded.entry_stamp, published_at = excluded.published_at",
                (canonical_url, article_id, content_hash, revision, stamp, datetime.now(UTC).isoformat()),
            )

    def touch_stamp(self, canonical_url: str, stamp: str | None) -> None:
        """The entry changed its date but not its text: remember the stamp so the page is not fetched again."""
        with self._lock:
            self._db.execute("UPDATE articles SET entry_stamp = ? WHERE canonical_url = ?", (stamp, canonical_url))

    def feed_validators(self, feed_id: str) -> tuple[str | None, str | None]:
        with self._lock:
            row = self._db.execute("SELECT etag, last_modified FROM feeds WHERE feed_id = ?", (feed_id,)).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def save_feed_validators(self, feed_id: str, etag: str | None, last_modified: str | None) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO feeds VALUES (?, ?, ?) ON CONFLICT(feed_id) DO UPDATE SET etag = excluded.etag, "
                "last_modified = excluded.last_modified",
                (feed_id, etag, last_modified),
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()
