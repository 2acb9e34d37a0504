"""Exports of event records: ACLED's columns, GeoJSON points, active events unless asked for all."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

from processors.consolidate import Consolidator
from processors.export import ACLED_COLUMNS, render, selected
from tests.conftest import REPO
from tests.unit.test_consolidate import BINNISH, RULES, incident, snapshot


def _events() -> list:  # type: ignore[type-arg]
    state = Consolidator(RULES)
    state.apply("a1", snapshot("a1", "sohr", incident("a1", killed=3)))
    state.apply("a2", snapshot("a2", "afp", incident("a2", killed=4), hour=9))
    state.apply("b1", snapshot("b1", "afp", incident("b1", BINNISH, killed=None)))
    state.apply("b1", snapshot("b1", "afp", revision=2))  # retracted
    return list(state.records())


def test_acled_csv_has_acleds_columns_and_conservative_fatalities() -> None:
    rows = list(csv.DictReader(io.StringIO(render(selected(_events()), "acled-csv"))))
    assert tuple(rows[0]) == ACLED_COLUMNS and len(rows) == 1
    row = rows[0]
    assert (row["event_type"], row["sub_event_type"], row["disorder_type"]) == (
        "Explosions/Remote violence", "Air/drone strike", "Political violence")  # fmt: skip
    assert (row["location"], row["country"], row["fatalities"], row["time_precision"]) == ("Ariha", "Syria", "3", "1")
    assert row["source"] == "sohr; afp" and row["actor1"] == "Russian forces"


def test_geojson_points_are_lon_lat_and_retracted_only_with_all() -> None:
    active = json.loads(render(selected(_events()), "geojson"))
    assert active["type"] == "FeatureCollection" and len(active["features"]) == 1
    assert active["features"][0]["geometry"] == {"type": "Point", "coordinates": [36.61, 35.81]}
    everything = json.loads(render(selected(_events(), include_retracted=True), "geojson"))
    assert sorted(f["properties"]["status"] for f in everything["features"]) == ["active", "retracted"]


def test_export_command_reads_an_events_file(tmp_path: Path) -> None:
    source = tmp_path / "events.jsonl"
    source.write_text(render(selected(_events(), include_retracted=True), "jsonl") + "{bad\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "processors", "export", "--format", "acled-csv", "-i", str(source)],
                            capture_output=True, text=True, cwd=REPO, timeout=120, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert len(list(csv.DictReader(io.StringIO(result.stdout)))) == 1 and "bad input line" in result.stderr
