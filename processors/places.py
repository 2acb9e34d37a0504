"""Finds place names in a parsed document and resolves each to one gazetteer place (pure over a spaCy Doc)."""

from __future__ import annotations

from spacy.tokens import Doc, Span, Token

from processors.gazetteer import (
    COMMON_WORDS,
    IDLIB,
    SAME_PLACE_KM,
    Gazetteer,
    Place,
    choose,
    directions_mentioned,
    distance_km,
    governorates_mentioned,
    precision_from_context,
    similarity,
)
from processors.names import ARTICLES, without_head

# Lower-case words that belong inside a place name ("Ma'arrat al-Numan", "Abu al-Duhur").
LINKERS = ARTICLES | {"abu", "um", "umm", "bin", "ibn", "bani", "de", "deir", "kafr", "tal", "tell"}
# Places outside Syria that reports name often; their consonants collide with Syrian villages.
FOREIGN = frozenset(
    [
        "ankara",
        "moscow",
        "istanbul",
        "antakya",
        "hatay",
        "gaziantep",
        "kilis",
        "reyhanli",
        "sanliurfa",
        "adana",
        "beirut",
        "tehran",
        "washington",
        "geneva",
        "astana",
        "sochi",
        "amman",
        "baghdad",
        "erbil",
        "brussels",
        "paris",
        "london",
        "berlin",
        "doha",
        "riyadh",
        "cairo",
        "kremlin",
        "turkey",
        "russia",
        "iran",
        "lebanon",
        "iraq",
        "jordan",
        "europe",
        "israel",
        "ukraine",
        "kyiv",
        "nur-sultan",
        "new",
        "york",
        "vienna",
    ]
)
# The small English model tags many Arabic village names PERSON, so PERSON only limits matching to exact names.
_BLOCKING_LABELS = frozenset({"DATE", "TIME", "MONEY", "PERCENT", "CARDINAL", "ORDINAL"})
MAX_NAME_TOKENS = 6
MIN_SKELETON_SIMILARITY = 0.65


def _name_like(token: Token) -> bool:
    text = token.text
    return bool(text) and (text[0].isupper() or text.lower() in LINKERS) and not token.is_space


def _joiner(token: Token) -> bool:
    """A hyphen or apostrophe glued inside a name ("Jisr-Ash-Shugur", "Ja'far" split as "Ja" + "'far")."""
    glued = token.i > 0 and not token.doc[token.i - 1].whitespace_
    return glued and (token.text in {"-", "'", "’", "`"} or (token.text[:1] in {"'", "’"} and token.text[1:].isalpha()))


_PLACE_PRECEDERS = frozenset(
    {"in", "near", "on", "at", "of", "between", "and", "from", "around", "outside", "to", "into", "towards", ",",
     "captured", "recaptured", "controlled", "seized", "stormed", "entered", "shelled", "targeted", "struck",
     "bombed", "hit", "recapture", "capture", "control", "besieged", "overran", "retook", "regained"}
)  # fmt: skip
# A name after these words is an armed group's ("Jaysh al-Izza", "Hurras al-Din"), not a place.
_GROUP_HEADS = frozenset(
    {"jaysh", "jaish", "ansar", "liwa", "harakat", "hurras", "huras", "faylaq", "jabhat", "kataib", "ahrar",
     "imam", "brigade", "brigades", "battalion", "saraya", "tajamu", "firqat", "suquor", "suqour", "nour", "noor",
     "fatah", "fath", "jund", "junud", "hizb", "division", "army", "front", "movement", "corps", "legion"}
)  # fmt: skip


_PLACE_NOUNS = frozenset(
    {"village", "villages", "town", "towns", "city", "front", "frontline", "frontlines", "countryside", "area", "areas",
     "axis", "camp", "outskirts", "district", "subdistrict", "region", "hill", "farms", "neighbourhood",
     "neighborhood", "suburb", "plain", "mountain", "checkpoint", "road", "crossing", "vicinity", "farm"}
)  # fmt: skip
# First words of Syrian toponyms ("Kafr Nabl", "Tall Harran", "Khirbet ..."): such a name needs no other context.
_TOPONYM_HEADS = frozenset(
    {"kafr", "kfar", "kafar", "tal", "tall", "tell", "tel", "deir", "dayr", "khan", "jisr", "maarat", "maarrat",
     "ain", "ein", "ayn", "abu", "um", "umm", "bab", "jabal", "jebel", "wadi", "qasr", "beit", "bayt", "rasm",
     "khirbet", "kherbet", "khirbat", "maar", "sheikh", "shaykh", "big", "small", "eastern", "western",
     "northern", "southern", "hish", "qalaat", "qal'at", "mazraat", "mazraa", "al", "el"}
)  # fmt: skip


