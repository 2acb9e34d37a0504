"""One incident per real event within an article: the headline, the lede and the body often report one event two or
three times; these are merged, while different villages or different dates stay apart (pure)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ingest.contract import Incident, Location
from processors.geo.gazetteer import distance_km

SAME_PLACE_KM = 2.0


@dataclass(frozen=True)
class Found:
    """An incident as the extractor made it, with whether its date was stated (else it is the publication date) and
    whether it comes from the article's first paragraph (the headline or its first line)."""

    incident: Incident
    date_stated: bool
    lead: bool = False
    named: frozenset[str] = frozenset()  # every place its sentences name (gazetteer names), not only the one chosen


KM_PER_DEGREE_LATITUDE = 110.57  # the shortest a degree of latitude gets (at the equator)


def _contains(wide: Location, narrow: Location) -> bool:
    """A governorate-level place contains every place of its governorate; a district-level one (precision 3 at a
    district town: "Ariha countryside") those of its district."""
    if wide.geo_precision != 3 or wide.admin1 != narrow.admin1:
        return False
    return wide.name == wide.admin1 or (wide.admin2 is not None and wide.admin2 == narrow.admin2)


def same_place(a: Location | None, b: Location | None, km: float = SAME_PLACE_KM) -> bool:
    """One place, or one containing the other; two points within `km` are one place."""
    if a is None or b is None:
        return a is None and b is None
    if _contains(a, b) or _contains(b, a):
        return True
    if a.geo_precision == 3 or b.geo_precision == 3:
        return False
    if abs(a.lat - b.lat) * KM_PER_DEGREE_LATITUDE > km:
        return False  # farther apart north-south alone than km: no need for the great circle
    return distance_km(a.lat, a.lon, b.lat, b.lon) <= km


def _restated(lead: Found, named: frozenset[str]) -> bool:
    """A headline whose town the body's report names too (the body is placed at one of its villages)."""
    return lead.lead and lead.incident.location is not None and lead.incident.location.name in named


def compatible(a: Found, b: Found, generic: frozenset[str]) -> bool:
    """Same event: same date (or one of them unstated), compatible type, same place or one containing the other."""
    x, y = a.incident, b.incident
    if x.date != y.date:
        # only a headline that states no date takes the body's date, and only when their figures agree
        soft = (not a.date_stated and a.lead) or (not b.date_stated and b.lead)
        if not soft or (x.killed is not None and y.killed is not None and x.killed != y.killed):
            return False
    if x.event_type != y.event_type and x.rule_id not in generic and y.rule_id not in generic:
        return False
    if same_place(x.location, y.location):
        return True
    return _restated(a, b.named) or _restated(b, a.named)


def _figure(values: Sequence[int | None]) -> int | None:
    """The best-supported figure: the one most sentences give; between equally supported ones, the lowest (the
    ACLED codebook's rule for conflicting reports: code the most conservative figure)."""
    stated = [v for v in values if v is not None]
    if not stated:
        return None
    counts = Counter(stated)
    return min(stated, key=lambda v: (-counts[v], v))


def combine(group: Sequence[Found], generic: frozenset[str]) -> Incident:
    """One incident from reports of one event: the most precise place, a specific type over a generic one, the stated
    date, the best-supported figures, every evidence sentence."""
    if len(group) == 1:
        return group[0].incident
    incidents = [f.incident for f in group]
    named = frozenset().union(*(f.named for f in group if not f.lead))  # the body keeps its village
    placed = min(group, key=lambda f: (f.incident.location.geo_precision if f.incident.location else 9,
                                       _restated(f, named), f.incident.evidence.start)).incident  # fmt: skip
    typed = min(incidents, key=lambda i: (i.rule_id in generic, -i.confidence, i.evidence.start))
    dated = next((f.incident for f in sorted(group, key=lambda f: f.incident.evidence.start) if f.date_stated), placed)
    evidence = sorted((i.evidence for i in incidents), key=lambda e: e.start)
    primary = placed.evidence
    weapons = list(dict.fromkeys(w for i in sorted(incidents, key=lambda i: i.evidence.start) for w in i.weapons))
    actors = placed.actors or typed.actors or next((i.actors for i in incidents if i.actors), [])
    return placed.model_copy(
        update={
            "event_type": typed.event_type, "sub_event_type": typed.sub_event_type, "rule_id": typed.rule_id,
            "date": dated.date, "date_precision": dated.date_precision, "date_end": dated.date_end, "actors": actors,
            "killed": _figure([i.killed for i in incidents]), "injured": _figure([i.injured for i in incidents]),
            "kidnapped": _figure([i.kidnapped for i in incidents]), "weapons": weapons, "evidence": primary,
            "more_evidence": [e for e in evidence if e != primary],
            "confidence": max(i.confidence for i in incidents),
        }
    )  # fmt: skip


def merge_same_events(found: Sequence[Found], generic: frozenset[str]) -> list[Incident]:
    """Greedy in text order: each report joins the first earlier event it is compatible with, judged against that
    event's merged form (so a governorate-level headline joins the first village, never two villages)."""
    groups: list[list[Found]] = []
    merged: list[Found] = []
    for item in sorted(found, key=lambda f: f.incident.evidence.start):
        for k, current in enumerate(merged):
            if compatible(current, item, generic):
                groups[k].append(item)
                merged[k] = Found(combine(groups[k], generic), any(f.date_stated for f in groups[k]),
                                  any(f.lead for f in groups[k]), frozenset().union(*(f.named for f in groups[k])))  # fmt: skip
                break
        else:
            groups.append([item])
            merged.append(item)
    return [m.incident for m in merged]
