"""The pipeline swaps the model's attribute_ruler and lemmatizer for cheaper components: the attributes the rules
read must come out as the full model gives them."""

from __future__ import annotations

import os

import spacy

from processors.nlp import POS_COMPONENT, ROOT_LEMMAS_COMPONENT, lighten, load_model

TEXTS = [
    "Syrian regime forces shelled the town of Kafr Nabl on Monday, killing two women and a child.",
    "The Observatory said that Russian warplanes had carried out four raids on Ariha and its countryside.",
    "Ahmad Hassan, a local activist, claimed the attack was carried out by gunmen on motorcycles.",
    "They reported that the strike claimed the lives of three fighters near Saraqib.",
    "Hayat Tahrir al-Sham denied it had shelled the villages, which lie west of Jisr al-Shughur.",
]


def test_the_light_pipeline_gives_the_attributes_the_rules_read(nlp: spacy.Language) -> None:
    assert POS_COMPONENT in nlp.pipe_names and ROOT_LEMMAS_COMPONENT in nlp.pipe_names
    assert "attribute_ruler" not in nlp.pipe_names and "lemmatizer" not in nlp.pipe_names
    assert "ner" not in nlp.pipe_names
    full = load_model(os.environ.get("PROCESSOR_SPACY_MODEL", "en_core_web_sm"))
    for text in TEXTS:
        light, reference = nlp(text), full(text)
        assert [t.tag_ for t in light] == [t.tag_ for t in reference]
        for mine, theirs in zip(light, reference, strict=True):  # the rules ask "PROPN?" (pronouns: by tag)
            assert (mine.pos_ == "PROPN") == (theirs.pos_ == "PROPN"), (text, mine.text)
            if theirs.tag_ in {"NN", "NNS", "VB", "VBD", "VBZ", "JJ", "RB", "PRP", "CD"}:
                assert mine.pos_ == theirs.pos_, (text, mine.text)  # the tag map itself
        for mine, theirs in zip(light.sents, reference.sents, strict=True):
            assert mine.root.lemma_ == theirs.root.lemma_, text
            assert [c.lemma_ for c in mine.root.children] == [c.lemma_ for c in theirs.root.children], text


SPEAKERS = [
    "Mohammed al-Ahmad, a spokesman of the civil defence, said that the raids killed four people.",
    "Rami Abdulrahman told AFP that the government forces shelled Maarat al-Numan overnight.",
    "Local journalist Hadi al-Abdullah claimed that three villages had been captured by the regime.",
    "Erdogan said the Turkish army would answer any attack on its observation posts in Idlib.",
]


def test_every_person_the_models_recogniser_finds_is_a_proper_noun_without_it(nlp: spacy.Language) -> None:
    """The claim rule asks whether a speaker is a person by PROPN: the recogniser would add nothing (every word of a
    PERSON entity, so whichever of them heads the subject)."""
    full = load_model(os.environ.get("PROCESSOR_SPACY_MODEL", "en_core_web_sm"))
    people = 0
    for text in TEXTS + SPEAKERS:
        for mine, theirs in zip(nlp(text), full(text), strict=True):
            if theirs.ent_type_ == "PERSON" and theirs.is_alpha:  # not the hyphens inside a name
                people += 1
                assert mine.pos_ == "PROPN", (text, mine.text)
    assert people >= 6  # the check had people to look at


def test_a_pipeline_without_those_components_is_left_as_it_is() -> None:
    blank = spacy.blank("en")
    assert lighten(blank).pipe_names == []
