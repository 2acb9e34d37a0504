"""Builds the spaCy pipeline once: the statistical model plus our rule components (only owner of spacy.load).

No `from __future__ import annotations` here: spaCy validates factory signatures from real annotations.
"""

import argparse
import gc
import importlib
import json
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy
import spacy
from spacy.attrs import LOWER, POS, TAG
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.parts_of_speech import IDS as POS_IDS
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from ingest.contract.errors import ConfigurationError
from processors.geo.mentions import find_mentions, text_of
from processors.geo.resolve import resolve_all
from processors.resources import Resources, load_resources

DEFAULT_MODEL = "en_core_web_sm"
MODEL_VERSIONS = ">=3.7.0,<3.8.0"  # the models spaCy 3.7 is made for
PIP_TIMEOUT_SECONDS = 600
INSTALL_HINT = (
    "install it with `python -m spacy download en_core_web_sm`, or set PROCESSOR_SPACY_MODEL to the folder "
    "of an unpacked model (e.g. .../en_core_web_sm-3.7.1)"
)
ACTORS_COMPONENT = "idlib_actors"
PLACES_COMPONENT = "idlib_places"
LINES_COMPONENT = "idlib_line_breaks"
POS_COMPONENT = "idlib_coarse_pos"
ROOT_LEMMAS_COMPONENT = "idlib_root_lemmas"

for _attr in ("place_id", "place_precision"):
    if not Span.has_extension(_attr):
        Span.set_extension(_attr, default=None)


class ActorTagger:
    """PhraseMatcher over the curated actor aliases -> doc.spans["actors"] (label: canonical actor name)."""

    def __init__(self, nlp: Language, resources: Resources) -> None:
        self.resources = resources
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        for actor in resources.actors:
            self.matcher.add(actor.name, [nlp.make_doc(alias) for alias in actor.aliases])

    def __call__(self, doc: Doc) -> Doc:
        spans = [Span(doc, start, end, label=match_id) for match_id, start, end in self.matcher(doc)]
        doc.spans["actors"] = filter_spans(spans)
        return doc


class PlaceTagger:
    """Curated aliases (PhraseMatcher) plus gazetteer names, resolved to one place each -> doc.spans["places"]
    (label: place_id; extensions place_id, place_precision)."""

    def __init__(self, nlp: Language, resources: Resources) -> None:
        self.resources = resources
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        by_place: dict[str, list[str]] = {}
        for alias, place_id in resources.gazetteer.curated_alias_texts.items():
            by_place.setdefault(place_id, []).append(alias)
        for place_id, aliases in by_place.items():
            self.matcher.add(place_id, [nlp.make_doc(alias) for alias in aliases])

    def __call__(self, doc: Doc) -> Doc:
        gaz, lex = self.resources.gazetteer, self.resources.lexicon
        curated = filter_spans([Span(doc, s, e, label=m) for m, s, e in self.matcher(doc)])
        mentions = find_mentions(doc, gaz, lex, curated)
        text = text_of(doc)
        masked = list(text)
        for span in curated:  # "Damascus-Aleppo highway" names a road, not the governorates
            if gaz.places[span.label_].kind in {"road", "crossing", "base"}:
                masked[span.start_char : span.end_char] = " " * (span.end_char - span.start_char)
        spans = []
        for found in resolve_all(text, "".join(masked), mentions, gaz, lex):
            span = Span(doc, found.mention.start, found.mention.end, label=found.place.place_id)
            span._.place_id = found.place.place_id
            span._.place_precision = found.precision
            spans.append(span)
        doc.spans["places"] = spans
        return doc


_SPLICE_STARTS = frozenset({"A", "An", "Another", "Two", "Three", "Four", "Five", "Several"})


