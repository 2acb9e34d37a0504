"""Builds the spaCy pipeline once: the statistical model plus our rule components (only owner of spacy.load).

No `from __future__ import annotations` here: spaCy validates factory signatures from real annotations.
"""

import argparse
import os
import sys
import warnings
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from ingest.contract.errors import ConfigurationError
from processors.actors import load_actor_types
from processors.gazetteer import load_gazetteer
from processors.places import find_places

DEFAULT_MODEL = "en_core_web_sm"
INSTALL_HINT = (
    "install it with `python -m spacy download en_core_web_sm`, or set PROCESSOR_SPACY_MODEL to the folder "
    "of an unpacked model (e.g. .../en_core_web_sm-3.7.1)"
)
ACTORS_COMPONENT = "idlib_actors"
PLACES_COMPONENT = "idlib_places"
LINES_COMPONENT = "idlib_line_breaks"

for _attr in ("place_id", "place_exact", "place_precision"):
    if not Span.has_extension(_attr):
        Span.set_extension(_attr, default=None)


class ActorTagger:
    """PhraseMatcher over the curated actor aliases -> doc.spans["actors"] (label: canonical actor name)."""

    def __init__(self, nlp: Language) -> None:
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        for actor in load_actor_types():
            self.matcher.add(actor.name, [nlp.make_doc(alias) for alias in actor.aliases])

    def __call__(self, doc: Doc) -> Doc:
        spans = [Span(doc, start, end, label=match_id) for match_id, start, end in self.matcher(doc)]
        doc.spans["actors"] = filter_spans(spans)
        return doc


class PlaceTagger:
    """Curated aliases (PhraseMatcher) plus gazetteer names (exact, loose, skeleton) -> doc.spans["places"]."""

    def __init__(self, nlp: Language, gazetteer_dir: str | None) -> None:
        self.gazetteer = load_gazetteer(gazetteer_dir)
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        by_place: dict[str, list[str]] = {}
        for alias, place_id in self.gazetteer.curated_alias_texts.items():
            by_place.setdefault(place_id, []).append(alias)
        for place_id, aliases in by_place.items():
            self.matcher.add(place_id, [nlp.make_doc(alias) for alias in aliases])

    def __call__(self, doc: Doc) -> Doc:
        curated = filter_spans([Span(doc, s, e, label=m) for m, s, e in self.matcher(doc)])
        doc.spans["places"] = find_places(doc, self.gazetteer, curated)
        return doc


@Language.component(LINES_COMPONENT)
def newline_boundaries(doc: Doc) -> Doc:
    """A line break ends a sentence: headlines, captions and boilerplate lines never merge with body text."""
    for token in doc[1:]:
        if "\n" in doc[token.i - 1].text or "\n" in doc[token.i - 1].whitespace_:
            token.is_sent_start = True
    return doc


@Language.factory(ACTORS_COMPONENT)
def _make_actor_tagger(nlp: Language, name: str) -> ActorTagger:
    return ActorTagger(nlp)


@Language.factory(PLACES_COMPONENT, default_config={"gazetteer_dir": None})
def _make_place_tagger(nlp: Language, name: str, gazetteer_dir: str | None) -> PlaceTagger:
    return PlaceTagger(nlp, gazetteer_dir)


def load_model(name_or_path: str = DEFAULT_MODEL) -> Language:
    """Load a spaCy model by package name or folder; a missing model is one clear ConfigurationError."""
    target: str | Path = name_or_path
    if os.sep in name_or_path or name_or_path.startswith("."):
        target = Path(name_or_path).expanduser()
        if not (target / "meta.json").exists():
            raise ConfigurationError(f"spaCy model folder {name_or_path!r} has no meta.json: {INSTALL_HINT}")
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r".*\[W095\].*")
            return spacy.load(target)
    except OSError as exc:
        raise ConfigurationError(f"spaCy model {name_or_path!r} not found: {INSTALL_HINT}") from exc


def build_pipeline(name_or_path: str = DEFAULT_MODEL, gazetteer_dir: str | None = None) -> Language:
    """The statistical model plus our rule components for actors and places (build once per process)."""
    nlp = load_model(name_or_path)
    nlp.add_pipe(LINES_COMPONENT, before="parser" if "parser" in nlp.pipe_names else None)
    nlp.add_pipe(ACTORS_COMPONENT, last=True)
    nlp.add_pipe(PLACES_COMPONENT, last=True, config={"gazetteer_dir": gazetteer_dir})
    return nlp


def _check(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check that the configured spaCy model loads.")
    parser.add_argument("--check", action="store_true", required=True)
    parser.add_argument("--model", default=os.environ.get("PROCESSOR_SPACY_MODEL", DEFAULT_MODEL))
    args = parser.parse_args(argv)
    try:
        nlp = load_model(args.model)
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"spaCy model ok: {nlp.meta.get('name')} {nlp.meta.get('version')} ({args.model})")
    return 0


if __name__ == "__main__":
    sys.exit(_check())
