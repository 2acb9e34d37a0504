"""Follows the incidents topic and prints each incident as a table row or a JSON line."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

from pydantic import ValidationError

from ingest.contract import Incident
from ingest.contract.broker import KafkaConsumer, TopicPartition

COLUMNS = (("date", 10), ("type", 48), ("place", 28), ("actors", 44), ("k/i", 7), ("source", 30))


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def header() -> str:
    return "  ".join(name.ljust(width) for name, width in COLUMNS)


def row(incident: Incident) -> str:
    """One readable line: date, type, place, actors, killed/injured, source."""
    loc = incident.location
    place = "-" if loc is None else f"{loc.name} ({loc.admin2 or loc.admin1 or ''})".replace(" ()", "")
    actors = " vs ".join(a.name for a in incident.actors if a.role in ("actor1", "actor2")) or "-"

    def n(value: int | None) -> str:
        return "?" if value is None else str(value)

    source = incident.source.source_name or incident.source.url or "-"
    cells = [incident.date.isoformat(), f"{incident.event_type}: {incident.sub_event_type}", place, actors,
             f"{n(incident.killed)}/{n(incident.injured)}", source]  # fmt: skip
    return "  ".join(_cut(cell, width).ljust(width) for cell, (_, width) in zip(cells, COLUMNS, strict=True))


def follow(consumer: KafkaConsumer, topic: str, out: TextIO, as_json: bool, from_beginning: bool,
           max_incidents: int | None = None, idle_timeout_seconds: float | None = None,
           stopping: Callable[[], bool] = lambda: False) -> int:  # fmt: skip
    """Print incidents as they arrive; returns how many were printed."""
    partitions = consumer.partitions_for_topic(topic) or set()
    tps = [TopicPartition(topic, p) for p in sorted(partitions)]
    consumer.assign(tps)
    (consumer.seek_to_beginning if from_beginning else consumer.seek_to_end)(*tps)
    if not as_json:
        out.write(header() + "\n")
        out.flush()
    printed = 0
    last = time.monotonic()
    while not stopping():
        for batch in consumer.poll(timeout_ms=500).values():
            for record in batch:
                try:
                    incident = Incident.model_validate_json(record.value)
                except ValidationError:
                    continue
                out.write((incident.model_dump_json() if as_json else row(incident)) + "\n")
                out.flush()
                printed += 1
                last = time.monotonic()
                if max_incidents is not None and printed >= max_incidents:
                    return printed
        if idle_timeout_seconds is not None and time.monotonic() - last > idle_timeout_seconds:
            break
    return printed
