"""The gazetteer: places, their name index (exact, loose, consonant and skeleton keys) and lookups (pure)."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from processors.geo.names import consonant_key, fold, loose_key, normal_key, skeletons, without_head

SAME_PLACE_KM = 3.0  # points of two sources closer than this name one place
ARABIC_RE = re.compile(r"[\u0600-\u06ff]")


@dataclass(frozen=True)
class Place:
    place_id: str
    name: str
    admin1: str
    lat: float
    lon: float
    kind: str = "town"  # town | road | region | base | crossing | governorate
    feature: str = "PPL"
    population: int = 0
    source: str = "geonames"
    geo_precision: int = 1
    admin2: str | None = None
    admin3: str | None = None


@dataclass(frozen=True)
class AdminArea:
    """An OCHA sub-district centroid (admin3) with its district (admin2) and governorate (admin1)."""

    admin1: str
    admin2: str
    admin3: str
    lat: float
    lon: float


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))


def nearest_admin(areas: Sequence[AdminArea], admin1: str, lat: float, lon: float) -> AdminArea:
    same = [a for a in areas if a.admin1 == admin1] or list(areas)
    return min(same, key=lambda a: distance_km(lat, lon, a.lat, a.lon))


def curated_id(name: str) -> str:
    return "curated:" + fold(name).replace(" ", "-")


@dataclass(eq=False)
class Gazetteer:
    """Places by id and the name keys that find them. `region` is the stream's governorate (admin1)."""

    places: dict[str, Place]
    region: str
    admin_areas: Sequence[AdminArea] = ()
    exact: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    loose: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    skeleton: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    curated_alias_texts: dict[str, str] = field(default_factory=dict)  # alias as written -> place_id
    latin_keys: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # place_id -> normal keys
    _near_index: dict[str, list[str]] | None = None

    def add_names(self, place_id: str, names: Iterable[str]) -> None:
        names = list(names)
        names += [short for n in names if (short := without_head(n)) and ARABIC_RE.search(n)]  # "خربة عابدين"
        for name in names:
            key = normal_key(name)
            if key and name.isascii():
                self.latin_keys[place_id].add(key)
            if key and place_id not in self.exact[key]:
                self.exact[key].append(place_id)
            loose = loose_key(name)
            if len(loose) >= 2 and place_id not in self.loose[loose]:
                self.loose[loose].append(place_id)
            consonants = consonant_key(name)
            if len(consonants) >= 3 and place_id not in self.loose[consonants]:
                self.loose[consonants].append(place_id)
            for skel in skeletons(name):
                if len(skel) >= 3 and place_id not in self.skeleton[skel]:
                    self.skeleton[skel].append(place_id)

    @cached_property
    def region_place(self) -> Place:
        """The region's own governorate entry (curated; the loader checks it exists). Looked up once."""
        return next(p for p in self.places.values() if p.kind == "governorate" and p.admin1 == self.region)

    def lookup(self, phrase: str, allow_skeleton: bool = True) -> list[tuple[Place, bool]]:
        """Candidates for a phrase, each with whether it matched exactly: exact normalised names first, then
        vowel-insensitive and consonant-skeleton matches (context decides between them)."""
        exact = self.exact.get(normal_key(phrase), [])
        out: dict[str, bool] = dict.fromkeys(exact, True)
        if allow_skeleton:
            for key in (loose_key(phrase), consonant_key(phrase)):
                for pid in self.loose.get(key, []) if len(key) >= 2 else []:
                    out.setdefault(pid, False)
            for skel in skeletons(phrase):
                for pid in self.skeleton.get(skel, []):
                    out.setdefault(pid, False)
        return [(self.places[pid], is_exact) for pid, is_exact in out.items()]

    def near_miss(self, phrase: str) -> list[Place]:
        """Region places whose consonant key is the phrase's with one consonant more ("Hatamiyeh" for Al
        Hartamiyah): a last resort for a name in place context that matched nothing, kept only when it points to
        one place."""
        key = consonant_key(phrase)
        if len(key) < 3:
            return []
        found = [self.places[pid] for pid in self._near_miss_index().get(key, ())]
        if found and all(distance_km(found[0].lat, found[0].lon, p.lat, p.lon) < SAME_PLACE_KM for p in found[1:]):
            return found[:1]
        return []

    def _near_miss_index(self) -> dict[str, list[str]]:
        if self._near_index is None:
            index: dict[str, list[str]] = defaultdict(list)
            for pid, keys in self.latin_keys.items():
                if self.places[pid].admin1 != self.region:
                    continue
                for key in {consonant_key(k) for k in keys}:
                    for i in range(len(key)):
                        shorter = key[:i] + key[i + 1 :]
                        if len(shorter) >= 3 and pid not in index[shorter]:
                            index[shorter].append(pid)
            self._near_index = dict(index)
        return self._near_index

    def admin_for(self, place: Place) -> tuple[str | None, str | None]:
        """admin2 (district) and admin3 (sub-district) of a place: the nearest OCHA sub-district centroid."""
        if place.admin2 or place.admin3 or place.kind == "governorate":
            return place.admin2, place.admin3
        return _admin_cached(self, place.place_id)

    def region_keys(self) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
        """Exact, loose and skeleton keys of the region's places, for the cheap relevance test."""

        def own(index: dict[str, list[str]]) -> frozenset[str]:
            return frozenset(k for k, ids in index.items() if any(self.places[i].admin1 == self.region for i in ids))

        return own(self.exact), own(self.loose), own(self.skeleton)


