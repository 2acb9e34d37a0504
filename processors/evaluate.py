"""Scores extracted incidents against a labelled gold file (pure): ACLED-style notes (dev.jsonl: the first incident
against the gold event) and news articles with UCDP gold (news_dev.jsonl: the incident that best matches the gold,
plus how many incidents an article gives, same-event duplicates and cumulative tallies)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
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
NEWS_TARGETS = {
    "recall": (">=", 0.95), "false_alarm_rate": ("<=", 0.05), "date": (">=", 0.95), "geo": (">=", 0.90),
    "killed": (">=", 0.80), "duplicate_pairs_per_50": ("<=", 3.0), "tally_incidents": ("<=", 0.0),
    "incidents_per_positive": ("<=", 99.0),
}  # fmt: skip
GEO_KM, GEO_ADMIN_KM = 10.0, 25.0  # a gold admin unit (no place name, or precision 3) is a centroid: 25 km
SAME_PLACE_KM = 2.0
# Cumulative tolls, written independently of the extractor's own rules so that the score does not grade itself.
TALLY = re.compile(
    r"\bso far\b|\bsince the\b|\bsince (?:january|february|march|april|may|june|july|august|september|october|"
    r"november|december|\d{4})\b|\bduring the (?:past|last) (?:month|year|week)s?\b|\bthis (?:month|year)\b|"
    r"\bmonthly\b|\bcumulative\b|\bduring the period\b|\buntil (?:today|now)\b",
    re.I,
)


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


def is_news(record: dict[str, Any]) -> bool:
    """UCDP-style gold: a date window and no ACLED type (NEWS_README.md); ACLED-style gold keeps its own report."""
    gold = record["gold"]
    return record.get("dataset") == "ucdp-aec" or ("date_end" in gold and "event_type" not in gold)


@dataclass
class NewsReport:
    recall: Tally = field(default_factory=Tally)
    false_alarm_rate: Tally = field(default_factory=Tally)
    date: Tally = field(default_factory=Tally)
    geo: Tally = field(default_factory=Tally)
    killed: Tally = field(default_factory=Tally)
    positives: int = 0
    positive_incidents: int = 0
    duplicate_pairs: int = 0
    tally_incidents: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, float | None]:
        per = self.positives or 1
        return {"recall": self.recall.rate, "false_alarm_rate": self.false_alarm_rate.rate, "date": self.date.rate,
                "geo": self.geo.rate, "killed": self.killed.rate,
                "incidents_per_positive": round(self.positive_incidents / per, 3),
                "duplicate_pairs_per_50": round(self.duplicate_pairs * 50 / per, 3),
                "tally_incidents": float(self.tally_incidents)}  # fmt: skip

    def counts(self) -> dict[str, int]:
        return {"recall": self.recall.total, "false_alarm_rate": self.false_alarm_rate.total, "date": self.date.total,
                "geo": self.geo.total, "killed": self.killed.total, "incidents_per_positive": self.positives,
                "duplicate_pairs_per_50": self.duplicate_pairs, "tally_incidents": self.tally_incidents}  # fmt: skip


def _in_window(found: Incident, start: date, end: date) -> bool:
    return start <= found.date <= end


def _gold_km(found: Incident, gold: dict[str, Any]) -> float:
    if found.location is None or gold.get("lat") is None:
        return float("inf")
    return distance_km(found.location.lat, found.location.lon, float(gold["lat"]), float(gold["lon"]))


def best_match(incidents: Sequence[Incident], gold: dict[str, Any]) -> Incident | None:
    """The incident that best matches a UCDP event: in its date window first, then nearest its place, then the
    closest date."""
    if not incidents:
        return None
    start = date.fromisoformat(gold["date"])
    end = date.fromisoformat(gold.get("date_end") or gold["date"])

    def rank(found: Incident) -> tuple[bool, float, int]:
        days = 0 if _in_window(found, start, end) else min(abs((found.date - start).days), abs((found.date - end).days))
        return (not _in_window(found, start, end), _gold_km(found, gold), days)

    return min(incidents, key=rank)


def same_event_pairs(incidents: Sequence[Incident]) -> list[tuple[Incident, Incident]]:
    """Pairs of one article's incidents that look like one event written twice: same date and type, and places
    within 2 km or one of them only the governorate."""
    pairs = []
    for a, b in itertools.combinations(incidents, 2):
        if a.date != b.date or a.event_type != b.event_type or a.location is None or b.location is None:
            continue
        coarse = a.location.geo_precision == 3 or b.location.geo_precision == 3
        near = distance_km(a.location.lat, a.location.lon, b.location.lat, b.location.lon) <= SAME_PLACE_KM
        if coarse or near:
            pairs.append((a, b))
    return pairs


def is_tally(found: Incident) -> bool:
    """An incident whose killed is a running total: the figure stands within 80 characters after a toll phrase of its
    evidence ("the death toll rose to 47", "since the start of the truce ... 2,690")."""
    if not found.killed:
        return False
    for sentence in [found.evidence.sentence, *(e.sentence for e in found.more_evidence)]:
        for match in TALLY.finditer(sentence):
            after = sentence[match.start() : match.end() + 80].replace(",", "")
            if str(found.killed) in re.findall(r"\d+", after):
                return True
    return False


def score_news(records: Sequence[dict[str, Any]], predictions: Sequence[Sequence[Incident]]) -> NewsReport:
    report = NewsReport()
    for record, incidents in zip(records, predictions, strict=True):
        gold = record["gold"]
        report.duplicate_pairs += len(same_event_pairs(incidents))
        report.tally_incidents += sum(1 for i in incidents if is_tally(i))
        if gold.get("idlib") is False:
            report.false_alarm_rate.add(bool(incidents))
            if incidents:
                report.errors.append({"id": record["id"], "error": "false_alarm", "got": incidents[0].location})
            continue
        report.positives += 1
        report.positive_incidents += len(incidents)
        report.recall.add(bool(incidents))
        found = best_match(incidents, gold)
        if found is None:
            report.errors.append({"id": record["id"], "error": "missed"})
            continue
        checks = {"date": _in_window(found, date.fromisoformat(gold["date"]),
                                     date.fromisoformat(gold.get("date_end") or gold["date"]))}  # fmt: skip
        if gold.get("lat") is not None:
            admin = not gold.get("location") or gold.get("geo_precision") == 3
            checks["geo"] = _gold_km(found, gold) <= (GEO_ADMIN_KM if admin else GEO_KM)
        if gold.get("killed") is not None:
            checks["killed"] = (found.killed or 0) == int(gold["killed"])
        for name, ok in checks.items():
            getattr(report, name).add(ok)
        wrong = [name for name, ok in checks.items() if not ok]
        if wrong:
            report.errors.append({"id": record["id"], "wrong": wrong, "got": found.model_dump(mode="json"),
                                  "gold": gold, "incidents": len(incidents)})  # fmt: skip
    return report


def format_news_report(report: NewsReport) -> str:
    lines = [f"{'metric':<24}{'score':>8}{'n':>8}  target"]
    counts = report.counts()
    for name, value in report.summary().items():
        op, target = NEWS_TARGETS[name]
        ok = value is not None and (value >= target if op == ">=" else value <= target)
        shown = f"{value:.3f}" if value is not None else "n/a"
        goal = "" if name == "incidents_per_positive" else f"{op} {target:.2f} {'ok' if ok else 'MISS'}"
        lines.append(f"{name:<24}{shown:>8}{counts[name]:>8}  {goal}")
    return "\n".join(lines)


def format_report(report: Report) -> str:
    lines = [f"{'metric':<18}{'score':>8}{'n':>8}  target"]
    for name, tally in report.rows():
        rate = tally.rate
        op, target = TARGETS[name]
        ok = rate is not None and (rate >= target if op == ">=" else rate <= target)
        shown = f"{rate:.3f}" if rate is not None else "n/a"
        lines.append(f"{name:<18}{shown:>8}{tally.total:>8}  {op} {target:.2f} {'ok' if ok else 'MISS'}")
    return "\n".join(lines)


@dataclass
class PairReport:
    """Pairwise merge quality on labelled article pairs (same event or not)."""

    true_pos: int = 0
    false_pos: int = 0
    false_neg: int = 0
    true_neg: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, float | int]:
        predicted, actual = self.true_pos + self.false_pos, self.true_pos + self.false_neg
        return {"pairs": self.true_pos + self.false_pos + self.false_neg + self.true_neg,
                "precision": round(self.true_pos / predicted, 3) if predicted else 1.0,
                "recall": round(self.true_pos / actual, 3) if actual else 1.0,
                "true_pos": self.true_pos, "false_pos": self.false_pos, "false_neg": self.false_neg,
                "true_neg": self.true_neg}  # fmt: skip


def score_pairs(
    pairs: Sequence[dict[str, Any]], merged: Callable[[dict[str, Any], dict[str, Any]], bool]
) -> PairReport:
    """`merged(a, b)`: whether consolidation put the two articles into one event."""
    report = PairReport()
    for pair in pairs:
        got = merged(pair["a"], pair["b"])
        if pair["same"] and got:
            report.true_pos += 1
        elif pair["same"]:
            report.false_neg += 1
            report.errors.append({"error": "not merged", "kind": pair["kind"], "a": pair["a"]["id"]})
        elif got:
            report.false_pos += 1
            report.errors.append({"error": "merged", "kind": pair["kind"], "a": pair["a"]["id"]})
        else:
            report.true_neg += 1
    return report
