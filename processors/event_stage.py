"""The consolidation stage: article snapshots -> event records, as a StreamLoop transform. Its state is one
Consolidator per input partition, rebuilt on assignment from the compacted snapshot topic itself (each article's last
snapshot is its contribution), so a restart loses nothing and republishes the same records under the same keys."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, Any

from pydantic import ValidationError

from ingest.contract import SUPPORTED_SCHEMA_VERSIONS, ArticleSnapshot, Event, Incident
from ingest.contract import topics as t
from ingest.contract.broker import KafkaError, TopicPartition, decode_headers, make_consumer
from processors.consolidate import Change, Consolidator, MergeRules, Tombstone
from processors.metrics import EventsMetrics
from processors.records import DeadLetter, Message, Record, Result

log = logging.getLogger(__name__)
PRODUCER = "idlib-events"


def decode_snapshot(record: Any) -> ArticleSnapshot | None:
    """A snapshot record -> its snapshot (None: a tombstone, the article was withdrawn); DeadLetter when malformed."""
    if record.value is None:
        if not record.key:
            raise DeadLetter("invalid_snapshot", "tombstone without a key", "EmptyKey")
        return None
    version = decode_headers(record.headers).get(t.HEADER_SCHEMA_VERSION)
    if version is not None and (not version.isdigit() or int(version) not in SUPPORTED_SCHEMA_VERSIONS):
        raise DeadLetter("unknown_schema_version", f"schema_version header {version!r}", "SchemaVersionError")
    try:
        snapshot = ArticleSnapshot.model_validate_json(record.value)
    except ValidationError as exc:
        first = exc.errors()[0]
        if first.get("type") in {"json_invalid", "json_type"}:
            raise DeadLetter("undecodable", f"not UTF-8 JSON: {first.get('msg')}", "JSONDecodeError") from exc
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise DeadLetter("invalid_snapshot", f"{where}: {first.get('msg')}", "ValidationError") from exc
    if record.key and record.key.decode("utf-8", "replace") != snapshot.article_id:
        raise DeadLetter("invalid_snapshot", "key is not the snapshot's article_id", "KeyMismatch")
    return snapshot


def event_message(change: Change, topic: str | None = None) -> Message:
    if isinstance(change, Tombstone):
        return Message(key=change.event_id.encode(), value=None, topic=topic)
    return Message(key=change.event_id.encode(), value=change.model_dump_json().encode(), topic=topic,
                   headers={t.HEADER_SCHEMA_VERSION: "1", t.HEADER_CONTENT_TYPE: "application/json",
                            t.HEADER_PRODUCER: PRODUCER})  # fmt: skip


class EventsTransform:
    """Applies each record to its partition's Consolidator once: a batch the loop replays after a failed publish
    gets the results it got the first time (the state already holds it)."""

    def __init__(self, rules: MergeRules, metrics: EventsMetrics | None = None) -> None:
        self.rules = rules
        self.metrics = metrics
        self.states: dict[tuple[str, int], Consolidator] = {}
        self._pending: dict[tuple[str, int, int], Result] = {}  # results kept until their batch is committed
        self._done: set[tuple[str, int, int]] = set()

    def state(self, topic: str, partition: int) -> Consolidator:
        return self.states.setdefault((topic, partition), Consolidator(self.rules))

    def __call__(self, records: Sequence[Any]) -> list[Result]:
        """Each record's result. Records are taken once per batch: an event changed by several snapshots of the batch
        is published once, at its last state, with the result of the last of them (the topic is compacted)."""
        results: list[Result] = []
        last: dict[tuple[tuple[str, int], str], int] = {}
        touched: list[list[str | Tombstone]] = []
        for i, record in enumerate(records):
            result, items = self._one(record)
            results.append(result)
            touched.append(items)
            for item in items:
                last[((record.topic, record.partition), item.event_id if isinstance(item, Tombstone) else item)] = i
        for i, (record, items) in enumerate(zip(records, touched, strict=True)):
            if results[i].dead is not None or (record.topic, record.partition, record.offset) in self._done:
                continue
            state = self.state(record.topic, record.partition)
            changes: list[Change] = []
            for item in items:
                key = item.event_id if isinstance(item, Tombstone) else item
                if last[((record.topic, record.partition), key)] != i:
                    continue
                change = item if isinstance(item, Tombstone) else state.record(item)
                if change is not None:
                    changes.append(change)
            results[i].messages = [event_message(c) for c in changes]
            results[i].outcome = "changed" if changes else "unchanged"
            merges, retractions = results[i].detail
            results[i].detail = (changes, merges, retractions)
            self._done.add((record.topic, record.partition, record.offset))
        return results

    def _one(self, record: Any) -> tuple[Result, list[str | Tombstone]]:
        where = (record.topic, record.partition, record.offset)
        if where in self._pending:
            return self._pending[where], []
        result = Result(record)
        items: list[str | Tombstone] = []
        try:
            snapshot = decode_snapshot(record)
        except DeadLetter as dead:
            result.dead = dead
        else:
            state = self.state(record.topic, record.partition)
            merges, retractions = state.merges, state.retractions
            article_id = snapshot.article_id if snapshot is not None else record.key.decode("utf-8", "replace")
            items = state.touch(article_id, snapshot)
            result.detail = (state.merges - merges, state.retractions - retractions)
        self._pending[where] = result
        return result, items

    def rebuild(self, topic: str, partition: int, records: Iterable[Any]) -> int:
        """Replays the committed part of a partition into a fresh state, publishing nothing."""
        state = self.states[(topic, partition)] = Consolidator(self.rules)
        count = 0
        for record in records:
            try:
                snapshot = decode_snapshot(record)
            except DeadLetter:
                continue  # it was dead-lettered when first consumed
            state.touch(snapshot.article_id if snapshot else record.key.decode("utf-8", "replace"), snapshot)
            count += 1
        state.settle()
        return count

    def drop(self, topic: str, partition: int) -> None:
        self.states.pop((topic, partition), None)
        self._pending = {k: v for k, v in self._pending.items() if (k[0], k[1]) != (topic, partition)}
        self._done = {k for k in self._done if (k[0], k[1]) != (topic, partition)}

    def after_commit(self, results: Sequence[Result]) -> None:
        for result in results:
            where = (result.record.topic, result.record.partition, result.record.offset)
            self._pending.pop(where, None)
            self._done.discard(where)
            if self.metrics is not None and result.detail is not None:
                changes, merges, retractions = result.detail
                self.metrics.merges.inc(merges)
                self.metrics.retractions.inc(retractions)
                for change in changes:
                    self.metrics.records.labels("deleted" if isinstance(change, Tombstone) else change.status).inc()
        if self.metrics is not None:
            states = list(self.states.values())
            self.metrics.active.set(sum(s.active for s in states))
            self.metrics.state_articles.set(sum(len(s.contributions) for s in states))
            self.metrics.state_events.set(sum(len(s.events) for s in states))
            marks = [s.watermark for s in states if s.watermark is not None]
            if marks:
                newest = max(marks)
                self.metrics.watermark.set(time.mktime(newest.timetuple()))


def committed_records(bootstrap: str, tp: TopicPartition, end: int, timeout_seconds: float = 120.0) -> Iterator[Any]:
    """The records of one partition from its start up to (not including) offset `end`."""
    if end <= 0:
        return
    reader = make_consumer(bootstrap, None)
    try:
        reader.assign([tp])
        reader.seek_to_beginning(tp)
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            batch = reader.poll(timeout_ms=500).get(tp, [])
            for record in batch:
                if record.offset >= end:
                    return
                yield record
            if reader.position(tp) >= end:
                return
        raise KafkaError(f"rebuilding {tp} did not reach offset {end} in {timeout_seconds}s")
    finally:
        reader.close()


def rebuild_on_assignment(bootstrap: str, consumer: Any, transform: EventsTransform) -> Callable[[Any], None]:
    def on_assigned(assigned: Sequence[TopicPartition]) -> None:
        for tp in assigned:
            end = consumer.committed(tp) or 0
            started = time.monotonic()
            count = transform.rebuild(tp.topic, tp.partition, committed_records(bootstrap, tp, end))
            log.info("event state rebuilt", extra={"partition": tp.partition, "snapshots": count, "offset": end,
                                                   "seconds": round(time.monotonic() - started, 3)})  # fmt: skip

    return on_assigned


def drop_on_revocation(transform: EventsTransform) -> Callable[[Any], None]:
    def on_revoked(revoked: Sequence[TopicPartition]) -> None:
        for tp in revoked:
            transform.drop(tp.topic, tp.partition)

    return on_revoked


# -- offline: `events --input INCIDENTS.jsonl --output EVENTS.jsonl` ------------------------------------------------
def snapshot_from_extract_line(row: dict[str, Any], revision: int, region: str) -> ArticleSnapshot:
    """An `extract` output line {"id", "incidents"} as the snapshot of that article's `revision`-th version."""
    incidents = [Incident.model_validate(i) for i in row.get("incidents") or []]
    first = incidents[0].source if incidents else None
    return ArticleSnapshot(article_id=str(row["id"]), revision=revision, url=first.url if first else None,
                           source_name=first.source_name if first else None,
                           published_at=first.published_at if first else None, region=region,
                           duplicate_of=row.get("duplicate_of"), incidents=incidents)  # fmt: skip


