"""Article snapshots -> events: one record per real event across articles and outlets (pure, deterministic).

Each article revision's snapshot replaces that article's previous contribution. An incident joins the best matching
open event (rules below) or founds a new one, whose id comes from the founding incident and never changes after.
An event whose last source leaves is retracted; events older than the window are closed and leave memory.

Merge rules (README "Events"): no two incidents of one article in one event; the same ACLED event type, and the same
sub-event type unless one of them comes from a generic rule ("attacked", "bombed"); dates within `date_slack_days`
of the event's dates (a day-late report matches); places within `place_km` or one containing the other (governorate
or district vs a village in it); actors compatible (the named attackers, when both name one, on the same side).
Figures: the lowest figure any source gives (the ACLED codebook's conservative rule for conflicting reports), with
every source's figure kept in `sources`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from ingest.contract import Actor, ArticleSnapshot, Event, EventSource, Incident, stable_id
from processors.merge import same_place

UNIDENTIFIED = "Unidentified armed group"
CLOSE_EVERY = 256  # snapshots between window sweeps while the newest date stands still


@dataclass(frozen=True)
class MergeRules:
    window_days: int = 7  # events whose last date is this far behind the newest date seen are closed
    date_slack_days: int = 1
    place_km: float = 5.0
    generic_rules: frozenset[str] = frozenset()
    government_camp: frozenset[str] = frozenset()
    armed: frozenset[str] = frozenset()  # actor names that fight (not civilians, aid workers, journalists)


@dataclass(frozen=True)
class Member:
    """One article's incident in an event."""

    article_id: str
    incident: Incident
    outlet: str
    url: str | None
    published_at: datetime | None
    duplicate_of: str | None = None


def independent(members: list[Member]) -> dict[str, float]:
    """Independent sources -> the best confidence each gives. A source is an outlet; a copy of another article
    (ingest's duplicate_of) is the same source as its original, whichever outlet republished it."""
    outlet_of_article = {m.article_id: m.outlet for m in members}
    voices: dict[str, float] = {}
    for member in members:
        origin = member.duplicate_of
        voice = outlet_of_article.get(origin, f"copy-of:{origin}") if origin else member.outlet
        voices[voice] = max(voices.get(voice, 0.0), member.incident.confidence)
    return voices


@dataclass
class _Open:
    event_id: str
    members: dict[str, Member] = field(default_factory=dict)  # article_id -> member
    version: int = 0  # +1 each time a source joins, leaves or is revised: the record's revision
    last_date: date | None = None  # the newest date its members ever had (closing does not depend on emission)
    last: Event | None = None  # the record last emitted (a retraction repeats it with status retracted)


@dataclass(frozen=True)
class Tombstone:
    """The end of a retracted event's retention: delete its key from the compacted topic."""

    event_id: str


Change = Event | Tombstone


def outlet_of(snapshot: ArticleSnapshot) -> str:
    """Distinct outlets: the source's name, else the host of its URL, else the article itself."""
    if snapshot.source_name:
        return snapshot.source_name.strip().lower()
    if snapshot.url:
        return urlsplit(snapshot.url).netloc.lower().removeprefix("www.")
    return snapshot.article_id


def _actor1(incident: Incident, armed: frozenset[str]) -> str | None:
    """The named armed attacker, if the incident names one."""
    return next((a.name for a in incident.actors if a.role == "actor1" and a.name != UNIDENTIFIED and a.name in armed),
                None)  # fmt: skip


def compatible(event: _Open, incident: Incident, article_id: str, rules: MergeRules) -> bool:
    """The rules in the module's docstring; the checks that rule most candidates out come first (the candidates
    already share the type and a day within the slack: they differ mostly by place)."""
    members = event.members
    if article_id in members or not members:
        return False
    location = incident.location
    if not any(same_place(m.incident.location, location, rules.place_km) for m in members.values()):
        return False
    slack = timedelta(days=rules.date_slack_days)
    dates = [m.incident.date for m in members.values()]
    if not (min(dates) - slack <= incident.date <= max(dates) + slack):
        return False
    generic = incident.rule_id in rules.generic_rules
    for member in members.values():
        other = member.incident
        if other.event_type != incident.event_type:
            return False
        if other.sub_event_type != incident.sub_event_type and not (generic or other.rule_id in rules.generic_rules):
            return False
    mine = _actor1(incident, rules.armed)
    if mine is None:
        return True
    for member in members.values():
        theirs = _actor1(member.incident, rules.armed)
        if theirs and mine != theirs and (mine in rules.government_camp) != (theirs in rules.government_camp):
            return False
    return True


