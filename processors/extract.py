"""Text -> Idlib incidents: relevance test, sentence grouping, and the fields of each Incident (pure)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span

from ingest.contract import Actor, Evidence, Incident, Location, Source, stable_id
from processors.actors import GOVERNMENT_SIDE, ActorMention, assign_roles, load_actor_types
from processors.casualties import Casualties, count, split_share
from processors.dates import DateMention, find_dates
from processors.events import TERRITORY, EventClass, Territory, classify, weapons_in
from processors.gazetteer import COMMON_WORDS, IDLIB, Gazetteer, Place, distance_km, load_gazetteer
from processors.names import consonant_key, fold, loose_key, normal_key, skeletons

# Reporting verbs: a sentence governed by one of these relays a claim or an opinion rather than an event, unless
# it dates the event itself.
OPINION_VERBS = frozenset(
    {"claim", "believe", "think", "expect", "consider", "argue", "suggest", "deny", "threaten", "warn", "hope", "fear",
     "want", "plan", "intend", "predict", "speculate", "doubt", "accuse", "demand", "urge", "call"}
)  # fmt: skip
SPEECH_VERBS = frozenset({"say", "tell", "indicate", "point", "stress", "add", "explain", "state", "note", "affirm"})
HYPOTHETICAL = re.compile(
    r"\b(?:may|might|could|would|will|plans? to|planning to|threaten\w* to|aims? to|intends? to|if)\b", re.I
)
_IDLIB_WORDS = re.compile(r"\b(?:idlib|idleb|edlib|idlip)\b")
# A photo caption ends with the agency's credit: "Smoke rises in southern Idlib after a bombing (AFP)".
CAPTION = re.compile(r"\((?:AFP|Reuters|AP|EPA|Getty Images|SANA|Anadolu|DPA|Xinhua|file photo|photo[^)]*)\)\s*$", re.I)


@dataclass(frozen=True)
class Document:
    """One text to extract from (an Article, or a line of the `extract` command's input)."""

    id: str
    text: str
    title: str = ""
    published: datetime | None = None
    url: str | None = None
    source_name: str | None = None


@dataclass
class _Group:
    anchor: Span
    event: EventClass
    paragraph: int
    date: DateMention | None
    places: list[Span]
    sentences: list[Span] = field(default_factory=list)


_CAPITALISED_RUN = re.compile(
    r"[A-Z][\w'’`]+(?:[\s-]+(?:(?:al|el|an|ash|as|ad|ar|at|az|ath|adh)[\s-]+)?[A-Z][\w'’`]+)*"
)


_NAMED_PLACE = re.compile(r"\b(?:town|village|city) of\s+$", re.I)


def is_relevant(text: str, keys: tuple[frozenset[str], frozenset[str], frozenset[str]]) -> bool:
    """Cheap test before the model runs: the text names Idlib, or a capitalised name that matches an Idlib
    place exactly, vowel-insensitively or by consonant skeleton."""
    if _IDLIB_WORDS.search(fold(text)):
        return True
    exact, loose, skeleton = keys
    for found in _CAPITALISED_RUN.finditer(text):
        run = found.group(0)
        named_place = _NAMED_PLACE.search(text, max(0, found.start() - 20), found.start()) is not None
        words = run.replace("-", " ").split()
        for n in range(min(4, len(words)), 0, -1):
            for i in range(len(words) - n + 1):
                phrase = " ".join(words[i : i + n])
                if normal_key(phrase) in exact or loose_key(phrase) in loose:
                    return True
                shortest = 3 if n > 1 or named_place else 4  # 3 consonants: a two-word name, or "town of X"
                consonants = consonant_key(phrase)
                if len(consonants) >= shortest and consonants in loose:
                    return True
                if any(len(k) >= shortest for k in skeletons(phrase) & skeleton):
                    return True
    return False


def _paragraph_of(doc: Doc, sent: Span, breaks: list[int]) -> int:
    return sum(1 for b in breaks if b < sent.start_char)


def _actor_mentions(sent: Span) -> list[ActorMention]:
    types = {a.name: a for a in load_actor_types()}
    mentions = []
    for span in sent.doc.spans.get("actors", []):
        if span.start < sent.start or span.end > sent.end:
            continue
        deps = {t.dep_ for t in span}
        heads = {t.head.dep_ for t in span}
        agent = "agent" in heads or "nsubj" in deps or "agent" in deps
        patient = bool(deps & {"nsubjpass", "dobj"})
        mentions.append(ActorMention(span.start_char, span.end_char, span.text, types[span.label_], agent, patient))
    return mentions


_SUBORDINATE = frozenset({"advcl", "relcl", "acl", "pcomp", "pobj", "prep", "ccomp", "csubj", "npadvmod"})


def _territory(sent: Span) -> Territory | None:
    """Whether a territory verb heads the main clause, and whether its subject is on the government side."""
    match = TERRITORY.search(sent.text)
    if match is None:
        return None
    token = sent.doc.char_span(sent.start_char + match.start(), sent.start_char + match.end(), alignment_mode="expand")
    if token is None:
        return None
    verb = token.root
    main = True
    node = verb
    while node.dep_ != "ROOT" and node.head is not node:
        if node.dep_ in _SUBORDINATE:
            main = False
            break
        node = node.head
    subject_tokens: set[int] = set()
    node = verb
    for _ in range(4):  # "forces managed to recapture": the subject hangs on an ancestor verb
        subjects = [c for c in node.children if c.dep_ in {"nsubj", "nsubjpass"}]
        if subjects:
            subject_tokens = {t.i for s in subjects for t in s.subtree}
            break
        if node.head is node:
            break
        node = node.head
    sides = {
        span.label_ in GOVERNMENT_SIDE for span in sent.doc.spans.get("actors", []) if span.start in subject_tokens
    }
    return Territory(main, True if True in sides else (False if sides else None))


def _is_claim_or_opinion(sent: Span) -> bool:
    root = sent.root
    if root.lemma_ in OPINION_VERBS:
        return True
    if root.lemma_ in SPEECH_VERBS:
        subjects = [t for t in root.children if t.dep_ in {"nsubj", "nsubjpass"}]
        return any(t.ent_type_ == "PERSON" or t.pos_ == "PRON" or t.pos_ == "PROPN" for t in subjects)
    return False


def _places_in(sent: Span) -> list[Span]:
    return [s for s in sent.doc.spans.get("places", []) if s.start >= sent.start and s.end <= sent.end]


def _specific(gaz: Gazetteer, spans: Iterable[Span]) -> list[Span]:
    """Mentions more precise than a region: towns, roads, bases... and "Idlib city" (the governorate's name with
    "city" is the town)."""
    return [s for s in spans if s._.place_precision != 3 and (gaz.places[s.label_].kind != "governorate" or
                                                              s._.place_precision == 1)]  # fmt: skip


_FEATURE_AFTER = re.compile(r"^\s*(?:front(?:line)?s?|areas?|farms?|hills?|axis|outskirts|fields?)\b", re.I)
_RELATIVE_TO = re.compile(
    r"^\s*(?:(?:al|el|ad|as|ash|ar|an|at|az|(?-i:[A-Z])[\w'’`]*)[\s-]+){0,3}?"  # the rest of a partly matched name
    r"(?:front(?:line)?s?|areas?|farms?|hills?|axis|fields?)?\s*(?:in\s+the\s+vicinity\s+of|near|close\s+to|"
    r"(?:to\s+the\s+)?(?:north|south|east|west)(?:-?(?:east|west))?\s+of|outside|around)\s+(?:the\s+)?(?:(?:city|town|village)\s+of\s+)?$",
    re.I,
)
_NEIGHBOURHOOD = re.compile(r"^\s*(?:neighbou?rhood|quarter|district)\b", re.I)


def _relative_target(doc: Doc, spans: list[Span], index: int) -> Span | None:
    """ACLED codes "X front near Y", "X farms in the vicinity of Y", "X area west of Y town" to Y, the town."""
    span = spans[index]
    for later in spans[index + 1 : index + 3]:
        between = doc.text[span.end_char : later.start_char]
        if len(between) < 60 and _RELATIVE_TO.match(between):
            return later
    return None


def _unknown_name_in(sent: Span, places: list[Span]) -> bool:
    """Whether the sentence names a place we could not resolve: a proper noun after "in", "of", "near"... that is
    neither a known place, an actor, nor a common word."""
    covered = {i for s in places for i in range(s.start, s.end)}
    covered |= {i for s in sent.doc.spans.get("actors", []) for i in range(s.start, s.end)}
    for token in sent:
        if token.i in covered or token.pos_ != "PROPN" or token.lower_ in COMMON_WORDS or token.i == sent.start:
            continue
        if sent.doc[token.i - 1].lower_ in {"in", "of", "near", "on", "at", "between", "around", "outside"}:
            return True
    return False


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


def _pick_place(
    gaz: Gazetteer, groups_spans: Sequence[list[Span]], anchor: Span | None = None
) -> tuple[Place, int] | None:
    """The most specific place: towns first (Idlib ones before others), then roads/regions/bases, then the
    governorate, looking at the anchor sentence first and then the rest of the incident's text."""
    groups_spans = [
        [s for s in spans if not _NEIGHBOURHOOD.match(s.doc.text[s.end_char : s.end_char + 20])]
        for spans in groups_spans
    ]  # "Al-Qusor neighbourhood in Idleb city": the city
    first = groups_spans[0] if groups_spans else []
    if anchor is not None and first and not _specific(gaz, first) and not _unknown_name_in(anchor, first):
        ordered = sorted(first, key=lambda s: gaz.places[s.label_].admin1 != IDLIB)
        place = gaz.places[ordered[0].label_]  # the anchor names only a region ("eastern countryside of Idleb")
        return place, 3 if place.kind in {"governorate", "town"} else int(ordered[0]._.place_precision)
    for spans in groups_spans:
        if not spans:
            continue
        specific = _specific(gaz, spans)
        towns = [s for s in specific if gaz.places[s.label_].kind in {"town", "governorate"}]
        features = [s for s in specific if gaz.places[s.label_].kind not in {"town", "governorate"}]
        in_idlib = [s for s in towns + features if gaz.places[s.label_].admin1 == IDLIB]
        listed = _medoid(gaz, [s for s in towns if gaz.places[s.label_].admin1 == IDLIB])
        if listed is not None:
            return gaz.places[listed.label_], int(listed._.place_precision)
        for choice in (towns, in_idlib, features):
            if choice:
                target = _relative_target(choice[0].doc, spans, spans.index(choice[0]))
                if target is not None and (
                    gaz.places[target.label_].kind != "governorate" or target._.place_precision == 1
                ):  # "... area to the southwest of Idleb city": the city, not the governorate
                    return gaz.places[target.label_], 2
                return gaz.places[choice[0].label_], int(choice[0]._.place_precision)

    for spans in groups_spans:  # only regions named: the governorate if it is Idlib, else the first
        ordered = sorted(spans, key=lambda s: gaz.places[s.label_].admin1 != IDLIB)
        for span in ordered:
            place = gaz.places[span.label_]
            return place, 3 if place.kind in {"governorate", "town"} else int(span._.place_precision)
    return None


def _evidence(sent: Span) -> Evidence:
    """The anchor sentence without surrounding white space; start/end index doc.text exactly."""
    text = sent.text
    lead = len(text) - len(text.lstrip())
    stripped = text.strip()
    start = sent.start_char + lead
    return Evidence(sentence=stripped, start=start, end=start + len(stripped))


class Extractor:
    """Holds the spaCy pipeline (built once) and turns documents into incidents."""

    def __init__(self, nlp: Language, gazetteer: Gazetteer | None = None, batch_size: int = 32) -> None:
        self.nlp = nlp
        self.gazetteer = gazetteer or load_gazetteer()
        self.idlib_keys = self.gazetteer.idlib_keys()
        self.batch_size = batch_size

    def relevant(self, document: Document) -> bool:
        return is_relevant(f"{document.title}\n{document.text}", self.idlib_keys)

    def extract_batch(self, documents: Sequence[Document]) -> list[list[Incident]]:
        """Incidents for each document, in order; irrelevant documents never reach the model."""
        results: list[list[Incident]] = [[] for _ in documents]
        todo = [i for i, d in enumerate(documents) if d.text.strip() and self.relevant(d)]
        texts = (documents[i].text for i in todo)
        for i, doc in zip(todo, self.nlp.pipe(texts, batch_size=self.batch_size), strict=True):
            results[i] = self.incidents_from_doc(documents[i], doc)
        return results

    def extract(self, document: Document) -> list[Incident]:
        return self.extract_batch([document])[0]

    # -- one parsed document -----------------------------------------------------------------------------------
    def incidents_from_doc(self, document: Document, doc: Doc) -> list[Incident]:
        published = document.published or datetime.now(UTC)
        breaks = [m.start() for m in re.finditer(r"\n\s*\n|\n", doc.text)]
        groups: list[_Group] = []
        open_group: _Group | None = None
        for sent in doc.sents:
            text = sent.text.strip()
            if len(text) < 15 or CAPTION.search(text):
                continue
            paragraph = _paragraph_of(doc, sent, breaks)
            if open_group and open_group.paragraph != paragraph:
                open_group = None
            mentions = _actor_mentions(sent)
            roles = assign_roles(mentions)
            actor1 = roles[0][0] if roles else None
            event = classify(text, actor1, _territory(sent))
            dates = find_dates(sent.text, published, offset=sent.start_char)
            if event is None:
                if open_group:
                    open_group.sentences.append(sent)
                continue
            places = _places_in(sent)
            casualties = count(text)
            has_count = any(v for v in (casualties.killed, casualties.injured, casualties.kidnapped))
            if not dates and (_is_claim_or_opinion(sent) or (HYPOTHETICAL.search(text) and not has_count)):
                continue
            if open_group and self._continues(open_group, dates, places):
                open_group.sentences.append(sent)
                continue
            if not (dates or has_count or places):
                continue  # background: no date, no count, no place
            open_group = _Group(sent, event, paragraph, dates[0] if dates else None, places, [sent])
            groups.append(open_group)
        incidents = [self._incident(document, doc, g, published) for g in groups]
        unique: dict[str, Incident] = {}
        for incident in incidents:
            if incident is not None:
                unique.setdefault(incident.incident_id, incident)
        return list(unique.values())

    def _continues(self, group: _Group, dates: list[DateMention], places: list[Span]) -> bool:
        if dates and (group.date is None or dates[0].value != group.date.value):
            return False
        new_specific = {s.label_ for s in _specific(self.gazetteer, places)}
        old_specific = {s.label_ for s in _specific(self.gazetteer, group.places)}
        if dates or not new_specific or new_specific & old_specific or len(new_specific) >= 3:
            return True
        return not old_specific

    def _incident(self, document: Document, doc: Doc, group: _Group, published: datetime) -> Incident | None:
        gaz = self.gazetteer
        rest_places = [p for s in group.sentences[1:] for p in _places_in(s)]
        picked = _pick_place(gaz, [group.places, rest_places], group.anchor)
        if picked is None and _IDLIB_WORDS.search(fold(document.title + " " + doc.text)):
            picked = gaz.places[self._idlib_id()], 3
        if picked is None:
            return None
        place, precision = picked
        if place.admin1 != IDLIB:
            return None
        text = " ".join(s.text for s in group.sentences)
        casualties = count(text)
        names = [s.text for s in doc.spans.get("places", []) if s.label_ == place.place_id] + [place.name]
        share = split_share(doc.text, names, lambda a, b: loose_key(a) == loose_key(b))
        if share is not None:
            casualties = Casualties(share, casualties.injured, casualties.kidnapped)
        admin2, admin3 = gaz.admin_for(place)
        roles = assign_roles(_actor_mentions(group.anchor), unknown_perpetrator=group.event.event_type != "Battles")
        when: date = group.date.value if group.date else published.date()
        precision_of_date = group.date.precision if group.date else "day"
        anchor = group.anchor
        confidence = group.event.strength * (0.6 + (0.2 if group.date else 0.1) + (0.2 if precision < 3 else 0.05))
        article_id = document.id
        incident_id = stable_id(
            article_id, when.isoformat(), group.event.event_type, group.event.sub_event_type, place.place_id,
            str(anchor.start_char),
        )  # fmt: skip
        fields: dict[str, Any] = {
            "incident_id": incident_id,
            "article_id": article_id,
            "event_type": group.event.event_type,
            "sub_event_type": group.event.sub_event_type,
            "date": when,
            "date_precision": precision_of_date,
            "location": Location(
                name=place.name,
                lat=round(place.lat, 5),
                lon=round(place.lon, 5),
                admin1=place.admin1,
                admin2=admin2,
                admin3=admin3,
                geo_precision=precision,  # type: ignore[arg-type]
            ),
            "actors": [Actor(name=name, role=role) for name, role in roles],  # type: ignore[arg-type]
            "killed": casualties.killed,
            "injured": casualties.injured,
            "kidnapped": casualties.kidnapped,
            "weapons": weapons_in(text),
            "evidence": _evidence(anchor),
            "confidence": round(min(confidence, 1.0), 2),
            "source": Source(
                url=document.url,
                title=document.title or None,
                published_at=document.published,
                source_name=document.source_name,
            ),
        }
        return Incident.model_validate(fields)

    def _idlib_id(self) -> str:
        return "curated:idlib"