@Language.component(LINES_COMPONENT)
def newline_boundaries(doc: Doc) -> Doc:
    """A line break ends a sentence: headlines, captions and boilerplate lines never merge with body text. So does a
    comma before a capitalised new subject ("..., A man was killed"), a comma splice translated reports make."""
    for token in doc[1:]:
        before = doc[token.i - 1]
        if "\n" in before.text or "\n" in before.whitespace_:
            token.is_sent_start = True
        elif (
            before.text == "," and token.text in _SPLICE_STARTS and token.i + 1 < len(doc) and doc[token.i + 1].is_lower
        ):
            token.is_sent_start = True  # a comma splice: "... on Telmins, A man was killed in Kelli town."
    return doc


class CoarsePos:
    """Universal POS from the tagger's fine tags by the model's own rules (its attribute_ruler's one-token patterns
    on TAG, or on TAG and the lower-cased word: "was"/VBD is AUX), for a whole doc in one array write. It stands in
    for the attribute_ruler, whose other work (lemma and morphology exceptions) no rule here reads."""

    def __init__(self, nlp: Language, tag_map: dict[str, str], word_map: dict[str, str]) -> None:
        strings = nlp.vocab.strings
        self.by_tag = {strings.add(tag): POS_IDS[pos] for tag, pos in tag_map.items()}
        self.by_word = {
            (strings.add(key.split(" ", 1)[0]), strings.add(key.split(" ", 1)[1])): POS_IDS[pos]
            for key, pos in word_map.items()
        }  # "TAG word" -> POS

    def __call__(self, doc: Doc) -> Doc:
        if len(doc):
            pairs = doc.to_array([TAG, LOWER]).tolist()
            values = [[self.by_word.get((tag, lower)) or self.by_tag.get(tag, 0)] for tag, lower in pairs]
            doc.from_array([POS], numpy.array(values, dtype=numpy.uint64))  # type: ignore[arg-type]
        return doc


class RootLemmas:
    """Lemmas of what the rules read (each sentence's root and its children), by the model's own lemmatizer; the
    other tokens keep none. None (a blank pipeline): nothing to lemmatise with."""

    def __init__(self) -> None:
        self.lemmatizer: Any = None

    def __call__(self, doc: Doc) -> Doc:
        if self.lemmatizer is not None:
            for sent in doc.sents:
                for token in (sent.root, *sent.root.children):
                    if token.pos_:
                        token.lemma_ = self.lemmatizer.rule_lemmatize(token)[0]
        return doc


@Language.factory(POS_COMPONENT, default_config={"tag_map": {}, "word_map": {}})
def _make_coarse_pos(nlp: Language, name: str, tag_map: dict[str, str], word_map: dict[str, str]) -> CoarsePos:
    return CoarsePos(nlp, tag_map, word_map)


@Language.factory(ROOT_LEMMAS_COMPONENT)
def _make_root_lemmas(nlp: Language, name: str) -> RootLemmas:
    return RootLemmas()


