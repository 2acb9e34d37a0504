"""Event records -> ACLED-style CSV, GeoJSON or JSON lines, for analysts to union with ACLED downloads (pure)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from ingest.contract import Event

# ACLED's export columns, in ACLED's order (ACLED codebook, "ACLED data columns").
ACLED_COLUMNS = (
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type", "sub_event_type",
    "actor1", "assoc_actor_1", "actor2", "country", "admin1", "admin2", "admin3", "location", "latitude",
    "longitude", "geo_precision", "source", "source_scale", "notes", "fatalities", "timestamp",
)  # fmt: skip
# ACLED's disorder types by event type.
DISORDER = {
    "Battles": "Political violence", "Explosions/Remote violence": "Political violence",
    "Violence against civilians": "Political violence", "Protests": "Demonstrations", "Riots": "Demonstrations",
    "Strategic developments": "Strategic developments",
}  # fmt: skip
FORMATS = ("acled-csv", "geojson", "jsonl")


def selected(events: Iterable[Event], include_retracted: bool = False) -> list[Event]:
    """Active events (all with include_retracted), by date then id."""
    return sorted((e for e in events if include_retracted or e.status == "active"), key=lambda e: (e.date, e.event_id))


def acled_row(event: Event) -> dict[str, Any]:
    loc = event.location
    actor1 = next((a.name for a in event.actors if a.role == "actor1"), "")
    actor2 = next((a.name for a in event.actors if a.role == "actor2"), "")
    associated = "; ".join(a.name for a in event.actors if a.role == "associated")
    outlets = "; ".join(dict.fromkeys(s.outlet or s.article_id for s in event.sources))
    notes = event.sources[0].evidence if event.sources else ""
    stamp = event.last_updated_at or event.first_reported_at
    return {
        "event_id_cnty": f"SYRIDS{event.event_id[:10].upper()}", "event_date": event.date.isoformat(),
        "year": event.date.year, "time_precision": 2 if event.date_end else 1,
        "disorder_type": DISORDER[event.event_type], "event_type": event.event_type,
        "sub_event_type": event.sub_event_type, "actor1": actor1, "assoc_actor_1": associated, "actor2": actor2,
        "country": "Syria", "admin1": loc.admin1 if loc else "", "admin2": (loc.admin2 or "") if loc else "",
        "admin3": (loc.admin3 or "") if loc else "", "location": loc.name if loc else "",
        "latitude": loc.lat if loc else "", "longitude": loc.lon if loc else "",
        "geo_precision": loc.geo_precision if loc else "", "source": outlets, "source_scale": "",
        "notes": notes, "fatalities": event.killed or 0, "timestamp": int(stamp.timestamp()) if stamp else "",
    }  # fmt: skip


def to_acled_csv(events: Iterable[Event]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=ACLED_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for event in events:
        writer.writerow(acled_row(event))
    return out.getvalue()


def to_geojson(events: Iterable[Event]) -> str:
    """A FeatureCollection of [lon, lat] points; events without a place are left out."""
    features = []
    for event in events:
        if event.location is None:
            continue
        properties = json.loads(event.model_dump_json(exclude={"location"}))
        properties |= {"place": event.location.name, "geo_precision": event.location.geo_precision,
                       "admin1": event.location.admin1, "admin2": event.location.admin2}  # fmt: skip
        features.append({"type": "Feature", "id": event.event_id,
                         "geometry": {"type": "Point", "coordinates": [event.location.lon, event.location.lat]},
                         "properties": properties})  # fmt: skip
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False) + "\n"


def to_jsonl(events: Iterable[Event]) -> str:
    return "".join(e.model_dump_json() + "\n" for e in events)


def render(events: Iterable[Event], fmt: str) -> str:
    return {"acled-csv": to_acled_csv, "geojson": to_geojson, "jsonl": to_jsonl}[fmt](events)
