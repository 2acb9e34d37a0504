"""Scores extracted incidents against a labelled gold file in the format of the shared dev set (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ingest.contract import Incident
from processors.geo.gazetteer import distance_km

TARGETS = {
    "recall": (">=", 0.95), "false_alarm_rate": ("<=", 0.05), "event_type": (">=", 0.95),
    "sub_event_type": (">=", 0.90), "date": (">=", 0.95), "geo_10km": (">=", 0.90), "killed": (">=", 0.90),
    "injured": (">=", 0.90),
}  # fmt: skip


@dataclass
class Tally:
    hits: int = 0
    total: int = 0

    def add(self, ok: bool) -> None:
        self.hits += int(ok)
        self.total += 1

    @property
    def rate(self) -> float | None:
        return self.hits / self.total if self.total else None


@dataclass
class Report:
    recall: Tally = field(default_factory=Tally)
    false_alarm_rate: Tally = field(default_factory=Tally)
    fields: dict[str, Tally] = field(
        default_factory=lambda: {
            k: Tally() for k in ("event_type", "sub_event_type", "date", "geo_10km", "killed", "injured")
        }
    )
    errors: list[dict[str, Any]] = field(default_factory=list)

    def rows(self) -> list[tuple[str, Tally]]:
        return [("recall", self.recall), ("false_alarm_rate", self.false_alarm_rate), *self.fields.items()]

    def summary(self) -> dict[str, float | None]:
        return {name: tally.rate for name, tally in self.rows()}


def primary(incidents: Sequence[Incident]) -> Incident | None:
    """The incident an evaluation compares: the first one the text reports (reports lead with their main event)."""
    return min(incidents, key=lambda i: i.evidence.start) if incidents else None


def _gold_killed(gold: dict[str, Any]) -> int | None:
    if "killed" in gold:
        return int(gold["killed"])
    if "fatalities" in gold and gold.get("fatalities_explicit", True):
        return int(gold["fatalities"])
    return None  # ACLED assumed a number the text does not state: not scored


def score(records: Sequence[dict[str, Any]], predictions: Sequence[Sequence[Incident]]) -> Report:
    """Documents with gold {"idlib": false} are negatives; null counts are scored as 0 (the gold's convention)."""
    report = Report()
    for record, incidents in zip(records, predictions, strict=True):
        gold = record["gold"]
        if gold.get("idlib") is False:
            report.false_alarm_rate.add(bool(incidents))
            if incidents:
                report.errors.append({"id": record["id"], "error": "false_alarm", "got": incidents[0].location})
            continue
        report.recall.add(bool(incidents))
        found = primary(incidents)
        if found is None:
            report.errors.append({"id": record["id"], "error": "missed"})
            continue
        checks: dict[str, bool] = {}
        checks["event_type"] = found.event_type == gold.get("event_type")
        checks["sub_event_type"] = found.sub_event_type == gold.get("sub_event_type")
        if gold.get("date"):
            checks["date"] = found.date == date.fromisoformat(gold["date"])
        if gold.get("lat") is not None and found.location is not None:
            km = distance_km(found.location.lat, found.location.lon, float(gold["lat"]), float(gold["lon"]))
            checks["geo_10km"] = km <= 10.0
        elif gold.get("lat") is not None:
            checks["geo_10km"] = False
        killed = _gold_killed(gold)
        if killed is not None:
            checks["killed"] = (found.killed or 0) == killed
        if "injured" in gold:
            checks["injured"] = (found.injured or 0) == int(gold["injured"])
        for name, ok in checks.items():
            report.fields[name].add(ok)
        wrong = [name for name, ok in checks.items() if not ok]
        if wrong:
            report.errors.append({"id": record["id"], "wrong": wrong, "got": found.model_dump(mode="json"),
                                  "gold": gold})  # fmt: skip
    return report


def format_report(report: Report) -> str:
    lines = [f"{'metric':<18}{'score':>8}{'n':>8}  target"]
    for name, tally in report.rows():
        rate = tally.rate
        op, target = TARGETS[name]
        ok = rate is not None and (rate >= target if op == ">=" else rate <= target)
        shown = f"{rate:.3f}" if rate is not None else "n/a"
        lines.append(f"{name:<18}{shown:>8}{tally.total:>8}  {op} {target:.2f} {'ok' if ok else 'MISS'}")
    return "\n".join(lines)