def _after_place_word(span: Span) -> bool:
    """A name after "in", "near", "between"... is a place even where the model tagged it PERSON."""
    return span.start > 0 and span.doc[span.start - 1].lower_ in _PLACE_PRECEDERS


def _place_context(span: Span) -> bool:
    """Context that makes a loosely matched name a place: a preposition before, a place noun after, or a
    toponym head word ("Kafr", "Tall", "Khirbet"...)."""
    doc = span.doc
    if span[0].lower_ in _TOPONYM_HEADS:
        return True
    if _after_place_word(span) or (span.start > 1 and doc[span.start - 2].lower_ in {"of", "town", "village", "city"}):
        return True
    return span.end < len(doc) and doc[span.end].lower_ in _PLACE_NOUNS


def _blocked_tokens(doc: Doc) -> set[int]:
    blocked: set[int] = set()
    for span in doc.spans.get("actors", []):
        blocked.update(range(span.start, span.end))
    for ent in doc.ents:
        if ent.label_ in _BLOCKING_LABELS:
            blocked.update(range(ent.start, ent.end))
    return blocked


def _runs(doc: Doc, taken: set[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for token in doc:
        ok = token.i not in taken and (_name_like(token) or (start is not None and _joiner(token)))
        if ok and start is None and token.text[0].isupper():
            start = token.i
        elif not ok and start is not None:
            runs.append((start, token.i))
            start = None
        if token.is_sent_end and start is not None:
            runs.append((start, token.i + 1))
            start = None
    if start is not None:
        runs.append((start, len(doc)))
    return runs


def _named_as_place(token: Token) -> bool:
    """ "the town of Has", "Has village": even a common word is a name here."""
    doc = token.doc
    before = doc[max(0, token.i - 2) : token.i].text.lower()
    after = doc[token.i + 1].lower_ if token.i + 1 < len(doc) else ""
    return before in {"town of", "village of", "city of"} or after in {"town", "village", "city"}


def _acceptable_single(token: Token) -> bool:
    lower = token.lower_
    if lower in COMMON_WORDS or lower in FOREIGN or len(lower) < 3 or token.like_num:
        return False
    if token.is_stop:
        return _named_as_place(token)
    return not (token.is_sent_start and token.pos_ not in {"PROPN"})


STRONG_SIMILARITY = 0.8


def _plausible(place: Place, exact: bool, governorates: set[str], spelling: float) -> bool:
    """A name resolved outside every governorate the text names is more likely a wrong match than a place;
    where the text names none, a loose match outside Idlib (the stream's region) is dropped likewise. A close
    spelling of an Idlib place survives a bare city name elsewhere ("the road from Jisr-Ash-Shugur to Aleppo")."""
    if place.kind == "governorate" or place.source == "curated":
        return True
    if governorates:
        return place.admin1 in governorates or (place.admin1 == IDLIB and (exact or spelling >= STRONG_SIMILARITY))
    return exact or place.admin1 == IDLIB


def _near_miss(span: Span, gaz: Gazetteer) -> list[tuple[Place, bool]]:
    """A one- or two-word name that matched nothing, said to be a place ("Hatamiyeh village", "in Hatamiyeh"):
    the one Idlib place it spells with one consonant missing, if there is exactly one."""
    words = {t.lower_ for t in span}
    if len(span) > 2 or words & (COMMON_WORDS | FOREIGN | _TOPONYM_HEADS) or not _place_context(span):
        return []
    return [(place, False) for place in gaz.near_miss(span.text)]


def _unambiguous(candidates: list[tuple[Place, bool]]) -> Place | None:
    """The place a name surely means: its only candidate, or its exact matches when they are one place listed by
    several sources (GeoNames and OSM points a few hundred metres apart)."""
    pool = [p for p, exact in candidates if exact] or [p for p, _ in candidates]
    first = pool[0]
    if first.kind in {"governorate", "road"}:
        return None
    if all(distance_km(first.lat, first.lon, p.lat, p.lon) < SAME_PLACE_KM for p in pool[1:]):
        return first
    return None


def find_places(doc: Doc, gaz: Gazetteer, curated: list[Span]) -> list[Span]:
    """Place mentions, each a Span labelled with its place_id and carrying place_exact / place_precision."""
    blocked = _blocked_tokens(doc)
    curated_tokens = {i for span in curated for i in range(span.start, span.end)}
    raw: list[tuple[Span, list[tuple[Place, bool]]]] = [(span, [(gaz.places[span.label_], True)]) for span in curated]
    for run_start, run_end in _runs(doc, blocked | curated_tokens):
        run_words = {t.lower_ for t in doc[run_start:run_end]}
        if run_words & _GROUP_HEADS or (run_start > 0 and doc[run_start - 1].lower_ in _GROUP_HEADS):
            continue  # "Hamza Division", "Jaysh al-Izza": an armed group's name
        name_end = run_end
        while name_end > run_start + 1 and doc[name_end - 1].lower_ in _PLACE_NOUNS:
            name_end -= 1  # "Foah Farms": the name is "Foah"
        i = run_start
        while i < run_end:
            if not doc[i].text[0].isupper() or _joiner(doc[i]) or doc[i].lower_ in _GROUP_HEADS:
                i += 1
                continue
            matched = False
            for j in range(min(run_end, i + MAX_NAME_TOKENS), i, -1):
                span = doc[i:j]
                if span[-1].text in {"-", "'"} or (span[-1].text.lower() in LINKERS and len(span) > 1):
                    continue
                words = [t for t in span if not _joiner(t)]
                if len(words) == 1 and (not _acceptable_single(words[0]) or words[0].lower_ in _TOPONYM_HEADS):
                    continue
                if any(t.lower_ in FOREIGN for t in words):
                    continue
                context = _place_context(span)
                person = any(t.ent_type_ == "PERSON" for t in words) and not context
                allow_loose = context and (len(words) > 1 or words[0].pos_ == "PROPN" or _named_as_place(words[0]))
                candidates = gaz.lookup(span.text, allow_skeleton=allow_loose)
                shorter = without_head(span.text)
                if not candidates and shorter and len(words) > 1:  # "Eastern Sarja" -> "Sarja"
                    candidates = [(p, False) for p, _ in gaz.lookup(shorter, allow_skeleton=allow_loose)]
                if person and len(words) == 1 and not context:
                    candidates = []
                partial = (j - i) < (name_end - run_start)  # "Hersh" of "Hersh Banin": part of a longer name
                candidates = [
                    (p, exact) for p, exact in candidates
                    if exact or (not partial and similarity(gaz, shorter or span.text, p) >= MIN_SKELETON_SIMILARITY)
                ]  # fmt: skip
                if candidates:
                    raw.append((span, candidates))
                    i = j
                    matched = True
                    break
            if not matched and i == run_start and (near := _near_miss(doc[run_start:name_end], gaz)):
                raw.append((doc[run_start:name_end], near))
                i = name_end
            elif not matched:
                i += 1
    raw.sort(key=lambda item: item[0].start)
    masked = list(doc.text)
    for span in curated:  # "Damascus-Aleppo highway" names a road, not the governorates
        if gaz.places[span.label_].kind in {"road", "crossing", "base"}:
            masked[span.start_char : span.end_char] = " " * (span.end_char - span.start_char)
    governorates = governorates_mentioned("".join(masked))
    anchors = [place for _, cands in raw if (place := _unambiguous(cands)) is not None]
    directions = directions_mentioned(doc.text)
    out: list[Span] = []
    for span, candidates in raw:
        place, exact = choose(gaz, span.text, candidates, governorates, anchors, directions)
        if not _plausible(place, exact, governorates, similarity(gaz, span.text, place)):
            continue
        before = doc.text[max(0, span.start_char - 80) : span.start_char].lower()
        after = doc.text[span.end_char : span.end_char + 40].lower()
        labelled = Span(doc, span.start, span.end, label=place.place_id)
        labelled._.place_id = place.place_id
        labelled._.place_exact = exact
        labelled._.place_precision = precision_from_context(before, after, place)
        out.append(labelled)
    return out
