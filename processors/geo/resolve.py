"""Candidate scoring: which gazetteer place each mention means, given the governorates, compass words and other
places of its text (pure)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

from processors.geo.gazetteer import SAME_PLACE_KM, Gazetteer, Place, distance_km
from processors.geo.names import fold, glued_variants, has_article, normal_key
from processors.lexicon import Lexicon

STRONG_SIMILARITY = 0.8
MIN_SKELETON_SIMILARITY = 0.65
CLOSER_ELSEWHERE = 0.2  # spelling margin by which a place outside the region outweighs the region's bias
_COMPASS = {"north": (1.0, 0.0), "south": (-1.0, 0.0), "east": (0.0, 1.0), "west": (0.0, -1.0)}


@dataclass(frozen=True)
class Mention:
    """A name found in a text (character span) with the gazetteer places it may mean."""

    start: int  # token offsets in the parsed document
    end: int
    start_char: int
    end_char: int
    text: str
    candidates: tuple[tuple[Place, bool], ...]  # (place, matched exactly)


@dataclass(frozen=True)
class Resolved:
    """A mention resolved to one place, with ACLED's geo-precision read from its context."""

    mention: Mention
    place: Place
    exact: bool
    precision: int


def _governorate_patterns(folded: str, lex: Lexicon) -> Iterable[tuple[str, re.Pattern[str]]]:
    """Each governorate's pattern, or none at all when one scan for all of them finds none in the text."""
    return lex.governorates.items() if lex.any_governorate.search(folded) else ()


def governorates_mentioned(text: str, lex: Lexicon) -> set[str]:
    """Governorates a text names, or points to through forces and places that only operate there."""
    folded = fold(text)
    found = {gov for gov, pattern in _governorate_patterns(folded, lex) if pattern.search(folded)}
    if lex.region not in found:
        for pattern, governorates in lex.hints:
            if pattern.search(folded):
                found.update(governorates)
    if "Rural Damascus" in found and not re.search(
        r"\bdamascus\b(?! countryside)", folded.replace("rural damascus", "")
    ):
        found.discard("Damascus")
    return found


_SENTENCE_END = re.compile(r"[.!?\n]")
LOCAL_AFTER_CHARS = 250
LOCAL_BEFORE_CHARS = 400


def _first_governorate(folded: str, lex: Lexicon, last: bool) -> str | None:
    hits = [(m.start(), gov) for gov, pattern in _governorate_patterns(folded, lex) for m in pattern.finditer(folded)]
    if not hits:
        return None
    return (max(hits) if last else min(hits))[1]


def local_governorate(masked: str, start: int, end: int, lex: Lexicon) -> str | None:
    """The governorate the text ties a name to: the first one named after it in its sentence ("X, Y and Z in the
    southern countryside of Idlib, and W in the northern countryside of Hama" ties W to Hama), else the last one
    named before it in its paragraph ("Idlib Province, the Observatory: ... X"). None when neither names one. A name
    that is itself a governorate's ("the Wali of Hama") is tied to that governorate."""
    itself = _first_governorate(fold(masked[start:end]), lex, last=False)
    if itself is not None:
        return itself
    ahead = masked[end : end + LOCAL_AFTER_CHARS]
    stop = _SENTENCE_END.search(ahead)
    after = _first_governorate(fold(ahead[: stop.start()] if stop else ahead), lex, last=False)
    if after is not None:
        return after
    behind = masked[max(0, start - LOCAL_BEFORE_CHARS) : start]
    paragraph = behind.rfind("\n")
    return _first_governorate(fold(behind[paragraph + 1 :]), lex, last=True)


def directions_mentioned(text: str, lex: Lexicon) -> set[str]:
    """Compass words tied to the region ("Idleb south eastern countryside", "southern Idlib") -> {"south", "east"}."""
    found: set[str] = set()
    for match in lex.direction_pattern.finditer(text):
        found.update(g.lower() for g in match.groups() if g)
    return found


