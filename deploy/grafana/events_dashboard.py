#!/usr/bin/env python3
"""Generates deploy/grafana/dashboards/idlib-events.json: the analysts' "Idlib events" dashboard on PostgreSQL.

Every query reads the sink's `events` table; tests/integration/test_events_dashboard.py runs each one (Grafana macros
expanded) against a real PostgreSQL holding events. Run: python deploy/grafana/events_dashboard.py
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dashboard import grid, render_board, write

OUT = Path(__file__).resolve().parent / "dashboards" / "idlib-events.json"
DS = {"type": "grafana-postgresql-datasource", "uid": "postgres"}
WHERE = "status = 'active' AND $__timeFilter(date) AND event_type IN ($event_type)"

# (title, panel type, SQL, format, width, height)
PANELS: list[tuple[str, str, str, str, int, int]] = [
    ("Active events (map: colour by type, size by killed)", "geomap",
     "SELECT event_id, latitude, longitude, event_type, sub_event_type, location_name AS place, "
     f"coalesce(killed, 0) AS killed, source_count, date FROM events WHERE {WHERE} AND latitude IS NOT NULL",
     "table", 24, 12),
    ("Events", "table",
     "SELECT date, event_type, sub_event_type, location_name AS place, killed, injured, source_count, "
     f"sources->0->>'url' AS first_source FROM events WHERE {WHERE} ORDER BY date DESC, event_id LIMIT 500",
     "table", 24, 10),
    ("Events per day by type", "timeseries",
     "SELECT $__timeGroupAlias(date, '1d'), event_type AS metric, count(*) AS value FROM events "
     f"WHERE {WHERE} GROUP BY 1, 2 ORDER BY 1", "time_series", 12, 8),
    ("Top places", "bargauge",
     "SELECT location_name AS place, count(*) AS events, sum(coalesce(killed, 0)) AS killed FROM events "
     f"WHERE {WHERE} AND location_name IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 15", "table", 6, 8),
    ("Sources per event", "barchart",
     f"SELECT source_count::text AS sources, count(*) AS events FROM events WHERE {WHERE} "
     "GROUP BY source_count ORDER BY source_count", "table", 6, 8),
]  # fmt: skip
VARIABLE_SQL = "SELECT DISTINCT event_type FROM events ORDER BY 1"


def _geomap_options() -> dict[str, Any]:
    return {
        "view": {"id": "coords", "lat": 35.85, "lon": 36.6, "zoom": 9},
        "controls": {"showZoom": True, "mouseWheelZoom": True},
        "basemap": {"type": "default", "name": "Basemap"},
        "layers": [{
            "type": "markers", "name": "Events",
            "location": {"mode": "coords", "latitude": "latitude", "longitude": "longitude"},
            "config": {"showLegend": True, "style": {
                "color": {"field": "event_type"},
                "size": {"field": "killed", "min": 4, "max": 24, "fixed": 5},
                "symbol": {"fixed": "img/icons/marker/circle.svg", "mode": "fixed"},
                "opacity": 0.7}},
        }],
    }  # fmt: skip


def build() -> dict[str, Any]:
    panels = []
    positions = grid([(p[4], p[5]) for p in PANELS])
    for number, ((title, kind, sql, fmt, _, _), pos) in enumerate(zip(PANELS, positions, strict=True), start=1):
        panels.append({
            "id": number, "title": title, "type": kind, "datasource": DS,
            "gridPos": pos,
            "fieldConfig": {"defaults": {}, "overrides": []},
            "options": _geomap_options() if kind == "geomap" else {},
            "targets": [{"refId": "A", "datasource": DS, "editorMode": "code", "format": fmt, "rawQuery": True,
                         "rawSql": sql}],
        })  # fmt: skip
    return {
        "uid": "idlib-events", "title": "Idlib events", "tags": ["idlib", "events"], "timezone": "utc",
        "schemaVersion": 39, "version": 1, "refresh": "1m", "time": {"from": "now-30d", "to": "now"},
        "templating": {"list": [{
            "name": "event_type", "label": "Event type", "type": "query", "datasource": DS, "query": VARIABLE_SQL,
            "definition": VARIABLE_SQL, "multi": True, "includeAll": True, "refresh": 2,
            "current": {"text": "All", "value": "$__all"},
        }]},
        "panels": panels,
    }  # fmt: skip


def render() -> str:
    return render_board(build())


if __name__ == "__main__":
    write(OUT, build())
