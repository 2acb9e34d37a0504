"""Gazetteer of Syrian places and the lookup that turns place names in a parsed text into coordinates (pure)."""

from __future__ import annotations

import csv
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ingest.contract.errors import ConfigurationError
from processors.names import (
    consonant_key,
    fold,
    glued_variants,
    has_article,
    loose_key,
    normal_key,
    skeletons,
    without_head,
)

IDLIB = "Idlib"
SAME_PLACE_KM = 3.0  # points of two sources closer than this name one place
ARABIC_RE = re.compile(r"[\u0600-\u06ff]")
TOWN_FEATURES = frozenset({"PPL", "PPLA", "PPLA2", "PPLA3", "PPLA4", "PPLC", "PPLX", "PPLL", "PPLQ", "PPLF"})
# Governorate names as reports spell them -> admin1 as this project names it.
GOVERNORATE_PATTERNS = {
    IDLIB: r"idlib|idleb|edlib|idlip",
    "Hama": r"hama|hamah",
    "Aleppo": r"aleppo|halab",
    "Latakia": r"latakia|lattakia|ladhiqiyah",
    "Homs": r"homs",
    "Ar-Raqqah": r"raqqa|raqqah|al raqqa",
    "Deir ez-Zor": r"deir ez ?zor|deir ezzor|deir al ?zour|deir ez zour|deir ezzour",
    "Rural Damascus": r"rural damascus|damascus countryside|rif dimashq|eastern ghouta|western ghouta",
    "Damascus": r"damascus",
    "Daraa": r"daraa|deraa|dara a|dara",
    "Al-Hasakah": r"hasakah|hasakeh|hassakeh|al hasakah",
    "Tartus": r"tartus|tartous",
    "Quneitra": r"quneitra|qunaitra",
    "As-Suwayda": r"suwayda|sweida|suwaida",
}
_GOV_RE = {gov: re.compile(rf"\b(?:{pattern})\b") for gov, pattern in GOVERNORATE_PATTERNS.items()}
# Forces and operations that never fought in Idlib: naming them points to the governorates they did fight in.
GOVERNORATE_HINTS = {
    re.compile(r"\b(?:sdf|qsd|ypg|ypj|syrian democratic forces|asayish|manbij military council)\b", re.I): (
        "Al-Hasakah",
        "Ar-Raqqah",
        "Deir ez-Zor",
        "Aleppo",
    ),
    re.compile(r"\b(?:peace spring|ras al ?ain|tal abyad|tell abiad)\b", re.I): ("Al-Hasakah", "Ar-Raqqah"),
    re.compile(r"\b(?:olive branch|euphrates shield|afrin|azaz|al bab|jarablus|manbij)\b", re.I): ("Aleppo",),
    re.compile(r"\b(?:southern front|reconciliation committee|central committee of dara)\b", re.I): ("Daraa",),
}
# Words capitalised in reports that are never place names on their own.
COMMON_WORDS = frozenset(
    [
        "the",
        "a",
        "an",
        "on",
        "in",
        "at",
        "of",
        "and",
        "or",
        "but",
        "by",
        "for",
        "with",
        "from",
        "to",
        "into",
        "between",
        "near",
        "as",
        "after",
        "before",
        "during",
        "while",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "syria",
        "syrian",
        "russian",
        "russia",
        "turkish",
        "turkey",
        "iranian",
        "iran",
        "american",
        "kurdish",
        "arab",
        "regime",
        "army",
        "forces",
        "force",
        "state",
        "islamic",
        "front",
        "corps",
        "brigade",
        "division",
        "party",
        "movement",
        "group",
        "groups",
        "militia",
        "militias",
        "rebels",
        "rebel",
        "opposition",
        "government",
        "ministry",
        "minister",
        "president",
        "north",
        "south",
        "east",
        "west",
        "northern",
        "southern",
        "eastern",
        "western",
        "central",
        "idlib",
        "idleb",
        "countryside",
        "city",
        "town",
        "village",
        "province",
        "governorate",
        "unknown",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "one",
        "killed",
        "injured",
        "clashes",
        "clash",
        "shelling",
        "airstrikes",
        "news",
        "agency",
        "press",
        "reported",
        "according",
        "sources",
        "source",
        "observatory",
        "sohr",
        "update",
        "police",
        "military",
        "sham",
        "hts",
        "international",
        "road",
        "highway",
        "border",
        "camp",
        "camps",
        "new",
        "old",
        "mount",
        "mountain",
        "plain",
        "valley",
        "district",
        "sub",
        "countryside",
        "free",
        "kuwaiti",
        "uzbek",
        "chechen",
        "saudi",
        "qatari",
        "egyptian",
        "jordanian",
        "lebanese",
        "iraqi",
        "uyghur",
        "turkistani",
        "afghan",
        "tunisian",
        "moroccan",
        "libyan",
        "emirati",
        "gulf",
        "european",
        "british",
        "french",
        "german",
        "italian",
        "chinese",
        "ukrainian",
        "palestinian",
        "albanian",
        "tajik",
        "turkmen",
        "circassian",
        "druze",
        "alawite",
        "sunni",
        "shia",
        "christian",
        "muslim",
        "allah",
        "wali",
        "emir",
        "mufti",
        "qadi",
        "god",
        "prophet",
        "sheikh",
        "imam",
    ]
)
_QUALIFIER_BEFORE = re.compile(
    r"\b(near|nearby|vicinity|outskirts|around|between|close to|outside|surroundings|frontlines?|front lines?|front|"
    r"axis|countryside|areas?|direction|edge|road|west of|east of|north of|south of|periphery|environs|"
    r"heading to|towards|perimeter)\b[^.]{0,25}$"
)
_QUALIFIER_AFTER = re.compile(
    r"^[\s,]*(front|frontlines?|front lines?|axis|areas?|countryside|outskirts|surroundings|vicinity|environs|"
    r"periphery|road|highway|plain|plains|farms)\b"
)


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
class PlaceMention:
    start_char: int
    end_char: int
    text: str
    place: Place
    exact: bool
    geo_precision: int


