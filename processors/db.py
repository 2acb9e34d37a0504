"""PostgreSQL: the one owner of psycopg. Versioned migrations, event upserts and deletes, rejected records."""

from __future__ import annotations

import importlib.resources as package_files
import logging
from collections.abc import Iterable, Sequence
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from ingest.contract import Event

log = logging.getLogger(__name__)
DatabaseUnavailable = psycopg.OperationalError  # the server is down or unreachable: the batch is replayed

UPSERT = """
INSERT INTO events (event_id, status, revision, event_type, sub_event_type, date, date_end, location_name, latitude,
                    longitude, admin1, admin2, admin3, geo_precision, actors, killed, injured, sources, source_count,
                    article_count, first_reported_at, last_updated_at, confidence, record)
VALUES (%(event_id)s, %(status)s, %(revision)s, %(event_type)s, %(sub_event_type)s, %(date)s, %(date_end)s,
        %(location_name)s, %(latitude)s, %(longitude)s, %(admin1)s, %(admin2)s, %(admin3)s, %(geo_precision)s,
        %(actors)s, %(killed)s, %(injured)s, %(sources)s, %(source_count)s, %(article_count)s, %(first_reported_at)s,
        %(last_updated_at)s, %(confidence)s, %(record)s)
ON CONFLICT (event_id) DO UPDATE SET
    status = EXCLUDED.status, revision = EXCLUDED.revision, event_type = EXCLUDED.event_type,
    sub_event_type = EXCLUDED.sub_event_type, date = EXCLUDED.date, date_end = EXCLUDED.date_end,
    location_name = EXCLUDED.location_name, latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude,
    admin1 = EXCLUDED.admin1, admin2 = EXCLUDED.admin2, admin3 = EXCLUDED.admin3,
    geo_precision = EXCLUDED.geo_precision, actors = EXCLUDED.actors, killed = EXCLUDED.killed,
    injured = EXCLUDED.injured, sources = EXCLUDED.sources, source_count = EXCLUDED.source_count,
    article_count = EXCLUDED.article_count, first_reported_at = EXCLUDED.first_reported_at,
    last_updated_at = EXCLUDED.last_updated_at, confidence = EXCLUDED.confidence, record = EXCLUDED.record,
    stored_at = now()
WHERE events.revision <= EXCLUDED.revision
"""


def connect(url: str) -> psycopg.Connection[Any]:
    return psycopg.connect(url, autocommit=False)


def migrations() -> list[tuple[str, str]]:
    """(name, SQL) of processors/migrations/*.sql in name order."""
    folder = package_files.files("processors") / "migrations"
    return sorted((f.name, f.read_text(encoding="utf-8")) for f in folder.iterdir() if f.name.endswith(".sql"))


def migrate(conn: psycopg.Connection[Any]) -> list[str]:
    """Applies the migrations not applied yet, each in its own transaction; returns their names."""
    with conn.transaction():
        conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, "
                     "applied_at timestamptz NOT NULL DEFAULT now())")  # fmt: skip
    done = {row[0] for row in conn.execute("SELECT name FROM schema_migrations").fetchall()}
    conn.commit()
    applied = []
    for name, sql in migrations():
        if name in done:
            continue
        with conn.transaction():
            conn.execute(sql)
            conn.execute("INSERT INTO schema_migrations (name) VALUES (%s)", (name,))
        applied.append(name)
        log.info("migration applied", extra={"migration": name})
    return applied


def event_row(event: Event) -> dict[str, Any]:
    loc = event.location
    return {
        "event_id": event.event_id, "status": event.status, "revision": event.revision,
        "event_type": event.event_type, "sub_event_type": event.sub_event_type, "date": event.date,
        "date_end": event.date_end, "location_name": loc.name if loc else None, "latitude": loc.lat if loc else None,
        "longitude": loc.lon if loc else None, "admin1": loc.admin1 if loc else None,
        "admin2": loc.admin2 if loc else None, "admin3": loc.admin3 if loc else None,
        "geo_precision": loc.geo_precision if loc else None,
        "actors": Jsonb([a.model_dump(mode="json") for a in event.actors]), "killed": event.killed,
        "injured": event.injured, "sources": Jsonb([s.model_dump(mode="json") for s in event.sources]),
        "source_count": event.source_count, "article_count": event.article_count,
        "first_reported_at": event.first_reported_at, "last_updated_at": event.last_updated_at,
        "confidence": event.confidence, "record": Jsonb(event.model_dump(mode="json")),
    }  # fmt: skip


def apply_events(cur: psycopg.Cursor[Any], upserts: Sequence[Event], deletes: Iterable[str]) -> None:
    """Upserts (a stale revision never overwrites a newer one: replays are idempotent) and deletes (tombstones)."""
    if upserts:
        cur.executemany(UPSERT, [event_row(e) for e in upserts])
    gone = list(deletes)
    if gone:
        cur.execute("DELETE FROM events WHERE event_id = ANY(%s)", (gone,))


def reject(cur: psycopg.Cursor[Any], rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        cur.executemany(
            "INSERT INTO rejected_events (topic, partition, record_offset, key, reason, error, value) VALUES "
            "(%(topic)s, %(partition)s, %(offset)s, %(key)s, %(reason)s, %(error)s, %(value)s) "
            "ON CONFLICT (topic, partition, record_offset) DO NOTHING",
            rows,
        )


def load_events(conn: psycopg.Connection[Any], include_retracted: bool = False) -> list[Event]:
    sql = "SELECT record FROM events" + ("" if include_retracted else " WHERE status = 'active'") + " ORDER BY event_id"
    return [Event.model_validate(row[0]) for row in conn.execute(sql).fetchall()]