def lighten(nlp: Language) -> Language:
    """Swaps the model's attribute_ruler and lemmatizer, which annotate every token (about a quarter of the model's
    time), for the two components above: POS from the ruler's own one-token TAG and TAG+word patterns, lemmas of
    clause roots. Left out: the ruler's lemma and morphology exceptions and its few dependency-conditioned POS
    patterns ("that" as a SCONJ mark, "which" as PRON); no rule reads them (PROPN, the one POS the rules ask for,
    comes from the tag map alone). The named-entity recogniser goes too (a fifth of the model's time). Two rules read
    it: the claim rule's "is the subject a person?" asks PROPN, which every PERSON word the recogniser finds is
    tagged anyway; and the place finder skipped names it tagged PERSON or CARDINAL, which hid real villages ("pounded
    Dana", "3 Zurzur, 3 Ejaz"): without it, 33 more of 2,367 place mentions on the dev sets, 30 of them places,
    and extraction output unchanged. tests/unit/test_light_pipeline.py holds the light pipeline to the full model."""
    if "ner" in nlp.pipe_names:
        nlp.remove_pipe("ner")
    if "attribute_ruler" not in nlp.pipe_names:
        return nlp
    tag_map: dict[str, str] = {}
    word_map: dict[str, str] = {}
    ruler: Any = nlp.get_pipe("attribute_ruler")
    for entry in ruler.patterns:
        for pattern in entry["patterns"]:
            if (
                len(pattern) != 1
                or "POS" not in entry["attrs"]
                or not all(isinstance(v, str) for v in pattern[0].values())
            ):
                continue
            if set(pattern[0]) == {"TAG"}:
                tag_map[pattern[0]["TAG"]] = entry["attrs"]["POS"]
            elif set(pattern[0]) == {"TAG", "LOWER"}:
                word_map[f"{pattern[0]['TAG']} {pattern[0]['LOWER']}"] = entry["attrs"]["POS"]
    config = {"tag_map": tag_map, "word_map": word_map}
    nlp.add_pipe(POS_COMPONENT, before="attribute_ruler", config=config)
    nlp.remove_pipe("attribute_ruler")
    if "lemmatizer" in nlp.pipe_names:
        roots: Any = nlp.add_pipe(ROOT_LEMMAS_COMPONENT, before="lemmatizer")
        _, roots.lemmatizer = nlp.remove_pipe("lemmatizer")
    return nlp


# The components take the data folder (a string, so the pipeline config stays serialisable); load_resources
# returns the one Resources object per folder, so the extractor and both components share it.
@Language.factory(ACTORS_COMPONENT, default_config={"data_dir": None})
def _make_actor_tagger(nlp: Language, name: str, data_dir: str | None) -> ActorTagger:
    return ActorTagger(nlp, load_resources(data_dir))


@Language.factory(PLACES_COMPONENT, default_config={"data_dir": None})
def _make_place_tagger(nlp: Language, name: str, data_dir: str | None) -> PlaceTagger:
    return PlaceTagger(nlp, load_resources(data_dir))


def load_model(name_or_path: str = DEFAULT_MODEL) -> Language:
    """Load a spaCy model by package name or folder; a missing model is one clear ConfigurationError."""
    target: str | Path = name_or_path
    if is_folder(name_or_path):
        target = Path(name_or_path).expanduser()
        if not (target / "meta.json").exists():
            raise ConfigurationError(f"spaCy model folder {name_or_path!r} has no meta.json: {INSTALL_HINT}")
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r".*\[W095\].*")
            return spacy.load(target)
    except OSError as exc:
        raise ConfigurationError(f"spaCy model {name_or_path!r} not found: {INSTALL_HINT}") from exc


def add_components(nlp: Language, resources: Resources) -> Language:
    """Our rule components on any pipeline (the statistical model, or spacy.blank("en") in rule tests)."""
    config = {"data_dir": resources.folder or None}
    nlp.add_pipe(LINES_COMPONENT, before="parser" if "parser" in nlp.pipe_names else None)
    nlp.add_pipe(ACTORS_COMPONENT, last=True, config=config)
    nlp.add_pipe(PLACES_COMPONENT, last=True, config=config)
    if pipeline_resources(nlp) is not resources:
        raise ConfigurationError("the pipeline's components did not receive the given resources")
    return nlp


def pipeline_resources(nlp: Language) -> Resources:
    """The Resources object the place component of a pipeline holds."""
    component = nlp.get_pipe(PLACES_COMPONENT)
    assert isinstance(component, PlaceTagger)
    return component.resources


def build_pipeline(name_or_path: str = DEFAULT_MODEL, resources: Resources | None = None) -> Language:
    """The statistical model plus our rule components for actors and places (build once per process)."""
    return add_components(lighten(load_model(name_or_path)), resources or load_resources())


def settle_heap() -> None:
    """Once start-up has loaded the model and the data (about 300k objects that live as long as the process): move
    them out of the collector's reach, so that later full collections do not scan them again and again (measured:
    extraction of fresh texts 12-15% faster). Call it at a process's edge, after loading, before the work."""
    gc.collect()
    gc.freeze()