@dataclass(eq=False)
class Gazetteer:
    places: dict[str, Place]
    admin_areas: list[dict[str, str]] = field(default_factory=list)
    exact: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    loose: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    skeleton: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    curated_aliases: dict[str, str] = field(default_factory=dict)  # folded alias -> place_id
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
        """Idlib places whose consonant key is the phrase's with one consonant more ("Hatamiyeh" for Al Hartamiyah):
        a last resort for a name in place context that matched nothing, kept only when it points to one place."""
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
                if self.places[pid].admin1 != IDLIB:
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

    def idlib_keys(self) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
        """Exact, loose and skeleton keys of Idlib places, for the cheap relevance test."""

        def idlib(index: dict[str, list[str]]) -> frozenset[str]:
            return frozenset(k for k, ids in index.items() if any(self.places[i].admin1 == IDLIB for i in ids))

        return idlib(self.exact), idlib(self.loose), idlib(self.skeleton)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))


def _data_path(name: str) -> Path:
    return Path(str(resources.files("processors") / "data" / name))


def _nearest_admin(admin_areas: Sequence[dict[str, str]], admin1: str, lat: float, lon: float) -> dict[str, str]:
    same = [a for a in admin_areas if a["admin1"] == admin1] or list(admin_areas)
    return min(same, key=lambda a: distance_km(lat, lon, float(a["lat"]), float(a["lon"])))


def _read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE, escapechar="\\"))


