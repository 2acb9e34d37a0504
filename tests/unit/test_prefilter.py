"""The raw-text prefilter before spaCy: it passes texts naming the region or its places (also spelled loosely), and
drops texts about elsewhere, decided without tokenising."""

from __future__ import annotations

import pytest

from processors.prefilter import Prefilter
from processors.resources import load_resources


@pytest.fixture(scope="module")
def prefilter() -> Prefilter:
    res = load_resources()
    return Prefilter.of(res.gazetteer, res.lexicon)


@pytest.mark.parametrize(
    "text",
    [
        "Warplanes struck the outskirts of Idleb on Monday.",
        "Regime forces shelled Kafr Nabl and Hass with artillery.",
        "Two civilians were killed in Maaret al-Numan by a drone.",  # a loose spelling of Ma`arrat an Nu`man
        "Clashes erupted near Jisr Ash-Shugur at dawn.",
        "Shells fell on the village of Has overnight.",
    ],
)
def test_texts_about_the_region_pass(prefilter: Prefilter, text: str) -> None:
    assert prefilter.passes(text)


@pytest.mark.parametrize(
    "text",
    [
        "The central bank raised interest rates in June, the Russian minister said on Tuesday.",
        "He said the Armed Forces would hold a parade in Paris next week.",
        "Flooding in Bangladesh displaced thousands of families along the river.",
    ],
)
def test_texts_about_elsewhere_are_dropped(prefilter: Prefilter, text: str) -> None:
    assert not prefilter.passes(text)


def test_the_title_counts_too(prefilter: Prefilter) -> None:
    assert prefilter.passes("Four people were killed on Monday.", "Air strike on Ariha")
