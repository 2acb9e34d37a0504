"""Place watches: named circles (a gazetteer place or lat/lon, a radius, event types) that analysts want alerts for;
an active event inside one counts in idlib_watch_events_total{watch} (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ingest.contract import TAXONOMY, ConfigurationError, Event
from processors.geo.gazetteer import Gazetteer, distance_km
from processors.resources import read_yaml


class WatchSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9 _.'-]{0,62}$", description="the metric's label value")
    place: str | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    radius_km: float = Field(default=10.0, gt=0, le=200)
    event_types: list[str] = Field(default_factory=list, description="ACLED event or sub-event types; empty: all")

    @model_validator(mode="after")
    def _where_and_what(self) -> WatchSpec:
        if (self.place is None) == (self.lat is None or self.lon is None):
            raise ValueError("give either place or both lat and lon")
        known = set(TAXONOMY) | {s for subs in TAXONOMY.values() for s in subs}
        unknown = [t for t in self.event_types if t not in known]
        if unknown:
            raise ValueError(f"not ACLED event or sub-event types: {unknown}")
        return self


class WatchesFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    watches: list[WatchSpec] = Field(default_factory=list)


@dataclass(frozen=True)
class Watch:
    name: str
    lat: float
    lon: float
    radius_km: float
    event_types: frozenset[str]

    def covers(self, event: Event) -> bool:
        """An active event inside the circle, of a watched type."""
        if event.status != "active" or event.location is None:
            return False
        if self.event_types and not ({event.event_type, event.sub_event_type} & self.event_types):
            return False
        return distance_km(self.lat, self.lon, event.location.lat, event.location.lon) <= self.radius_km


def load_watches(path: str | Path, gazetteer: Gazetteer) -> tuple[Watch, ...]:
    """A watches file; a place is looked up in the gazetteer (exact names in the region first). Errors name the file."""
    spec = read_yaml(Path(path), WatchesFile)
    names = [w.name for w in spec.watches]
    if len(set(names)) != len(names):
        raise ConfigurationError(f"bad watches file {path}: two watches share a name")
    out = []
    for w in spec.watches:
        lat, lon = w.lat, w.lon
        if w.place is not None:
            found = [p for p, exact in gazetteer.lookup(w.place) if exact]
            found.sort(key=lambda p: (p.admin1 != gazetteer.region, -p.population))
            if not found:
                raise ConfigurationError(f"bad watches file {path}: watch {w.name!r}: place {w.place!r} is not in the "
                                         "gazetteer (give lat and lon)")  # fmt: skip
            lat, lon = found[0].lat, found[0].lon
        assert lat is not None and lon is not None
        out.append(Watch(w.name, lat, lon, w.radius_km, frozenset(w.event_types)))
    return tuple(out)


def watching(watches: tuple[Watch, ...], event: Event) -> list[str]:
    return [w.name for w in watches if w.covers(event)]