def _curated(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        raise ConfigurationError("curated_places.yaml must be a list of places")
    for entry in raw:
        missing = {"name", "aliases", "lat", "lon", "admin1", "kind", "geo_precision"} - set(entry)
        if missing:
            raise ConfigurationError(f"curated place {entry.get('name')!r} lacks {sorted(missing)}")
    return raw


@lru_cache(maxsize=4)
def load_gazetteer(folder: str | None = None) -> Gazetteer:
    """Load places.tsv, admin_areas.tsv and curated_places.yaml (validated; a bad file is a ConfigurationError)."""
    base = Path(folder) if folder else None
    path = (lambda n: base / n) if base else _data_path
    try:
        admin_areas = _read_tsv(path("admin_areas.tsv"))
        rows = _read_tsv(path("places.tsv"))
        curated = _curated(yaml.safe_load(path("curated_places.yaml").read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, KeyError) as exc:
        raise ConfigurationError(f"gazetteer data unreadable: {exc}") from exc
    gaz = Gazetteer(places={}, admin_areas=admin_areas)
    for row in rows:
        place = Place(
            place_id=row["place_id"], name=row["name"], admin1=row["admin1"], lat=float(row["lat"]),
            lon=float(row["lon"]), feature=row["feature"], population=int(row["population"] or 0), source=row["source"],
        )  # fmt: skip
        gaz.places[place.place_id] = place
        names = [n for n in row["latin_names"].split("|") if n] + [n for n in row["arabic_names"].split("|") if n]
        gaz.add_names(place.place_id, names or [row["name"]])
    for entry in curated:
        pid = "curated:" + fold(entry["name"]).replace(" ", "-")
        lat, lon = float(entry["lat"]), float(entry["lon"])
        admin = _nearest_admin(admin_areas, entry["admin1"], lat, lon)
        kind = entry["kind"]
        gaz.places[pid] = Place(
            place_id=pid, name=entry["name"], admin1=entry["admin1"], lat=lat, lon=lon, kind=kind,
            feature=kind.upper(), source="curated", geo_precision=int(entry["geo_precision"]),
            admin2=None if kind == "governorate" else admin["admin2"] or None,
            admin3=None if kind in {"governorate", "road", "region"} else admin["admin3"] or None,
        )  # fmt: skip
        for alias in [entry["name"], *entry["aliases"]]:
            gaz.curated_aliases[fold(alias)] = pid
            gaz.curated_alias_texts[str(alias)] = pid
    return gaz


@lru_cache(maxsize=50_000)
def _admin_cached(gaz: Gazetteer, place_id: str) -> tuple[str | None, str | None]:
    place = gaz.places[place_id]
    admin = _nearest_admin(gaz.admin_areas, place.admin1, place.lat, place.lon)
    return admin["admin2"] or None, (None if place.kind in {"road", "region"} else admin["admin3"] or None)


def governorates_mentioned(text: str) -> set[str]:
    """Governorates a text names, or points to through forces and places that only operate there."""
    folded = fold(text)
    found = {gov for gov, pattern in _GOV_RE.items() if pattern.search(folded)}
    if IDLIB not in found:
        for pattern, governorates in GOVERNORATE_HINTS.items():
            if pattern.search(folded):
                found.update(governorates)
    if "Rural Damascus" in found and not re.search(
        r"\bdamascus\b(?! countryside)", folded.replace("rural damascus", "")
    ):
        found.discard("Damascus")
    return found


def precision_from_context(before: str, after: str, place: Place) -> int:
    if place.kind == "governorate" and (re.match(r"^\s*city\b", after) or re.search(r"\bcity of\s*$", before)):
        return 1
    if place.kind != "town":
        return place.geo_precision
    if (
        place.feature in {"PPLA", "PPLC"}
        and not re.match(r"^\s*city\b", after)
        and not (re.search(r"\bcity of\s*$", before))
    ):
        return 3  # "in Idlib", "countryside of Hama": a governorate's name, not its capital city
    if _QUALIFIER_BEFORE.search(before[-60:]) or _QUALIFIER_AFTER.search(after[:30]):
        return 2
    return 1


def similarity(gaz: Gazetteer, phrase: str, place: Place) -> float:
    """Best spelling similarity (0-1) of a phrase to any Latin name of a place (memoised: it is the hot path)."""
    return _similarity(gaz, phrase, place.place_id)


def _arabic_h_missing(latin: str, arabic: str) -> bool:
    """Whether an Arabic name has a ح or a medial ه (transliterated "h" almost always) that the Latin lacks."""
    arabic_h = any(
        ch == "ح" or (ch == "ه" and i < len(word) - 1) for word in arabic.split() for i, ch in enumerate(word)
    )
    latin_h = re.search(r"(?<![sktdgc])h", latin.lower()) is not None
    return arabic_h and not latin_h


@lru_cache(maxsize=100_000)
def _similarity(gaz: Gazetteer, phrase: str, place_id: str) -> float:
    keys = gaz.latin_keys.get(place_id)
    if not keys:  # an Arabic-only place: its skeleton matched; an h the Latin spelling lacks counts against it
        return 0.6 if _arabic_h_missing(phrase, gaz.places[place_id].name) else 0.75
    return max(
        SequenceMatcher(None, normal_key(variant), other).ratio()
        for variant in glued_variants(phrase)
        for other in keys
    )


IDLIB_CITY = (35.9306, 36.6339)
_DIRECTION_RE = re.compile(
    r"\b(north|south|east|west)(?:ern)?(?:[- ]?(east|west)(?:ern)?)?\s+(?:countryside\s+of\s+|parts?\s+of\s+)?"
    r"(?:idlib|idleb)|\b(?:idlib|idleb)(?:'s)?\s+(north|south|east|west)(?:ern)?(?:[- ]?(east|west)(?:ern)?)?",
    re.I,
)


def directions_mentioned(text: str) -> set[str]:
    """Compass words tied to Idlib ("Idleb south eastern countryside", "southern Idlib") -> {"south", "east"}."""
    found: set[str] = set()
    for match in _DIRECTION_RE.finditer(text):
        found.update(g.lower() for g in match.groups() if g)
    return found


def in_direction(place: Place, directions: set[str]) -> bool:
    dlat, dlon = place.lat - IDLIB_CITY[0], place.lon - IDLIB_CITY[1]
    checks = {"north": dlat > 0.03, "south": dlat < -0.03, "east": dlon > 0.03, "west": dlon < -0.03}
    return all(checks[d] for d in directions)


_COMPASS = {"north": (1.0, 0.0), "south": (-1.0, 0.0), "east": (0.0, 1.0), "west": (0.0, -1.0)}


def bearing_agreement(place: Place, directions: set[str]) -> float:
    """Cosine between the bearing from Idlib city to a place and the stated direction (1 = straight along it):
    "southern countryside" prefers the village due south over a namesake to the south-east."""
    north = place.lat - IDLIB_CITY[0]
    east = (place.lon - IDLIB_CITY[1]) * math.cos(math.radians(IDLIB_CITY[0]))
    target_n = sum(_COMPASS[d][0] for d in directions)
    target_e = sum(_COMPASS[d][1] for d in directions)
    norm = math.hypot(north, east) * math.hypot(target_n, target_e)
    return (north * target_n + east * target_e) / norm if norm else 0.0


def choose(
    gaz: Gazetteer, phrase: str, candidates: Sequence[tuple[Place, bool]], governorates: set[str],
    anchors: Sequence[Place], directions: set[str] = frozenset(),  # type: ignore[assignment]
) -> tuple[Place, bool]:  # fmt: skip
    """Pick one candidate: governorates the text names, compass hints, closeness to other places it names,
    spelling, prominence."""

    def score(item: tuple[Place, bool]) -> float:
        place, exact = item
        value = 4.0 if exact else 4.0 * similarity(gaz, phrase, place)
        if has_article(phrase) == has_article(place.name):
            value += 0.4
        if directions and place.admin1 == IDLIB:
            value += 3.0 + 0.6 * bearing_agreement(place, directions) if in_direction(place, directions) else -1.0
        if place.admin1 in governorates:
            value += 3.0
        elif governorates:
            value -= 1.5
        elif not governorates and place.admin1 == IDLIB:
            value += 2.5  # the stream is about Idlib: a report naming no governorate most likely means it
        if place.source == "curated":
            value += 1.5
        elif place.source == "geonames":
            value += 0.5
        if place.feature in {"PPLA", "PPLA2", "PPLA3", "PPLC"}:
            value += 0.5
        value += min(math.log10(place.population + 1), 6) / 6
        nearest = min((distance_km(place.lat, place.lon, a.lat, a.lon) for a in anchors), default=math.inf)
        if nearest < 30:
            value += 2.0 + (0.5 if nearest < 10 else 0.0)
        return value

    return max(candidates, key=score)


def with_precision(mention: PlaceMention, geo_precision: int) -> PlaceMention:
    return replace(mention, geo_precision=geo_precision)
