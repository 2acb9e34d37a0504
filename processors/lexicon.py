"""The lexicon's typed form: word lists and the patterns compiled from them, built from data/lexicon.yaml (pure)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, model_validator

from processors.geo.names import ARTICLES


def _alternatives(words: Iterable[str]) -> str:
    return "|".join(words)


class GovernorateHint(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    words: list[str] = Field(min_length=1)
    governorates: list[str] = Field(min_length=1)


class LexiconFile(BaseModel):
    """The schema of data/lexicon.yaml; every list holds strings (YAML's bare `on` or `no` are caught here)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    region: str
    governorates: dict[str, list[str]] = Field(min_length=1)
    governorate_hints: list[GovernorateHint] = Field(default_factory=list)
    common_words: list[str]
    foreign_places: list[str]
    name_linkers: list[str]
    place_preceders: list[str]
    group_heads: list[str]
    place_nouns: list[str]
    toponym_heads: list[str]
    near_before: list[str]
    near_after: list[str]
    opinion_verbs: list[str]
    speech_verbs: list[str]
    hypothetical: list[str]
    tally: list[str]
    caption_credits: list[str]

    @model_validator(mode="after")
    def _region_is_a_governorate(self) -> LexiconFile:
        if self.region not in self.governorates:
            raise ValueError(f"region {self.region!r} has no entry under governorates")
        known = set(self.governorates)
        for hint in self.governorate_hints:
            unknown = set(hint.governorates) - known
            if unknown:
                raise ValueError(f"governorate_hints name unknown governorates {sorted(unknown)}")
        return self


@dataclass(frozen=True, eq=False)
class Lexicon:
    """Everything the rules look up by word; built once by the resources loader."""

    region: str
    governorates: Mapping[str, re.Pattern[str]]  # admin1 -> pattern over folded text
    any_governorate: re.Pattern[str]  # all of them at once: a text none of them hits needs no scan per governorate
    region_pattern: re.Pattern[str]  # the region's spellings, over folded text
    direction_pattern: re.Pattern[str]  # "southern Idlib", "Idleb's western countryside"
    hints: Sequence[tuple[re.Pattern[str], tuple[str, ...]]]
    common_words: frozenset[str]
    foreign_places: frozenset[str]
    name_linkers: frozenset[str]
    place_preceders: frozenset[str]
    group_heads: frozenset[str]
    place_nouns: frozenset[str]
    toponym_heads: frozenset[str]
    near_before: re.Pattern[str]
    near_after: re.Pattern[str]
    opinion_verbs: frozenset[str]
    speech_verbs: frozenset[str]
    hypothetical: re.Pattern[str]
    tally: re.Pattern[str]
    caption: re.Pattern[str]

    @classmethod
    def from_file(cls, data: LexiconFile) -> Lexicon:
        region_words = data.governorates[data.region]
        region = _alternatives(region_words)
        compass = r"(north|south|east|west)(?:ern)?(?:[- ]?(east|west)(?:ern)?)?"
        return cls(
            region=data.region,
            governorates={gov: re.compile(rf"\b(?:{_alternatives(w)})\b") for gov, w in data.governorates.items()},
            any_governorate=re.compile(
                rf"\b(?:{_alternatives([w for ws in data.governorates.values() for w in ws])})\b"
            ),
            region_pattern=re.compile(rf"\b(?:{region})\b"),
            direction_pattern=re.compile(
                rf"\b{compass}\s+(?:countryside\s+of\s+|parts?\s+of\s+)?(?:{region})|\b(?:{region})(?:'s)?\s+{compass}",
                re.I,
            ),
            hints=tuple(
                (re.compile(rf"\b(?:{_alternatives(h.words)})\b", re.I), tuple(h.governorates))
                for h in data.governorate_hints
            ),
            common_words=frozenset(w.lower() for w in data.common_words)
            | frozenset(w for w in region_words if w.isalpha()),
            foreign_places=frozenset(w.lower() for w in data.foreign_places),
            name_linkers=ARTICLES | frozenset(w.lower() for w in data.name_linkers),
            place_preceders=frozenset(w.lower() for w in data.place_preceders),
            group_heads=frozenset(w.lower() for w in data.group_heads),
            place_nouns=frozenset(w.lower() for w in data.place_nouns),
            toponym_heads=frozenset(w.lower() for w in data.toponym_heads),
            near_before=re.compile(rf"\b({_alternatives(data.near_before)})\b[^.]{{0,25}}$"),
            near_after=re.compile(rf"^[\s,]*({_alternatives(data.near_after)})\b"),
            opinion_verbs=frozenset(data.opinion_verbs),
            speech_verbs=frozenset(data.speech_verbs),
            hypothetical=re.compile(rf"\b(?:{_alternatives(data.hypothetical)})\b", re.I),
            tally=re.compile(rf"\b(?:{_alternatives(data.tally)})\b", re.I),
            caption=re.compile(rf"\((?:{_alternatives(data.caption_credits)})\)\s*$", re.I),
        )