@lru_cache(maxsize=50_000)
def _admin_cached(gaz: Gazetteer, place_id: str) -> tuple[str | None, str | None]:
    place = gaz.places[place_id]
    admin = nearest_admin(gaz.admin_areas, place.admin1, place.lat, place.lon)
    return admin.admin2 or None, (None if place.kind in {"road", "region"} else admin.admin3 or None)


@dataclass(frozen=True)
class CuratedPlace:
    """A curated_places.yaml entry, validated by the loader."""

    name: str
    aliases: tuple[str, ...]
    lat: float
    lon: float
    admin1: str
    kind: str
    geo_precision: int


def build_gazetteer(
    region: str, rows: Iterable[Mapping[str, str]], admin_areas: Sequence[AdminArea], curated: Iterable[CuratedPlace]
) -> Gazetteer:
    """Index GeoNames/OSM rows (places.tsv) and curated places; curated entries take their admin2/3 from the
    nearest sub-district."""
    gaz = Gazetteer(places={}, region=region, admin_areas=admin_areas)
    for row in rows:
        place = Place(
            place_id=row["place_id"], name=row["name"], admin1=row["admin1"], lat=float(row["lat"]),
            lon=float(row["lon"]), feature=row["feature"], population=int(row["population"] or 0), source=row["source"],
        )  # fmt: skip
        gaz.places[place.place_id] = place
        names = [n for n in row["latin_names"].split("|") if n] + [n for n in row["arabic_names"].split("|") if n]
        gaz.add_names(place.place_id, names or [row["name"]])
    for entry in curated:
        pid = curated_id(entry.name)
        admin = nearest_admin(admin_areas, entry.admin1, entry.lat, entry.lon)
        kind = entry.kind
        gaz.places[pid] = Place(
            place_id=pid, name=entry.name, admin1=entry.admin1, lat=entry.lat, lon=entry.lon, kind=kind,
            feature=kind.upper(), source="curated", geo_precision=entry.geo_precision,
            admin2=None if kind == "governorate" else admin.admin2 or None,
            admin3=None if kind in {"governorate", "road", "region"} else admin.admin3 or None,
        )  # fmt: skip
        for alias in [entry.name, *entry.aliases]:
            gaz.curated_alias_texts[str(alias)] = pid
    gaz._near_miss_index()  # built now, not inside the first article that needs it
    return gaz
