"""Persistent seen-store (SQLite): which articles were published, with which content, and each feed's HTTP state."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ingest.canonical import CANONICAL_VERSION, canonical_url
from ingest.similar import SIGNATURE_KIND, NearDuplicates, Signature

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    canonical_url TEXT PRIMARY KEY,
    article_id    TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    revision      INTEGER NOT NULL,
    entry_stamp   TEXT,
    published_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS signatures (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id    TEXT NOT NULL UNIQUE,
    origin        TEXT NOT NULL,
    hashvalues    BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key           TEXT PRIMARY KEY,
    value         TEXT NOT NULL
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


def rekey(db: sqlite3.Connection, canonical: Callable[[str], str]) -> tuple[int, int]:
    """Re-key every article row by the current canonical rule, keeping each row's article_id, so a link seen under
    an older rule still matches. Rows that now share a key collapse into the first published. Returns (changed,
    merged)."""
    rows = db.execute("SELECT rowid, canonical_url FROM articles ORDER BY published_at, rowid").fetchall()
    kept: dict[str, int] = {}
    changed = merged = 0
    for rowid, old in rows:
        new = canonical(old)
        if new in kept:
            db.execute("DELETE FROM articles WHERE rowid = ?", (rowid,))
            merged += 1
            continue
        kept[new] = rowid
        if new != old:
            changed += 1
    for rowid in kept.values():  # two passes: a new key may equal another row's old key
        db.execute("UPDATE articles SET canonical_url = ? WHERE rowid = ?", (f"\x00{rowid}", rowid))
    for new, rowid in kept.items():
        db.execute("UPDATE articles SET canonical_url = ? WHERE rowid = ?", (new, rowid))
    return changed, merged


class SeenStore:
    """Thread-safe; an article is recorded only after the broker acknowledged it (see service.py).

    PRAGMA user_version holds the canonical-URL rule version the keys were written with; opening a store written
    under an older rule re-keys it in one transaction (rekey)."""

    def __init__(self, path: str | Path) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: a commit survives a crash of the process; only a power cut can lose the last ones, and then
        # those articles are published again under the same key (consumers see a repeat, never a loss)
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()
        self._migrate()

    @contextmanager
    def _immediate(self) -> Iterator[None]:
        """One write transaction (a migration): all of it or nothing."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _migrate(self) -> None:
        self._migrate_signatures()
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version >= CANONICAL_VERSION:
            return
        with self._immediate():
            changed, merged = rekey(self._db, canonical_url)
            self._db.execute(f"PRAGMA user_version = {CANONICAL_VERSION}")
        if changed or merged:
            log.info("seen-store re-keyed to the current canonical URL rule",
                     extra={"from_version": version, "to_version": CANONICAL_VERSION, "changed": changed,
                            "merged": merged})  # fmt: skip

    def _migrate_signatures(self) -> None:
        """Signatures made another way (before the kind was recorded: SHA-1 input hashes) cannot be compared with
        today's, so they are dropped: copies of those older articles go unmarked, nothing else changes."""
        row = self._db.execute("SELECT value FROM meta WHERE key = 'signature_kind'").fetchone()
        if row is not None and row[0] == SIGNATURE_KIND:
            return
        with self._immediate():
            dropped = self._db.execute("DELETE FROM signatures").rowcount
            self._db.execute("INSERT INTO meta VALUES ('signature_kind', ?) ON CONFLICT(key) DO UPDATE SET "
                             "value = excluded.value", (SIGNATURE_KIND,))  # fmt: skip
        if dropped:
            log.warning("near-duplicate signatures of an older kind dropped; copies of those articles go unmarked",
                        extra={"from_kind": row[0] if row else "sha1", "to_kind": SIGNATURE_KIND, "dropped": dropped})  # fmt: skip

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

    def record_signature(self, article_id: str, origin: str, hashvalues: bytes, keep: int) -> None:
        """The article's near-duplicate signature (ingest/similar.py); a revision moves it to the newest place.
        Only the newest `keep` signatures stay."""
        with self._lock:
            self._db.execute("DELETE FROM signatures WHERE article_id = ?", (article_id,))
            cursor = self._db.execute("INSERT INTO signatures (article_id, origin, hashvalues) VALUES (?, ?, ?)",
                                      (article_id, origin, hashvalues))  # fmt: skip
            self._db.execute("DELETE FROM signatures WHERE seq <= ?", ((cursor.lastrowid or 0) - keep,))

    def signatures(self, newest: int) -> list[tuple[str, str, bytes]]:
        """The newest signatures (article_id, origin, hashvalues), oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT article_id, origin, hashvalues FROM signatures ORDER BY seq DESC LIMIT ?", (newest,)
            ).fetchall()
        return [(a, o, bytes(h)) for a, o, h in reversed(rows)]

    def near_duplicates(self, threshold: float, capacity: int) -> NearDuplicates:
        """The copy index, rebuilt from the newest stored signatures (a restart still knows what it published)."""
        index = NearDuplicates(threshold, capacity)
        for article_id, origin, hashvalues in self.signatures(capacity):
            index.add(article_id, Signature(hashvalues), origin)
        return index

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