def is_folder(name_or_path: str) -> bool:
    return os.sep in name_or_path or name_or_path.startswith(".")


def _pip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "-q", *args],
                          capture_output=True, text=True, timeout=PIP_TIMEOUT_SECONDS, check=False)  # fmt: skip


def install_from_folder(source: Path, target: Path | None = None) -> str:
    """Package an unpacked model folder with spaCy's own `spacy package` (an sdist) and pip-install it; returns
    the package name. target: pip's --target (tests), else the running environment."""
    meta = json.loads((source / "meta.json").read_text(encoding="utf-8"))
    name = f"{meta['lang']}_{meta['name']}"
    with tempfile.TemporaryDirectory() as tmp:
        built = subprocess.run([sys.executable, "-m", "spacy", "package", str(source), tmp, "--build", "sdist",
                                "--force"], capture_output=True, text=True, timeout=PIP_TIMEOUT_SECONDS, check=False)  # fmt: skip
        sdists = sorted(Path(tmp).glob("*/dist/*.tar.gz"))
        if built.returncode != 0 or not sdists:
            raise ConfigurationError(f"`spacy package {source}` failed: {(built.stderr or built.stdout)[-500:]}")
        pip = _pip(*(["--target", str(target)] if target else []), "--no-deps", str(sdists[0]))
        if pip.returncode != 0:
            raise ConfigurationError(f"installing the packaged model failed: {pip.stderr[-500:]}")
    importlib.invalidate_caches()
    return name


def ensure_model(name_or_path: str, source: str | None, log: list[str]) -> Language:
    """The configured model, installed first when it is a package name that is missing: from the package index,
    else by packaging the folder `source` (PROCESSOR_SPACY_MODEL_SOURCE). ConfigurationError when neither works."""
    try:
        return load_model(name_or_path)
    except ConfigurationError:
        if is_folder(name_or_path):
            raise
    log.append(f"spaCy model {name_or_path!r} is not installed; trying the package index")
    pip = _pip(f"{name_or_path}{MODEL_VERSIONS}")
    if pip.returncode == 0:
        importlib.invalidate_caches()
        return load_model(name_or_path)
    log.append(f"not on the package index ({pip.stderr.strip().splitlines()[-1] if pip.stderr.strip() else 'no'})")
    if not source or not (Path(source) / "meta.json").exists():
        raise ConfigurationError(f"spaCy model {name_or_path!r} is neither installed nor on the package index, and "
                                 f"PROCESSOR_SPACY_MODEL_SOURCE ({source or 'unset'}) is no model folder: "
                                 f"{INSTALL_HINT}")  # fmt: skip
    log.append(f"installing {name_or_path!r} from {source}")
    installed = install_from_folder(Path(source))
    if installed != name_or_path:
        raise ConfigurationError(f"{source} holds {installed!r}, not {name_or_path!r}")
    return load_model(name_or_path)


def _check(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check that the configured spaCy model loads; with --ensure, "
                                     "install it first when it is missing.")  # fmt: skip
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true")
    mode.add_argument("--ensure", action="store_true")
    parser.add_argument("--model", default=os.environ.get("PROCESSOR_SPACY_MODEL", DEFAULT_MODEL))
    parser.add_argument("--source", default=os.environ.get("PROCESSOR_SPACY_MODEL_SOURCE") or None)
    args = parser.parse_args(argv)
    steps: list[str] = []
    try:
        nlp = ensure_model(args.model, args.source, steps) if args.ensure else load_model(args.model)
    except ConfigurationError as exc:
        for step in steps:
            print(step, file=sys.stderr)
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for step in steps:
        print(step)
    print(f"spaCy model ok: {nlp.meta.get('name')} {nlp.meta.get('version')} ({args.model})")
    return 0


if __name__ == "__main__":
    sys.exit(_check())
