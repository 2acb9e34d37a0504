"""Backfill: re-run extraction over the articles published in a time range, by replaying the articles topic from a
timestamp in a consumer group of its own (resumable: it commits as it goes), with a progress bar and an ETA."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from tqdm import tqdm  # type: ignore[import-untyped]

from ingest.contract.broker import TopicPartition, make_consumer, make_producer
from processors.extract import Extractor
from processors.loop import KafkaSink, StreamLoop, Transform
from processors.metrics import ProcessorMetrics
from processors.records import Result
from processors.settings import LoopSettings
from processors.worker import ExtractionTransform, count_outcomes, incident_messages, with_snapshot, withdrawal

log = logging.getLogger(__name__)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def bounds(consumer: Any, topic: str, since: datetime, until: datetime | None) -> dict[TopicPartition, tuple[int, int]]:
    """Per partition: (first offset at or after `since`, first offset at or after `until`, else the current end)."""
    parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
    ends = consumer.end_offsets(parts)
    starts = consumer.offsets_for_times({tp: _ms(since) for tp in parts})
    stops = consumer.offsets_for_times({tp: _ms(until) for tp in parts}) if until else {}
    out = {}
    for tp in parts:
        start = starts[tp].offset if starts.get(tp) is not None else ends[tp]
        stop = stops[tp].offset if stops.get(tp) is not None else ends[tp]
        out[tp] = (start, max(start, stop))
    return out


def bounded(transform: Transform, stop: dict[tuple[str, int], int]) -> Transform:
    """Records at or past their partition's stop offset are passed over (committed, nothing published)."""

    def inner(records: Sequence[Any]) -> list[Result]:
        inside = [r for r in records if r.offset < stop[(r.topic, r.partition)]]
        done = {id(r): res for r, res in zip(inside, transform(inside), strict=True)}
        return [done.get(id(r)) or Result(r, outcome="beyond_range") for r in records]

    return inner


def run_backfill(bootstrap: str, extractor: Extractor, settings: LoopSettings, since: datetime,
                 until: datetime | None, group: str, progress: bool = True) -> int:  # fmt: skip
    """Replays [since, until) of the input topic through the worker's transform; returns the records processed."""
    consumer = make_consumer(bootstrap, group, max_poll_records=settings.max_batch_records)
    ranges = bounds(consumer, settings.input_topic, since, until)
    plan: dict[TopicPartition, tuple[int, int]] = {}
    for tp, (start, stop) in ranges.items():
        resumed = consumer.committed(tp)  # an interrupted backfill of the same group carries on where it stopped
        first = max(start, resumed) if resumed is not None else start
        if first < stop:
            plan[tp] = (first, stop)
    total = sum(stop - first for first, stop in plan.values())
    log.info("backfill planned", extra={"group": group, "records": total, "partitions": len(plan),
                                        "since": since.isoformat(), "until": until.isoformat() if until else None})  # fmt: skip
    if not plan:
        consumer.close()
        return 0
    consumer.assign(list(plan))
    for tp, (first, _) in plan.items():
        consumer.seek(tp, first)
    metrics = ProcessorMetrics.create()
    region = extractor.resources.lexicon.region
    snapshots = settings.snapshot_topic
    transform = ExtractionTransform(extractor, metrics.loop,
                                    encode=with_snapshot(snapshots, region) if snapshots else incident_messages,
                                    on_tombstone=withdrawal(snapshots, region) if snapshots else None)  # fmt: skip
    stop_at = {(tp.topic, tp.partition): last for tp, (_, last) in plan.items()}
    sink = KafkaSink(make_producer(bootstrap, client_id=f"{group}-producer"), settings.output_topic,
                     settings.dead_letter_topic, settings.publish_timeout_seconds)  # fmt: skip
    bar = tqdm(total=total, unit="article", desc="backfill", disable=not progress)
    counted = count_outcomes(metrics)
    done = 0
    holder: list[StreamLoop] = []

    def after_commit(results: Sequence[Result]) -> None:
        nonlocal done
        counted(results)
        inside = sum(1 for r in results if r.outcome != "beyond_range")
        done += inside
        bar.update(inside)
        positions = {tp: consumer.position(tp) for tp in plan}
        if all(positions[tp] >= last for tp, (_, last) in plan.items()):
            holder[0].stop()

    loop = StreamLoop(consumer, sink, bounded(transform, stop_at), metrics.loop, settings, after_commit=after_commit)
    holder.append(loop)
    try:
        loop.run()
    finally:
        bar.close()
    log.info("backfill finished", extra={"group": group, "records": done})
    return done
