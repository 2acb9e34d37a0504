"""The database sink stage: event records -> the PostgreSQL `events` table, as a StreamLoop transform and Sink. The
loop commits offsets only after the database transaction commits; replays are idempotent (revision-guarded upserts)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from ingest.contract import BrokerUnavailable, Event
from processors import db
from processors.records import DeadLetter, Result

log = logging.getLogger(__name__)


def decode_events(records: Sequence[Any]) -> list[Result]:
    """Each record's Event (detail), a tombstone (detail None, outcome deleted), or a dead letter."""
    results = []
    for record in records:
        result = Result(record)
        if record.value is None:
            result.outcome = "deleted"
        else:
            try:
                result.detail = Event.model_validate_json(record.value)
                result.outcome = result.detail.status
            except ValidationError as exc:
                first = exc.errors()[0]
                result.dead = DeadLetter("invalid_event", f"{'.'.join(map(str, first.get('loc', ())))}: "
                                         f"{first.get('msg')}", "ValidationError")  # fmt: skip
        results.append(result)
    return results


def count_watches(watches: tuple[Any, ...], counter: Any) -> Any:
    """The after-commit hook: each stored active event inside a watch counts once per record."""
    from processors.watches import watching

    def after_commit(results: Sequence[Result]) -> None:
        for result in results:
            if result.dead is None and isinstance(result.detail, Event):
                for name in watching(watches, result.detail):
                    counter.labels(name).inc()

    return after_commit


class DatabaseSink:
    """Writes a batch in one transaction: upserts, deletes, and unreadable records into rejected_events."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.conn = db.connect(url)
        db.migrate(self.conn)

    def publish(self, results: Sequence[Result]) -> None:
        latest: dict[str, Event | None] = {}
        rejected = []
        for result in results:
            record = result.record
            if result.dead is not None:
                log.warning("event record rejected", extra={"reason": result.dead.reason, "offset": record.offset,
                                                            "error": str(result.dead)[:200]})  # fmt: skip
                rejected.append({"topic": record.topic, "partition": record.partition, "offset": record.offset,
                                 "key": record.key.decode("utf-8", "replace") if record.key else None,
                                 "reason": result.dead.reason, "error": str(result.dead)[:500], "value": record.value})  # fmt: skip
                continue
            key = record.key.decode("utf-8", "replace") if record.key else result.detail.event_id
            current = latest.get(key)
            if result.detail is None or current is None or current.revision <= result.detail.revision:
                latest[key] = result.detail
        try:
            with self.conn.transaction(), self.conn.cursor() as cur:
                db.apply_events(cur, [e for e in latest.values() if e is not None],
                                [k for k, e in latest.items() if e is None])  # fmt: skip
                db.reject(cur, rejected)
        except db.DatabaseUnavailable as exc:
            self._reconnect()
            raise BrokerUnavailable(f"database unavailable: {exc}") from exc

    def _reconnect(self) -> None:
        try:
            self.conn.close()
        finally:
            try:
                self.conn = db.connect(self.url)
            except db.DatabaseUnavailable:
                log.warning("database still unavailable; the batch will be replayed")

    def close(self) -> None:
        self.conn.close()