def _distance_days(event: _Open, incident: Incident) -> int:
    return min(abs((m.incident.date - incident.date).days) for m in event.members.values())


def _published_key(member: Member) -> tuple[str, str]:
    return (member.published_at.isoformat() if member.published_at else "9999", member.article_id)


def aggregate(event: _Open, rules: MergeRules, revision: int = 1) -> Event:
    """The event record of its current members (status active) at `revision`."""
    members = sorted(event.members.values(), key=_published_key)
    incidents = [m.incident for m in members]
    kinds = Counter((i.event_type, i.sub_event_type) for i in incidents if i.rule_id not in rules.generic_rules)
    kinds = kinds or Counter((i.event_type, i.sub_event_type) for i in incidents)
    best = max(kinds.values())
    kind = next(k for i in incidents if (k := (i.event_type, i.sub_event_type)) in kinds and kinds[k] == best)
    placed = [i for i in incidents if i.location is not None]
    names = Counter(i.location.name for i in placed if i.location)
    location = None
    if placed:
        top = min(placed, key=lambda i: (i.location.geo_precision if i.location else 9,
                                         -names[i.location.name if i.location else ""]))  # fmt: skip
        location = top.location
    dates = sorted([i.date for i in incidents] + [i.date_end for i in incidents if i.date_end is not None])
    actors: dict[str, Actor] = {}
    for incident in incidents:
        for actor in incident.actors:
            actors.setdefault(actor.name, actor)
    killed = [i.killed for i in incidents if i.killed is not None]
    injured = [i.injured for i in incidents if i.injured is not None]
    by_outlet = independent(members)
    confidence = 1.0 - math.prod(1.0 - c for c in by_outlet.values())
    published = [m.published_at for m in members if m.published_at is not None]
    return Event(
        event_id=event.event_id, status="active", revision=revision, event_type=kind[0], sub_event_type=kind[1],
        date=dates[0], date_end=dates[-1] if dates[-1] != dates[0] else None, location=location,
        actors=list(actors.values()), killed=min(killed) if killed else None, injured=min(injured) if injured else None,
        sources=[EventSource(article_id=m.article_id, incident_id=m.incident.incident_id, url=m.url, outlet=m.outlet,
                             published_at=m.published_at, duplicate_of=m.duplicate_of, evidence=m.incident.evidence.sentence,
                             killed=m.incident.killed, injured=m.incident.injured) for m in members],
        source_count=len(by_outlet), article_count=len(members),
        first_reported_at=min(published) if published else None, last_updated_at=max(published) if published else None,
        confidence=round(min(confidence, 1.0), 3),
    )  # fmt: skip


