"""Text -> Idlib incidents: relevance test, sentence grouping, and the fields of each Incident (pure)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span

from ingest.contract import Actor, Evidence, Incident, Location, Source, stable_id
from processors.actors import ActorMention, assign_roles
from processors.casualties import Casualties, count, split_share, without_tallies
from processors.dates import DateMention, find_dates
from processors.events import Clause, EventClass, Territory
from processors.geo.gazetteer import Gazetteer
from processors.geo.incident_place import pick_place, places_in, specific
from processors.geo.mentions import names_region, span_text, text_of
from processors.geo.names import fold, loose_key
from processors.merge import Found, merge_same_events
from processors.nlp import pipeline_resources
from processors.prefilter import Prefilter
from processors.resources import Resources

_WHILE = re.compile(r",\s+(?:while|whereas|and meanwhile|meanwhile)\s+", re.IGNORECASE)

# Why a document gave no incident (a closed set: the worker counts them).
REASONS = ("empty_text", "not_relevant", "no_event", "no_place", "outside_region")


@dataclass(frozen=True)
class Document:
    """One text to extract from (an Article, or a line of the `extract` command's input)."""

    id: str
    text: str
    title: str = ""
    published: datetime | None = None
    url: str | None = None
    source_name: str | None = None
    revision: int = 1
    duplicate_of: str | None = None  # the article this one copies (ingest's near-duplicate mark)


@dataclass(frozen=True)
class Outcome:
    """What extraction made of one document: its incidents, whether it passed the relevance test, and why it gave
    no incident (REASONS) when it gave none."""

    incidents: list[Incident]
    relevant: bool
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Part:
    """A sentence, or one clause of it, that reports one event: its core text and where it starts in the doc."""

    event: EventClass
    core: str
    start: int
    span: Span
    places: list[Span]


@dataclass
class _Group:
    anchor: Span
    event: EventClass
    paragraph: int
    date: DateMention | None
    places: list[Span]
    sentences: list[Span] = field(default_factory=list)


def _paragraph_of(doc: Doc, sent: Span, breaks: list[int]) -> int:
    return sum(1 for b in breaks if b < sent.start_char)


def _actor_mentions(sent: Span, resources: Resources) -> list[ActorMention]:
    types = {a.name: a for a in resources.actors}
    mentions = []
    for span in sent.doc.spans.get("actors", []):
        if span.start < sent.start or span.end > sent.end:
            continue
        deps = {t.dep_ for t in span}
        heads = {t.head.dep_ for t in span}
        agent = "agent" in heads or "nsubj" in deps or "agent" in deps
        patient = bool(deps & {"nsubjpass", "dobj"})
        mentions.append(
            ActorMention(span.start_char, span.end_char, span_text(span), types[span.label_], agent, patient)
        )
    return mentions


_SUBORDINATE = frozenset({"advcl", "relcl", "acl", "pcomp", "pobj", "prep", "ccomp", "csubj", "npadvmod"})


def _territory(sent: Span, resources: Resources) -> Territory | None:
    """Whether a territory verb heads the main clause, and whether its subject is on the government side."""
    match = resources.rules.mentions("territory", span_text(sent))
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
    camp = resources.government_camp
    sides = {span.label_ in camp for span in sent.doc.spans.get("actors", []) if span.start in subject_tokens}
    return Territory(main, True if True in sides else (False if sides else None))


_PERSONAL = frozenset({"PRP", "WP"})  # he, they, who: a person speaks (the tagger's fine tags)
_TOLLS = frozenset({"life", "lives", "casualty", "casualties", "victim", "victims", "death", "deaths"})


def _is_claim_or_opinion(sent: Span, resources: Resources) -> bool:
    root = sent.root
    if root.lemma_ == "claim" and any(t.dep_ == "dobj" and t.lemma_ in _TOLLS for t in root.children):
        return False  # "the shelling claimed the lives of ...", "the chaos is still claiming casualties"
    if root.lemma_ in resources.lexicon.opinion_verbs:
        return True
    if root.lemma_ in resources.lexicon.speech_verbs:
        if not any(t.dep_ in {"ccomp", "parataxis", "xcomp"} for t in root.children):
            return False  # reports nothing: "the chaos is still claiming lives" is no one's claim
        subjects = [t for t in root.children if t.dep_ in {"nsubj", "nsubjpass"}]
        return any(t.tag_ in _PERSONAL or t.pos_ == "PROPN" for t in subjects)
    return False


def _toll(text: str) -> bool:
    """Whether a text states people killed or injured."""
    found = count(text)
    return bool(found.killed or found.injured)


def _evidence(sent: Span) -> Evidence:
    """The anchor sentence without surrounding white space; start/end index doc.text exactly."""
    text = span_text(sent)
    lead = len(text) - len(text.lstrip())
    stripped = text.strip()
    start = sent.start_char + lead
    return Evidence(sentence=stripped, start=start, end=start + len(stripped))


class Extractor:
    """Holds the spaCy pipeline (built once) and its Resources, and turns documents into incidents."""

    def __init__(self, nlp: Language, resources: Resources | None = None, batch_size: int = 32) -> None:
        own = pipeline_resources(nlp)
        if resources is not None and resources is not own:
            raise ValueError("the extractor's resources must be the ones its pipeline was built with")
        self.nlp = nlp
        self.resources = own
        self.gazetteer: Gazetteer = own.gazetteer
        self.region_keys = own.gazetteer.region_keys()
        self.prefilter = Prefilter.of(own.gazetteer, own.lexicon)
        self.screen = True  # False: every non-empty text goes to the model (benchmarks measure the filters so)
        self.batch_size = batch_size

    def relevant(self, document: Document) -> bool:
        """The cheap test before the model runs (tokenizer only): does the text or the title name the region or
        one of its places, by the same name finder place resolution uses?"""
        return self._tokenized_if_relevant(document) is not None

    def _tokenized_if_relevant(self, document: Document) -> Doc | None:
        """The text's tokens when the document passes the relevance test (the pipeline then reuses them)."""
        lexicon, keys = self.resources.lexicon, self.region_keys
        if not self.screen:
            return self.nlp.make_doc(document.text)
        if not self.prefilter.passes(document.text, document.title):
            return None  # decided on the raw text: no tokenising
        doc = self.nlp.make_doc(document.text)
        if names_region(doc, self.gazetteer, lexicon, keys):
            return doc
        title = document.title.strip()
        return doc if title and names_region(self.nlp.make_doc(title), self.gazetteer, lexicon, keys) else None

    def extract_batch(self, documents: Sequence[Document]) -> list[Outcome]:
        """An Outcome for each document, in order; irrelevant documents never reach the model."""
        results: list[Outcome] = []
        todo: list[int] = []
        tokenized: list[Doc] = []
        for i, document in enumerate(documents):
            doc = self._tokenized_if_relevant(document) if document.text.strip() else None
            if not document.text.strip():
                results.append(Outcome([], False, ("empty_text",)))
            elif doc is None:
                results.append(Outcome([], False, ("not_relevant",)))
            else:
                results.append(Outcome([], True))
                todo.append(i)
                tokenized.append(doc)
        for i, doc in zip(todo, self.nlp.pipe(tokenized, batch_size=self.batch_size), strict=True):
            results[i] = self.outcome_of_doc(documents[i], doc)
        return results

    def extract(self, document: Document) -> Outcome:
        return self.extract_batch([document])[0]

    # -- one parsed document -----------------------------------------------------------------------------------
    def outcome_of_doc(self, document: Document, doc: Doc) -> Outcome:
        """The incidents of a parsed, relevant document."""
        res = self.resources
        published = document.published or datetime.now(UTC)
        breaks = [m.start() for m in re.finditer(r"\n\s*\n|\n", text_of(doc))]
        groups: list[_Group] = []
        open_group: _Group | None = None
        for sent in doc.sents:
            raw = span_text(sent)
            text = raw.strip()
            if len(text) < 15 or res.lexicon.caption.search(text):
                continue
            paragraph = _paragraph_of(doc, sent, breaks)
            carried = open_group is not None and open_group.paragraph != paragraph
            if open_group and carried and not self._wants_place(open_group, paragraph):
                open_group = None
            # a running toll is background: the sentence's event, and its date and places, are told outside the
            # toll clause ("... killed 2 in X, while it rose to 69, the number of raids on A, B, C since yesterday")
            core = without_tallies(text, res.lexicon.tally)
            event = clause = None
            if res.rules.triggered(core):  # most sentences name no event: skip their parse work
                roles = assign_roles(_actor_mentions(sent, res))
                actor1_government = bool(roles) and roles[0][0] in res.government_camp
                clause = Clause(core, actor1_government, _territory(sent, res))
                event = res.rules.classify(clause)
            if event is None or clause is None:
                if open_group:
                    open_group.sentences.append(sent)
                continue
            core_start = sent.start_char + len(raw) - len(raw.lstrip())
            places = places_in(sent)
            if len(core) < len(text):
                places = [p for p in places if p.start_char < core_start + len(core)] or places
            sentence_core, sentence_start = core, core_start
            parts = self._clauses(doc, _Part(event, core, core_start, sent, places), clause)
            for number, part in enumerate(parts):
                event, core, core_start, sent, places = part.event, part.core, part.start, part.span, part.places
                dates = find_dates(core, published, offset=core_start)
                if not dates and core is not sentence_core:  # a clause without a date of its own: its sentence's
                    dates = find_dates(sentence_core, published, offset=sentence_start)
                casualties = count(core)
                has_count = any(v for v in (casualties.killed, casualties.injured, casualties.kidnapped))
                hypothetical = res.lexicon.hypothetical.search(text) and not has_count
                if not dates and (_is_claim_or_opinion(sent, res) or hypothetical):
                    if open_group and carried and specific(self.gazetteer, places):
                        open_group.sentences.append(sent)  # "The attack was on X, the Observatory said": where
                    continue
                if carried:
                    open_group = None  # a new paragraph's event starts its own group
                if open_group and number == 0 and self._continues(open_group, dates, places):
                    open_group.sentences.append(sent)
                    continue
                if not (dates or has_count or places):
                    continue  # background: no date, no count, no place
                open_group = _Group(sent, event, paragraph, dates[0] if dates else None, places, [sent])
                groups.append(open_group)
        if not groups:
            return Outcome([], True, ("no_event",))
        unique: dict[str, Found] = {}
        reasons: set[str] = set()
        for group in groups:
            incident = self._incident(document, doc, group, published)
            if isinstance(incident, str):
                reasons.add(incident)
            else:
                named = frozenset(self.gazetteer.places[p.label_].name for s in group.sentences for p in places_in(s))
                unique.setdefault(incident.incident_id,
                                  Found(incident, group.date is not None, group.paragraph == 0, named))  # fmt: skip
        incidents = merge_same_events(list(unique.values()), res.rules.generic_ids)
        return Outcome(incidents, True, () if incidents else tuple(sorted(reasons)))

    def _clauses(self, doc: Doc, whole: _Part, clause: Clause) -> list[_Part]:
        """The parts of a sentence that report events of their own. Monitors' round-ups join events with ", while":
        - the clause alone, when every place before it lies outside the region and every place it names inside
          ("shelling on X in Aleppo countryside, while a man was killed in Y in Idlib ...");
        - the main clause and the clause, when the clause reports a toll at places of the region of its own and the
          main clause, at others, reports none ("regime forces shelled X and Y, while a woman was killed by barrel
          bombs on Z": the toll is Z's).
        Otherwise the sentence stays whole: a clause that tells the main clause's own toll or place shares its event.
        """
        gaz, core, start = self.gazetteer, whole.core, whole.start
        specific_here = {p.label_ for p in specific(gaz, whole.places) if gaz.places[p.label_].admin1 == gaz.region}
        for match in _WHILE.finditer(core):
            before = [p for p in whole.places if p.start_char < start + match.start()]
            after = [p for p in whole.places if p.start_char >= start + match.end()]
            if not before or not after:
                continue
            region_before = {gaz.places[p.label_].admin1 for p in before} & {gaz.region}
            if not region_before and {gaz.places[p.label_].admin1 for p in after} == {gaz.region}:
                tail = self._part(doc, whole, match.end(), len(core))
                return [tail] if tail is not None else [whole]
            mine = {p.label_ for p in before} & specific_here
            theirs = {p.label_ for p in after} & specific_here
            apart = bool(mine and theirs and not mine & theirs)
            if apart and _toll(core[match.end() :]) and not _toll(core[: match.start()]):
                own = self.resources.rules.classify(replace(clause, text=core[: match.start()]))
                head = self._part(doc, whole, 0, match.start(), own or whole.event)
                tail = self._part(doc, whole, match.end(), len(core))
                return [head, tail] if head is not None and tail is not None else [whole]
        return [whole]

    def _part(self, doc: Doc, whole: _Part, begin: int, end: int, event: EventClass | None = None) -> _Part | None:
        """whole.core[begin:end] as a part of its own (its event classified from its own text unless given), or None
        when it reports no event or does not align with tokens."""
        text = whole.core[begin:end]
        found = event or self.resources.rules.classify(Clause(text, False, None))
        start, stop = whole.start + begin, whole.start + end
        span = doc.char_span(start, stop, alignment_mode="expand")
        if found is None or span is None:
            return None
        return _Part(found, text, start, span, [p for p in whole.places if start <= p.start_char < stop])

    def _wants_place(self, group: _Group, paragraph: int) -> bool:
        """Wire copy writes one sentence per paragraph: the paragraph right after an event that names no town yet
        may still tell where it happened ("The attack happened in the village of X"), if it reports no event of its
        own (a sentence with an event starts its own group anyway)."""
        return (
            paragraph == group.paragraph + 1
            and len(group.sentences) == 1
            and not specific(self.gazetteer, group.places)
        )

    def _continues(self, group: _Group, dates: list[DateMention], places: list[Span]) -> bool:
        if dates and (group.date is None or dates[0].value != group.date.value):
            return False
        new_specific = {s.label_ for s in specific(self.gazetteer, places)}
        old_specific = {s.label_ for s in specific(self.gazetteer, group.places)}
        if dates or not new_specific or new_specific & old_specific or len(new_specific) >= 3:
            return True
        return not old_specific

    def _incident(self, document: Document, doc: Doc, group: _Group, published: datetime) -> Incident | str:
        """The group's incident, or the reason it has none."""
        gaz, res = self.gazetteer, self.resources
        rest_places = [p for s in group.sentences[1:] for p in places_in(s)]
        picked = pick_place(gaz, res.lexicon, [group.places, rest_places], group.anchor)
        if picked is None and res.lexicon.region_pattern.search(fold(document.title + " " + text_of(doc))):
            picked = gaz.region_place, 3
        if picked is None:
            return "no_place"
        place, precision = picked
        if place.admin1 != gaz.region:
            return "outside_region"
        text = " ".join(span_text(s) for s in group.sentences)
        casualties = count(" ".join(without_tallies(span_text(s), res.lexicon.tally) for s in group.sentences))
        names = [span_text(s) for s in doc.spans.get("places", []) if s.label_ == place.place_id] + [place.name]
        share = split_share(text_of(doc), names, lambda a, b: loose_key(a) == loose_key(b))
        if share is not None:
            casualties = Casualties(share, casualties.injured, casualties.kidnapped)
        admin2, admin3 = gaz.admin_for(place)
        roles = assign_roles(
            _actor_mentions(group.anchor, res), unknown_perpetrator=group.event.event_type != "Battles"
        )
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
            "rule_id": group.event.rule_id,
            "date": when,
            "date_precision": precision_of_date,
            "date_end": group.date.end_value if group.date else None,
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
            "weapons": res.rules.weapons_in(text),
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