def local_directions(text: str, start: int, end: int, lex: Lexicon) -> set[str]:
    """The compass words that can describe a name: those of its own sentence, and before it those of its paragraph
    (the scope of local_governorate). A round-up's "northern countryside of Idlib" four paragraphs later says nothing
    of a village in Jabal al-Zawiya."""
    ahead = text[end : end + LOCAL_AFTER_CHARS]
    stop = _SENTENCE_END.search(ahead)
    behind = text[max(0, start - LOCAL_BEFORE_CHARS) : start]
    return directions_mentioned(
        behind[behind.rfind("\n") + 1 :] + text[start:end] + (ahead[: stop.start()] if stop else ahead), lex
    )


def in_direction(place: Place, centre: Place, directions: set[str]) -> bool:
    dlat, dlon = place.lat - centre.lat, place.lon - centre.lon
    checks = {"north": dlat > 0.03, "south": dlat < -0.03, "east": dlon > 0.03, "west": dlon < -0.03}
    return all(checks[d] for d in directions)


def bearing_agreement(place: Place, centre: Place, directions: set[str]) -> float:
    """Cosine between the bearing from the region's centre to a place and the stated direction (1 = straight along
    it): "southern countryside" prefers the village due south over a namesake to the south-east."""
    north = place.lat - centre.lat
    east = (place.lon - centre.lon) * math.cos(math.radians(centre.lat))
    target_n = sum(_COMPASS[d][0] for d in directions)
    target_e = sum(_COMPASS[d][1] for d in directions)
    norm = math.hypot(north, east) * math.hypot(target_n, target_e)
    return (north * target_n + east * target_e) / norm if norm else 0.0


_CITY_AFTER = re.compile(r"^\s*city\b")
_CITY_OF_BEFORE = re.compile(r"\bcity of\s*$")


def precision_from_context(before: str, after: str, place: Place, lex: Lexicon) -> int:
    """ACLED geo-precision of a mention: 1 the town itself, 2 near it or part of a region, 3 a larger region."""
    if place.kind == "governorate" and (_CITY_AFTER.match(after) or _CITY_OF_BEFORE.search(before)):
        return 1
    if place.kind != "town":
        return place.geo_precision
    if place.feature in {"PPLA", "PPLC"} and not _CITY_AFTER.match(after) and not _CITY_OF_BEFORE.search(before):
        return 3  # "in Idlib", "countryside of Hama": a governorate's name, not its capital city
    if lex.near_before.search(before[-60:]) or lex.near_after.search(after[:30]):
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
    return max(fuzz.ratio(normal_key(variant), other) / 100.0 for variant in glued_variants(phrase) for other in keys)


def choose(
    gaz: Gazetteer, phrase: str, candidates: Sequence[tuple[Place, bool]], governorates: set[str],
    anchors: Sequence[Place], directions: set[str] = frozenset(),  # type: ignore[assignment]
    nearest_anchor: dict[str, float] | None = None,
) -> tuple[Place, bool]:  # fmt: skip
    """Pick one candidate: governorates the text names, compass hints, closeness to other places it names,
    spelling, prominence. nearest_anchor: a per-text memo of each place's distance to the nearest anchor."""
    if len(candidates) == 1:
        return candidates[0]  # nothing to weigh
    region = gaz.region
    memo = {} if nearest_anchor is None else nearest_anchor

    def nearest_km(place: Place) -> float:
        found = memo.get(place.place_id)
        if found is None:
            found = memo[place.place_id] = min(
                (distance_km(place.lat, place.lon, a.lat, a.lon) for a in anchors), default=math.inf
            )
        return found

    centre = gaz.region_place
    elsewhere = max(
        (1.0 if exact else similarity(gaz, phrase, p) for p, exact in candidates if p.admin1 != region), default=0.0
    )

    def score(item: tuple[Place, bool]) -> float:
        place, exact = item
        spelling = 1.0 if exact else similarity(gaz, phrase, place)
        value = 4.0 * spelling
        if has_article(phrase) == has_article(place.name):
            value += 0.4
        if directions and place.admin1 == region:
            value += (
                3.0 + 0.6 * bearing_agreement(place, centre, directions)
                if in_direction(place, centre, directions)
                else -1.0
            )
        nearest = nearest_km(place)
        if place.admin1 in governorates:
            value += 3.0
        elif governorates:
            value -= 1.5
        elif place.admin1 == region and (
            nearest < 30 or not (elsewhere >= STRONG_SIMILARITY and elsewhere - spelling > CLOSER_ELSEWHERE)
        ):
            value += 2.5  # the stream is about its region: a report naming no governorate most likely means it,
            # unless a place elsewhere is spelled much more like the name and none of the text's places is near
        if place.source == "curated":
            value += 1.5
        elif place.source.startswith("geonames"):
            value += 0.5
        if place.feature in {"PPLA", "PPLA2", "PPLA3", "PPLC"}:
            value += 0.5
        value += min(math.log10(place.population + 1), 6) / 6
        if nearest < 30:
            value += 2.0 + (0.5 if nearest < 10 else 0.0)
        return value

    return max(candidates, key=score)


