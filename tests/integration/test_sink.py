"""The database sink on a real PostgreSQL (and the real broker): migrations, idempotent upserts, retractions,
tombstones, rejected records, offline mode and exports from the database."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psycopg

from ingest.contract import Event
from ingest.contract.broker import TopicPartition, ensure_topics, make_consumer, make_producer
from processors import db
from processors.consolidate import Consolidator
from processors.loop import StreamLoop, rebalance_listener
from processors.metrics import sink_metrics
from processors.settings import SinkLoopSettings
from processors.sink import DatabaseSink, decode_events
from tests.conftest import REPO
from tests.unit.test_consolidate import BINNISH, RULES, incident, snapshot


def _history() -> list[Event]:
    """Every record the events stage would publish, in order: a strike two outlets report, one retracted."""
    state = Consolidator(RULES)
    out: list[Event] = []
    for article, outlet, inc in (("a1", "sohr", incident("a1", killed=3)), ("a2", "afp", incident("a2", killed=4)),
                                 ("b1", "afp", incident("b1", BINNISH))):  # fmt: skip
        out += [c for c in state.apply(article, snapshot(article, outlet, inc)) if isinstance(c, Event)]
    out += [c for c in state.apply("b1", snapshot("b1", "afp", revision=2)) if isinstance(c, Event)]
    return out


def _rows(url: str) -> dict[str, tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT event_id, status, revision, source_count, killed, location_name FROM events")
        return {r[0]: r[1:] for r in rows.fetchall()}


def test_migrations_apply_once(database_url: str) -> None:
    with db.connect(database_url) as conn:
        assert db.migrate(conn) == ["001_events.sql"]
        assert db.migrate(conn) == []
        tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert {"events", "rejected_events", "schema_migrations"} <= tables


def test_offline_sink_is_idempotent_and_applies_retractions(database_url: str, tmp_path: Path) -> None:
    history = _history()
    source = tmp_path / "events.jsonl"
    source.write_text("".join(e.model_dump_json() + "\n" for e in history) + "{not an event}\n", encoding="utf-8")
    env = {**os.environ, "DATABASE_URL": database_url}
    for _ in range(2):  # a replay changes nothing
        result = subprocess.run([sys.executable, "-m", "processors", "sink", "--input", str(source)], env=env,
                                cwd=REPO, capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
        assert result.returncode == 0, result.stderr
        rows = _rows(database_url)
        assert sorted(v[:2] for v in rows.values()) == [("active", 2), ("retracted", 2)]
        assert {v[3] for v in rows.values() if v[0] == "active"} == {3}  # the lowest reported figure
    with psycopg.connect(database_url) as conn:
        (rejected,) = conn.execute("SELECT count(*) FROM rejected_events").fetchone()  # type: ignore[misc]
    assert rejected == 1
    exported = subprocess.run([sys.executable, "-m", "processors", "export", "--format", "acled-csv"], env=env,
                              cwd=REPO, capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    assert [r["location"] for r in csv.DictReader(io.StringIO(exported.stdout))] == ["Ariha"]


def test_stale_revisions_never_overwrite_and_tombstones_delete(database_url: str) -> None:
    history = _history()
    sink = DatabaseSink(database_url)
    from processors.records import Record

    newest = {e.event_id: e for e in history}
    records = [Record("t", 0, i, e.event_id.encode(), e.model_dump_json().encode()) for i, e in enumerate(history)]
    sink.publish(decode_events(list(reversed(records))))  # newest first: the older ones must not win
    assert {k: v[1] for k, v in _rows(database_url).items()} == {k: e.revision for k, e in newest.items()}
    retracted = next(e for e in newest.values() if e.status == "retracted")
    sink.publish(decode_events([Record("t", 0, 99, retracted.event_id.encode(), None)]))
    assert retracted.event_id not in _rows(database_url)
    sink.close()


def test_sink_service_stores_the_events_topic(kafka_bootstrap: str, unique: str, database_url: str) -> None:
    topic = f"events-{unique}"
    ensure_topics(kafka_bootstrap, {topic: 3}, compacted=[topic])
    producer = make_producer(kafka_bootstrap, "test-events")
    for event in _history():
        producer.send(topic, key=event.event_id.encode(), value=event.model_dump_json().encode())
    producer.send(topic, key=b"junk", value=b'{"event_id": 1}')
    producer.flush(timeout=30)
    producer.close()
    group = f"sink-{unique}"
    settings = SinkLoopSettings(group_id=group, input_topic=topic, max_batch_seconds=0.3)
    holder: list[StreamLoop] = []
    consumer = make_consumer(kafka_bootstrap, group, [topic],
                             listener=rebalance_listener(lambda: holder[0] if holder else None))  # fmt: skip
    metrics = sink_metrics()
    loop = StreamLoop(consumer, DatabaseSink(database_url), decode_events, metrics, settings)
    holder.append(loop)
    thread = threading.Thread(target=loop.run)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while sorted(v[:2] for v in _rows(database_url).values()) != [("active", 2), ("retracted", 2)]:
            assert time.monotonic() < deadline, _rows(database_url)
            time.sleep(0.3)
        while metrics.registry.get_sample_value("idlib_sink_dead_letters_total", {"reason": "invalid_event"}) != 1:
            assert time.monotonic() < deadline
            time.sleep(0.3)
    finally:
        loop.stop()
        thread.join(timeout=60)
    probe = make_consumer(kafka_bootstrap, group)
    committed = sum(probe.committed(TopicPartition(topic, p)) or 0 for p in range(3))
    probe.close()
    assert committed == len(_history()) + 1  # committed after the database commit, the rejected record included
    with psycopg.connect(database_url) as conn:
        (row,) = conn.execute("SELECT record FROM events WHERE status = 'active'").fetchall()
    assert json.loads(json.dumps(row[0]))["source_count"] == 2
