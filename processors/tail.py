"""Follows the incidents (or events) topic and prints each record as a table row or a JSON line."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

from pydantic import ValidationError

from ingest.contract import Event, Incident
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


EVENT_COLUMNS = (("date", 10), ("status", 9), ("type", 48), ("place", 28), ("k/i", 7), ("sources", 50))


def event_header() -> str:
    return "  ".join(name.ljust(width) for name, width in EVENT_COLUMNS)


def event_row(event: Event) -> str:
    """One readable line per event record: date, status, type, place, figures, and its outlets."""
    loc = event.location
    place = "-" if loc is None else loc.name

    def n(value: int | None) -> str:
        return "?" if value is None else str(value)

    outlets = sorted({s.outlet or s.article_id for s in event.sources})
    sources = f"{event.source_count} outlet(s), {event.article_count} article(s): {', '.join(outlets)}"
    cells = [event.date.isoformat(), event.status, f"{event.event_type}: {event.sub_event_type}", place,
             f"{n(event.killed)}/{n(event.injured)}", sources]  # fmt: skip
    return "  ".join(_cut(cell, width).ljust(width) for cell, (_, width) in zip(cells, EVENT_COLUMNS, strict=True))


def follow(consumer: KafkaConsumer, topic: str, out: TextIO, as_json: bool, from_beginning: bool,
           max_incidents: int | None = None, idle_timeout_seconds: float | None = None,
           stopping: Callable[[], bool] = lambda: False, events: bool = False) -> int:  # fmt: skip
    """Print incidents (events: event records) as they arrive; returns how many were printed."""
    partitions = consumer.partitions_for_topic(topic) or set()
    tps = [TopicPartition(topic, p) for p in sorted(partitions)]
    consumer.assign(tps)
    (consumer.seek_to_beginning if from_beginning else consumer.seek_to_end)(*tps)
    if not as_json:
        out.write((event_header() if events else header()) + "\n")
        out.flush()
    printed = 0
    last = time.monotonic()
    while not stopping():
        for batch in consumer.poll(timeout_ms=500).values():
            for record in batch:
                if record.value is None:
                    continue
                try:
                    item: Incident | Event = (Event if events else Incident).model_validate_json(record.value)
                except ValidationError:
                    continue
                text = (
                    item.model_dump_json() if as_json else (event_row(item) if isinstance(item, Event) else row(item))
                )
                out.write(text + "\n")
                out.flush()
                printed += 1
                last = time.monotonic()
                if max_incidents is not None and printed >= max_incidents:
                    return printed
        if idle_timeout_seconds is not None and time.monotonic() - last > idle_timeout_seconds:
            break
    return printed