@dataclass
class Consolidator:
    """The working state of one partition: open events and each article's contribution."""

    rules: MergeRules = field(default_factory=MergeRules)
    events: dict[str, _Open] = field(default_factory=dict)
    contributions: dict[str, tuple[int, list[str]]] = field(default_factory=dict)  # article -> (revision, events)
    watermark: date | None = None
    by_day: dict[tuple[date, str], set[str]] = field(default_factory=dict)  # (member date, type) -> events
    merges: int = 0
    retractions: int = 0
    _closed_at: date | None = None
    _since_close: int = 0
    _final: dict[str, Event] = field(default_factory=dict)  # records of events closed before they were taken

    def apply(self, article_id: str, snapshot: ArticleSnapshot | None) -> list[Change]:
        """One snapshot (None: the article was withdrawn) -> the event records it changed, in a stable order."""
        touched = self.touch(article_id, snapshot)
        changes: list[Change] = []
        for item in touched:
            change = item if isinstance(item, Tombstone) else self.record(item)
            if change is not None:
                changes.append(change)
        return changes

    def touch(self, article_id: str, snapshot: ArticleSnapshot | None) -> list[str | Tombstone]:
        """Applies a snapshot to the state; returns the ids of the events it changed (then the tombstones of events
        whose retention ended). Their records come from record(): a caller may take them once per batch."""
        held = self.contributions.get(article_id)
        if snapshot is not None and held is not None and snapshot.revision < held[0]:
            return []  # an older revision arriving late changes nothing
        touched: list[str] = []
        _, previous = self.contributions.pop(article_id, (0, []))
        for event_id in previous:
            event = self.events.get(event_id)
            if event is None or article_id not in event.members:
                continue
            if len(event.members) == 1 and (event.last is None or event.last.revision != event.version):
                # its last source leaves before its record was taken: keep what the retraction will repeat
                event.last = aggregate(event, self.rules, event.version)
            del event.members[article_id]
            touched.append(event_id)
            if not event.members:
                self.retractions += 1
        joined: list[str] = []
        if snapshot is not None:
            outlet = outlet_of(snapshot)
            for incident in sorted(snapshot.incidents, key=lambda i: (i.evidence.start, i.incident_id)):
                member = Member(article_id, incident, outlet, snapshot.url or incident.source.url,
                                snapshot.published_at or incident.source.published_at, snapshot.duplicate_of)  # fmt: skip
                event = self._best(incident, article_id)
                if event is None:
                    event = _Open(stable_id("event", incident.incident_id))
                    while event.event_id in self.events and self.events[event.event_id].members:
                        event = _Open(stable_id("event", event.event_id))  # a founder re-used after retraction
                    self.events[event.event_id] = self.events.get(event.event_id) or event
                    event = self.events[event.event_id]
                else:
                    self.merges += 1
                event.members[article_id] = member
                event.last_date = max(event.last_date or incident.date, incident.date)
                self.by_day.setdefault((incident.date, incident.event_type), set()).add(event.event_id)
                joined.append(event.event_id)
                touched.append(event.event_id)
                self.watermark = max(self.watermark or incident.date, incident.date)
            if joined:
                self.contributions[article_id] = (snapshot.revision, joined)
        unique = list(dict.fromkeys(touched))
        for event_id in unique:
            self.events[event_id].version += 1
        return [*unique, *self._close()]

    def record(self, event_id: str) -> Event | None:
        """The event's current record (retracted when its sources are gone); None when there is nothing to say."""
        event = self.events.get(event_id)
        if event is None:
            return self._final.pop(event_id, None)
        if event.members:
            record = aggregate(event, self.rules, event.version)
        elif event.last is not None:
            record = event.last.model_copy(update={"status": "retracted", "sources": [], "source_count": 0,
                                                   "article_count": 0, "confidence": 0.0, "revision": event.version})  # fmt: skip
        else:
            return None  # founded and emptied before it was ever published
        event.last = record
        return record

    def settle(self) -> None:
        """Gives every held event its current record (after a rebuild, so that a later retraction can repeat it)."""
        for event_id, event in self.events.items():
            if event.members:
                self.record(event_id)
        self._final.clear()

    def _best(self, incident: Incident, article_id: str) -> _Open | None:
        slack = self.rules.date_slack_days
        kind = incident.event_type
        ids = {
            i for d in range(-slack, slack + 1) for i in self.by_day.get((incident.date + timedelta(days=d), kind), ())
        }
        events = [self.events[i] for i in sorted(ids) if i in self.events]
        found = [e for e in events if compatible(e, incident, article_id, self.rules)]
        if not found:
            return None
        return min(found, key=lambda e: (_distance_days(e, incident), -len(e.members), e.event_id))

    def _close(self) -> list[Tombstone]:
        """Events wholly older than the window leave memory; a retracted one's key is deleted (its retention ends)."""
        self._since_close += 1
        if self.watermark is None or (self.watermark == self._closed_at and self._since_close < CLOSE_EVERY):
            return []  # when the newest date moves, and now and then for late reports that founded old events
        self._closed_at, self._since_close = self.watermark, 0
        horizon = self.watermark - timedelta(days=self.rules.window_days)
        closed = [e for e in self.events.values() if e.last_date is not None and e.last_date < horizon]
        for key in [k for k in self.by_day if k[0] < horizon - timedelta(days=self.rules.date_slack_days)]:
            del self.by_day[key]
        out: list[Tombstone] = []
        for event in closed:
            if event.members and (event.last is None or event.last.revision != event.version):
                self._final[event.event_id] = aggregate(event, self.rules, event.version)
            del self.events[event.event_id]
            if not event.members:
                out.append(Tombstone(event.event_id))
        gone = {e.event_id for e in closed}
        for article_id in {a for e in closed for a in e.members}:  # an article contributes to the events it is in
            held = self.contributions.get(article_id)
            if held is None:
                continue
            kept = [i for i in held[1] if i not in gone]
            if kept:
                self.contributions[article_id] = (held[0], kept)
            else:
                del self.contributions[article_id]
        return out

    @property
    def active(self) -> int:
        return sum(1 for e in self.events.values() if e.members)

    def records(self) -> Iterable[Event]:
        """Every event still in memory, active and retracted, by id."""
        return (e.last for e in sorted(self.events.values(), key=lambda e: e.event_id) if e.last is not None)
