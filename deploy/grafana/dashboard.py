"""Generates grafana/dashboards/idlib-incident-stream.json (run: python deploy/grafana/dashboard.py).

Every query uses only metric names the services export; tests/integration/test_deploy.py runs each one against a
real Prometheus scraping the running pipeline, and tests/unit/test_deploy_files.py checks the JSON is current.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "dashboards" / "idlib-incident-stream.json"
DS = {"type": "prometheus", "uid": "${datasource}"}
NLP_BUCKETS = 'idlib_processor_stage_duration_seconds_bucket{stage="nlp"}[5m]'

# (title, panel type, [(legend, expr)], unit, width, height)
PANELS: list[tuple[str, str, list[tuple[str, str]], str, int, int]] = [
    ("Feeds healthy", "stat", [("healthy", "count(idlib_ingest_feed_up == 1) or vector(0)")], "none", 4, 4),
    ("Feeds failing", "stat", [("failing", "count(idlib_ingest_feed_up == 0) or vector(0)")], "none", 4, 4),
    ("Last incident", "stat",
     [("seconds ago", "time() - max(idlib_processor_last_incident_timestamp_seconds > 0)")], "s", 4, 4),
    ("Dead letters (24 h)", "stat", [("dead letters", "sum(increase(idlib_processor_dead_letters_total[24h]))")],
     "none", 4, 4),
    ("Workers up", "stat", [("workers", 'sum(up{job="idlib-processor"})')], "none", 4, 4),
    ("Ingest up", "stat", [("ingest", 'sum(up{job="idlib-ingest"})')], "none", 4, 4),
    ("Feed health by feed", "timeseries", [("{{feed}}", "max by (feed) (idlib_ingest_feed_up)")], "none", 12, 8),
    ("Articles published per minute", "timeseries",
     [("{{feed}}", "sum by (feed) (rate(idlib_ingest_articles_published_total[5m])) * 60")], "none", 12, 8),
    ("Fetch outcomes per minute", "timeseries",
     [("{{kind}} {{outcome}}", "sum by (kind, outcome) (rate(idlib_ingest_fetches_total[5m])) * 60")], "none", 12, 8),
    ("Extraction latency (nlp stage per batch)", "timeseries", [
        ("p50", f"histogram_quantile(0.5, sum by (le) (rate({NLP_BUCKETS})))"),
        ("p95", f"histogram_quantile(0.95, sum by (le) (rate({NLP_BUCKETS})))"),
    ], "s", 12, 8),
    ("Incidents per event type (per 15 min)", "timeseries",
     [("{{event_type}}", "sum by (event_type) (increase(idlib_processor_incidents_total[15m]))")], "none", 12, 8),
    ("Articles by outcome (per minute)", "timeseries",
     [("{{outcome}}", "sum by (outcome) (rate(idlib_processor_messages_total[5m])) * 60")], "none", 12, 8),
    ("Dead letters by reason (per 15 min)", "timeseries",
     [("{{reason}}", "sum by (reason) (increase(idlib_processor_dead_letters_total[15m]))")], "none", 12, 8),
    ("Consumer lag per partition", "timeseries",
     [("partition {{partition}}", "max by (partition) (idlib_processor_consumer_lag)")], "none", 12, 8),
    ("Batch stages p95", "timeseries", [("{{stage}}", "histogram_quantile(0.95, sum by (le, stage) "
                                                      "(rate(idlib_processor_stage_duration_seconds_bucket[5m])))")],
     "s", 12, 8),
    ("Active events (one per real event)", "stat", [("active", "sum(idlib_events_active)")], "none", 6, 4),
    ("Events held in state", "stat", [("events", "sum(idlib_events_state_events)"),
                                      ("articles", "sum(idlib_events_state_articles)")], "none", 6, 4),
    ("Event merges and retractions (per 15 min)", "timeseries", [
        ("merges", "sum(increase(idlib_events_merges_total[15m]))"),
        ("retractions", "sum(increase(idlib_events_retractions_total[15m]))"),
    ], "none", 12, 8),
    ("Consolidation lag (snapshots behind)", "timeseries",
     [("partition {{partition}}", "max by (partition) (idlib_events_consumer_lag)")], "none", 12, 8),
    ("Page fetch and clean p95", "timeseries", [
        ("fetch {{kind}}", "histogram_quantile(0.95, sum by (le, kind) (rate(idlib_ingest_fetch_duration_seconds_bucket[5m])))"),
        ("clean", "histogram_quantile(0.95, sum by (le) (rate(idlib_ingest_clean_duration_seconds_bucket[5m])))"),
    ], "s", 12, 8),
]  # fmt: skip


def grid(sizes: list[tuple[int, int]]) -> list[dict[str, int]]:
    """Grafana grid positions for panels of these (width, height), left to right in rows of 24 (both dashboards)."""
    positions = []
    x = y = row_height = 0
    for width, height in sizes:
        if x + width > 24:
            x, y, row_height = 0, y + row_height, 0
        positions.append({"x": x, "y": y, "w": width, "h": height})
        x += width
        row_height = max(row_height, height)
    return positions


def build() -> dict[str, Any]:
    panels = []
    positions = grid([(p[4], p[5]) for p in PANELS])
    for number, ((title, kind, targets, unit, _, _), pos) in enumerate(zip(PANELS, positions, strict=True), start=1):
        panels.append({
            "id": number, "title": title, "type": kind, "datasource": DS,
            "gridPos": pos,
            "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
            "options": {"reduceOptions": {"calcs": ["lastNotNull"]}} if kind == "stat" else {},
            "targets": [{"refId": chr(65 + i), "datasource": DS, "expr": expr, "legendFormat": legend}
                        for i, (legend, expr) in enumerate(targets)],
        })  # fmt: skip
    return {
        "uid": "idlib-incident-stream", "title": "Idlib incident stream", "tags": ["idlib", "kafka"],
        "timezone": "utc", "schemaVersion": 39, "version": 1, "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": [{"name": "datasource", "type": "datasource", "query": "prometheus",
                                 "current": {"text": "Prometheus", "value": "prometheus"}}]},
        "panels": panels,
    }  # fmt: skip


def render_board(board: dict[str, Any]) -> str:
    """A dashboard as committed (both dashboards): indented JSON, one trailing newline."""
    return json.dumps(board, indent=2) + "\n"


def write(out: Path, board: dict[str, Any]) -> None:
    out.write_text(render_board(board), encoding="utf-8")
    print(out, file=sys.stderr)


def render() -> str:
    return render_board(build())


if __name__ == "__main__":
    write(OUT, build())