def plausible(gaz: Gazetteer, place: Place, exact: bool, governorates: set[str], spelling: float) -> bool:
    """A name resolved outside every governorate the text names is more likely a wrong match than a place;
    where the text names none, a loose match outside the region is dropped likewise. A close spelling of a region
    place survives a bare city name elsewhere ("the road from Jisr-Ash-Shugur to Aleppo")."""
    if place.kind == "governorate" or place.source == "curated":
        return True
    if governorates:
        return place.admin1 in governorates or (place.admin1 == gaz.region and (exact or spelling >= STRONG_SIMILARITY))
    return exact or place.admin1 == gaz.region


def plausible_here(gaz: Gazetteer, place: Place, exact: bool, local: str | None, spelling: float) -> bool:
    """A loose spelling match in another governorate than the one its own sentence names ("Tar'ei village in the
    southern countryside of Idlib" is no village of Aleppo, however the spelling compares) is a wrong match: the
    honest answer is the governorate the sentence names, not a namesake tens of kilometres away."""
    if local is None or exact or place.kind == "governorate" or place.source == "curated":
        return True
    return place.admin1 == local or (place.admin1 == gaz.region and spelling >= STRONG_SIMILARITY)


def unambiguous(candidates: Sequence[tuple[Place, bool]]) -> Place | None:
    """The place a name surely means: its only candidate, or its exact matches when they are one place listed by
    several sources (GeoNames and OSM points a few hundred metres apart)."""
    pool = [p for p, exact in candidates if exact] or [p for p, _ in candidates]
    first = pool[0]
    if first.kind in {"governorate", "road"}:
        return None
    if all(distance_km(first.lat, first.lon, p.lat, p.lon) < SAME_PLACE_KM for p in pool[1:]):
        return first
    return None


def resolve_all(text: str, masked: str, mentions: Sequence[Mention], gaz: Gazetteer, lex: Lexicon) -> list[Resolved]:
    """Each mention's place (or none, when implausible), decided with the whole text as context. `masked` is the
    text with road and crossing names blanked ("Damascus-Aleppo highway" names no governorate)."""
    governorates = governorates_mentioned(masked, lex)
    anchors = [place for m in mentions if (place := unambiguous(m.candidates)) is not None]
    out: list[Resolved] = []
    nearest_anchor: dict[str, float] = {}
    for mention in mentions:
        # the sentence's governorate matters when the candidates lie in several, or for a loose match
        several = len({p.admin1 for p, _ in mention.candidates}) > 1
        local = local_governorate(masked, mention.start_char, mention.end_char, lex) if several else None
        named = {local} if local is not None and local in governorates else governorates
        directions = local_directions(text, mention.start_char, mention.end_char, lex)
        place, exact = choose(gaz, mention.text, mention.candidates, named, anchors, directions, nearest_anchor)
        spelling = similarity(gaz, mention.text, place)
        if not plausible(gaz, place, exact, governorates, spelling):
            continue
        if not several and not exact:
            local = local_governorate(masked, mention.start_char, mention.end_char, lex)
        if not plausible_here(gaz, place, exact, local, spelling):
            continue
        before = text[max(0, mention.start_char - 80) : mention.start_char].lower()
        after = text[mention.end_char : mention.end_char + 40].lower()
        out.append(Resolved(mention, place, exact, precision_from_context(before, after, place, lex)))
    return out
