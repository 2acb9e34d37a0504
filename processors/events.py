"""ACLED event rules as data (data/events.yaml): the classifier picks the first matching rule by priority, and
names the weapons of an incident (pure)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ingest.contract import TAXONOMY


def _re(alternatives: Sequence[str]) -> re.Pattern[str]:
    return re.compile(rf"\b(?:{'|'.join(alternatives)})\b", re.I)


class RuleSpec(BaseModel):
    """One rule of data/events.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    priority: int = Field(ge=0)
    event_type: str
    sub_event_type: str
    strength: float = Field(gt=0, le=1)
    triggers: list[str] = Field(min_length=1)
    requires: list[str] = Field(default_factory=list)
    requires_any: list[str] = Field(default_factory=list)
    forbidden: list[str] = Field(default_factory=list)
    main_clause: bool | None = None
    taker: Literal["government", "other"] | None = None
    generic: bool = False  # a fallback verb ("attacked", "bombed"): its type yields to a specific one of the same event

    @model_validator(mode="after")
    def _in_taxonomy(self) -> RuleSpec:
        if self.sub_event_type not in TAXONOMY.get(self.event_type, ()):
            raise ValueError(f"{self.event_type!r} / {self.sub_event_type!r} is not in ACLED's taxonomy")
        return self

    def pattern_names(self) -> set[str]:
        return {*self.triggers, *self.requires, *self.requires_any, *self.forbidden}


class WeaponSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    name: str
    phrases: list[str] = Field(min_length=1)
    suppresses: list[str] = Field(default_factory=list)


class EventsFile(BaseModel):
    """The schema of data/events.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    patterns: dict[str, list[str]] = Field(min_length=1)
    rules: list[RuleSpec] = Field(min_length=1)
    weapons: list[WeaponSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> EventsFile:
        ids = [r.id for r in self.rules]
        priorities = [r.priority for r in self.rules]
        if len(set(ids)) != len(ids):
            raise ValueError("rule ids must be unique")
        if len(set(priorities)) != len(priorities):
            raise ValueError("rule priorities must be unique: precedence is explicit, never the order of lines")
        for rule in self.rules:
            unknown = rule.pattern_names() - set(self.patterns)
            if unknown:
                raise ValueError(f"rule {rule.id!r} names unknown patterns {sorted(unknown)}")
        names = {w.name for w in self.weapons}
        for weapon in self.weapons:
            if set(weapon.suppresses) - names:
                raise ValueError(f"weapon {weapon.name!r} suppresses unknown weapons")
        return self


@dataclass(frozen=True)
class EventClass:
    event_type: str
    sub_event_type: str
    strength: float  # how directly the sentence names the event (feeds confidence)
    rule_id: str


@dataclass(frozen=True)
class Territory:
    """What the parse says about a territory verb: whether it heads the main clause, and who took the ground."""

    main_clause: bool
    government_taker: bool | None  # None: the subject of the verb names no known actor


@dataclass(frozen=True)
class Clause:
    """What a rule may look at: the sentence, whether actor 1 is on the government's side, the territory parse."""

    text: str
    actor1_government: bool = False
    territory: Territory | None = None  # None: no parse; a territory verb anywhere counts as the main one


@dataclass(frozen=True, eq=False)
class EventRules:
    """Compiled patterns, the rules in priority order, and the weapon table."""

    patterns: Mapping[str, re.Pattern[str]]
    rules: tuple[RuleSpec, ...]
    weapons: tuple[tuple[WeaponSpec, re.Pattern[str]], ...]
    any_trigger: re.Pattern[str]  # every rule's triggers in one pattern: a sentence none of them hits has no event

    @classmethod
    def from_file(cls, data: EventsFile) -> EventRules:
        triggers = sorted({name for rule in data.rules for name in rule.triggers})
        return cls(
            patterns={name: _re(alts) for name, alts in data.patterns.items()},
            rules=tuple(sorted(data.rules, key=lambda r: r.priority)),
            weapons=tuple((w, _re(w.phrases)) for w in data.weapons),
            any_trigger=_re([alt for name in triggers for alt in data.patterns[name]]),
        )

    @property
    def generic_ids(self) -> frozenset[str]:
        return frozenset(r.id for r in self.rules if r.generic)

    def matches(self, rule: RuleSpec, clause: Clause, hits: dict[str, bool]) -> bool:
        def hit(name: str) -> bool:
            if name not in hits:
                hits[name] = self.patterns[name].search(clause.text) is not None
            return hits[name]

        if not any(hit(n) for n in rule.triggers) or not all(hit(n) for n in rule.requires):
            return False
        if rule.requires_any and not any(hit(n) for n in rule.requires_any):
            return False
        if any(hit(n) for n in rule.forbidden):
            return False
        territory = clause.territory
        if rule.main_clause and territory is not None and not territory.main_clause:
            return False
        if rule.taker is not None:
            government = (
                territory.government_taker
                if territory is not None and territory.government_taker is not None
                else clause.actor1_government
            )
            if government != (rule.taker == "government"):
                return False
        return True

    def triggered(self, text: str) -> bool:
        """Whether any rule's trigger occurs in the text (else no rule can match: callers skip their parse work)."""
        return self.any_trigger.search(text) is not None

    def classify(self, clause: Clause) -> EventClass | None:
        """ACLED type of the event a sentence reports (the first matching rule by priority), or None."""
        if not self.triggered(clause.text):
            return None
        hits: dict[str, bool] = {}
        for rule in self.rules:
            if self.matches(rule, clause, hits):
                return EventClass(rule.event_type, rule.sub_event_type, rule.strength, rule.id)
        return None

    def mentions(self, name: str, text: str) -> re.Match[str] | None:
        """Where a named pattern ("territory") matches a text."""
        return self.patterns[name].search(text)

    def weapons_in(self, text: str) -> list[str]:
        found = [spec.name for spec, pattern in self.weapons if pattern.search(text)]
        suppressed = {s for spec, _ in self.weapons if spec.name in found for s in spec.suppresses}
        return [name for name in found if name not in suppressed]
