"""Choosing an incident's one place and its geo-precision from the place mentions of its sentences (pure)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from spacy.tokens import Doc, Span

from processors.geo.gazetteer import Gazetteer, Place, distance_km
from processors.geo.mentions import text_of
from processors.lexicon import Lexicon

_RELATIVE_TO = re.compile(
    r"^\s*(?:(?:al|el|ad|as|ash|ar|an|at|az|(?-i:[A-Z])[\w'’`]*)[\s-]+){0,3}?"  # the rest of a partly matched name
    r"(?:front(?:line)?s?|areas?|farms?|hills?|axis|fields?)?\s*(?:in\s+the\s+vicinity\s+of|near|close\s+to|"
    r"(?:to\s+the\s+)?(?:north|south|east|west)(?:-?(?:east|west))?\s+of|outside|around)\s+(?:the\s+)?(?:(?:city|town|village)\s+of\s+)?$",
    re.I,
)
_SETTLEMENT_BEFORE = re.compile(r"\b(?:city|town|village)\s+of\s+(?:the\s+)?$", re.I)
_NEIGHBOURHOOD = re.compile(r"^\s*(?:neighbou?rhood|quarter|district)\b", re.I)
_PREPOSITIONS = frozenset({"in", "of", "near", "on", "at", "between", "around", "outside"})


def places_in(sent: Span) -> list[Span]:
    """The resolved place mentions (doc.spans["places"]) inside a sentence."""
    return [s for s in sent.doc.spans.get("places", []) if s.start >= sent.start and s.end <= sent.end]


def specific(gaz: Gazetteer, spans: Iterable[Span]) -> list[Span]:
    """Mentions more precise than a region: towns, roads, bases... and "Idlib city" (the governorate's name with
    "city" is the town)."""
    return [s for s in spans if s._.place_precision != 3 and (gaz.places[s.label_].kind != "governorate" or
                                                              s._.place_precision == 1)]  # fmt: skip


def _relative_target(doc: Doc, spans: list[Span], index: int) -> Span | None:
    """ACLED codes "X front near Y", "X farms in the vicinity of Y", "X area west of Y town" to Y, the town. A place
    the text itself calls a settlement ("the city of X south of Y city") stays X."""
    span = spans[index]
    if _SETTLEMENT_BEFORE.search(text_of(doc), max(0, span.start_char - 20), span.start_char):
        return None
    for later in spans[index + 1 : index + 3]:
        between = text_of(doc)[span.end_char : later.start_char]
        if len(between) < 60 and _RELATIVE_TO.match(between):
            return later
    return None


def _unknown_name_in(sent: Span, places: list[Span], lex: Lexicon) -> bool:
    """Whether the sentence names a place we could not resolve: a proper noun after "in", "of", "near"... that is
    neither a known place, an actor, nor a common word."""
    covered = {i for s in places for i in range(s.start, s.end)}
    covered |= {i for s in sent.doc.spans.get("actors", []) for i in range(s.start, s.end)}
    for token in sent:
        if token.i in covered or token.pos_ != "PROPN" or token.lower_ in lex.common_words or token.i == sent.start:
            continue
        if sent.doc[token.i - 1].lower_ in _PREPOSITIONS:
            return True
    return False


_LIST_GAP = re.compile(
    r"^\s*(?:,|and|&|,\s*and|,\s*as\s+well\s+as|or)?\s*(?:the\s+)?(?:(?:towns?|villages?|cities)\s+of\s+)?$", re.I
)


def _listed(towns: list[Span]) -> list[Span]:
    """The longest run of mentions the text enumerates ("in A, B, C and D"): only commas and "and" between them.
    Towns named in different clauses of a long sentence are no list."""
    best: list[Span] = []
    run: list[Span] = []
    for span in sorted(towns, key=lambda s: s.start_char):
        if run and not _LIST_GAP.match(text_of(span.doc)[run[-1].end_char : span.start_char]):
            run = []
        run.append(span)
        if len(run) > len(best):
            best = list(run)
    return best


def _medoid(gaz: Gazetteer, towns: list[Span]) -> Span | None:
    """For a list of three or more villages ("clashes in A, B, C and D"), the one closest to all the others.
    ACLED codes such a report once per village; the medoid is the single place nearest whichever of them a
    reader (or ACLED) takes as the location. None for shorter lists."""
    distinct: dict[str, Span] = {}
    for span in towns:
        distinct.setdefault(span.label_, span)
    if len(distinct) < 3:
        return None
    places = {pid: gaz.places[pid] for pid in distinct}

    def spread(pid: str) -> float:
        here = places[pid]
        return sum(distance_km(here.lat, here.lon, p.lat, p.lon) for p in places.values())

    return distinct[min(distinct, key=spread)]


def pick_place(
    gaz: Gazetteer, lex: Lexicon, groups_spans: Sequence[list[Span]], anchor: Span | None = None
) -> tuple[Place, int] | None:
    """The most specific place: towns first (the region's before others), then roads/regions/bases, then the
    governorate, looking at the anchor sentence first and then the rest of the incident's text."""
    region = gaz.region
    groups_spans = [
        [s for s in spans if not _NEIGHBOURHOOD.match(text_of(s.doc)[s.end_char : s.end_char + 20])]
        for spans in groups_spans
    ]  # "Al-Qusor neighbourhood in Idleb city": the city
    first = groups_spans[0] if groups_spans else []
    if anchor is not None and first and not specific(gaz, first) and not _unknown_name_in(anchor, first, lex):
        ordered = sorted(first, key=lambda s: gaz.places[s.label_].admin1 != region)
        place = gaz.places[ordered[0].label_]  # the anchor names only a region ("eastern countryside of Idleb")
        return place, 3 if place.kind in {"governorate", "town"} else int(ordered[0]._.place_precision)
    for spans in groups_spans:
        if not spans:
            continue
        chosen = specific(gaz, spans)
        towns = [s for s in chosen if gaz.places[s.label_].kind in {"town", "governorate"}]
        features = [s for s in chosen if gaz.places[s.label_].kind not in {"town", "governorate"}]
        in_region = [s for s in towns + features if gaz.places[s.label_].admin1 == region]
        listed = _medoid(gaz, _listed([s for s in towns if gaz.places[s.label_].admin1 == region]))
        if listed is not None:
            return gaz.places[listed.label_], int(listed._.place_precision)
        for choice in (towns, in_region, features):
            if choice:
                target = _relative_target(choice[0].doc, spans, spans.index(choice[0]))
                if target is not None and (
                    gaz.places[target.label_].kind != "governorate" or target._.place_precision == 1
                ):  # "... area to the southwest of Idleb city": the city, not the governorate
                    return gaz.places[target.label_], 2
                return gaz.places[choice[0].label_], int(choice[0]._.place_precision)

    for spans in groups_spans:  # only regions named: the governorate if it is the region, else the first
        ordered = sorted(spans, key=lambda s: gaz.places[s.label_].admin1 != region)
        for span in ordered:
            place = gaz.places[span.label_]
            return place, 3 if place.kind in {"governorate", "town"} else int(span._.place_precision)
    return None