def run_offline_events(source: IO[str], sink: IO[str], rules: MergeRules, region: str) -> dict[str, int]:
    """Reads extract output in order (a later line with the same id is that article's next revision) and writes the
    final state: one line per event_id, retracted events included, by event_id."""
    transform = EventsTransform(rules)
    seen: dict[str, int] = {}
    final: dict[str, Event] = {}
    bad = 0
    for number, line in enumerate(source, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if row.get("error"):
                raise ValueError(row["error"])
            seen[str(row["id"])] = seen.get(str(row["id"]), 0) + 1
            snapshot = snapshot_from_extract_line(row, seen[str(row["id"])], region)
        except (ValueError, KeyError, TypeError, ValidationError) as exc:
            bad += 1
            log.warning("bad input line", extra={"line": number, "reason": str(exc)[:200]})
            continue
        record = Record("-", 0, number, snapshot.article_id.encode(), snapshot.model_dump_json().encode())
        for change in transform([record])[0].detail[0]:  # batches of one: every record as it comes
            if not isinstance(change, Tombstone):  # offline keeps retracted events past their retention
                final[change.event_id] = change
    for event_id in sorted(final):
        sink.write(final[event_id].model_dump_json() + "\n")
    sink.flush()
    return {"articles": len(seen), "events": len(final), "bad_lines": bad}
