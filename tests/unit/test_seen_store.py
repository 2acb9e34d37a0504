"""The seen-store re-keys rows written under the old canonical-URL rule, so links seen before still match."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest

from ingest.canonical import CANONICAL_VERSION, canonical_url
from ingest.dedup import SCHEMA, SeenStore


def canonical_v1(link: str) -> str:
    """The urllib-only rule the first stores were keyed with (kept here as the migration's reference)."""
    parts = urlsplit(link.strip())
    host = (parts.hostname or "").lower().rstrip(".")
    port = parts.port
    netloc = host if port is None or {"http": 80, "https": 443}.get(parts.scheme.lower()) == port else f"{host}:{port}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.lower().startswith("utm_")]
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", urlencode(query, doseq=True), ""))


LINKS = [
    "https://sohr.com/?p=2&lang=en",
    "https://sohr.com/?lang=en&p=2",
    "https://sohr.com/en/./news/../12345/",
    "https://ex.org/%7euser/caf%c3%a9?utm_source=rss",
    "HTTPS://Enabbaladi.net:443/archives/700001#comments",
    "https://npasyria.com/en/45123/",
]


@pytest.mark.parametrize("link", LINKS)
def test_new_rule_applied_to_an_old_key_gives_the_new_key(link: str) -> None:
    assert canonical_url(canonical_v1(link)) == canonical_url(link)


def _old_store(path: Path, links: list[str]) -> dict[str, str]:
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    ids = {}
    for n, link in enumerate(links):
        key = canonical_v1(link)
        ids[link] = f"{n:032x}"
        db.execute("INSERT OR IGNORE INTO articles VALUES (?, ?, 'hash', 1, NULL, ?)",
                   (key, ids[link], f"2026-01-01T00:00:{n:02d}+00:00"))  # fmt: skip
    db.commit()
    db.close()
    return ids


def test_opening_an_old_store_rekeys_it_and_keeps_article_ids(tmp_path: Path) -> None:
    path = tmp_path / "seen.db"
    ids = _old_store(path, LINKS)
    store = SeenStore(path)
    for link in [
        "https://sohr.com/en/12345/",
        "https://ex.org/~user/caf%C3%A9",
        "https://enabbaladi.net/archives/700001",
    ]:
        assert store.get(canonical_url(link)) is not None, link
    # the two query orders were two rows under v1; they are one key now, and the first published one wins
    assert store.get(canonical_url(LINKS[1])).article_id == ids[LINKS[0]]  # type: ignore[union-attr]
    assert store.get(canonical_url(LINKS[5])).article_id == ids[LINKS[5]]  # type: ignore[union-attr]
    store.close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == CANONICAL_VERSION
    assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == len(LINKS) - 1
    db.close()


def test_reopening_a_migrated_store_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "seen.db"
    SeenStore(path).record(canonical_url(LINKS[0]), "a" * 32, "h", 3, None)
    again = SeenStore(path)
    seen = again.get(canonical_url(LINKS[1]))
    assert seen is not None and seen.article_id == "a" * 32 and seen.revision == 3


def test_signatures_of_another_kind_are_dropped_once_and_todays_are_kept(tmp_path: Path) -> None:
    from ingest.similar import signature

    path = tmp_path / "seen.db"
    db = sqlite3.connect(path)
    db.executescript(SCHEMA.replace("CREATE TABLE IF NOT EXISTS meta", "CREATE TABLE IF NOT EXISTS old_meta"))
    db.execute("INSERT INTO signatures (article_id, origin, hashvalues) VALUES ('old', 'old', ?)", (b"\0" * 512,))
    db.commit()
    db.close()
    store = SeenStore(path)  # a store from before signature kinds were recorded: SHA-1 input hashes
    assert store.signatures(10) == []
    sig = signature(" ".join(f"word{i}" for i in range(80)))
    assert sig is not None
    store.record_signature("new", "new", sig.hashvalues, keep=10)
    store.close()
    again = SeenStore(path)
    assert again.signatures(10) == [("new", "new", sig.hashvalues)]
    again.close()
