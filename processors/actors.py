"""Actor alias table (typed form of data/actors.yaml) and the roles of the actors named in an incident (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Side = Literal["government", "foreign", "non_state", "civilian"]
UNIDENTIFIED = "Unidentified armed group"


class ActorSpec(BaseModel):
    """One entry of data/actors.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    name: str
    side: Side
    camp: Literal["government"] | None = None
    aliases: list[str] = Field(min_length=1)


@dataclass(frozen=True)
class ActorType:
    name: str
    side: Side
    aliases: tuple[str, ...]
    government_camp: bool = False  # fights on the Syrian government's side

    @classmethod
    def from_spec(cls, spec: ActorSpec) -> ActorType:
        return cls(spec.name, spec.side, tuple(spec.aliases), spec.camp == "government")


@dataclass(frozen=True)
class ActorMention:
    start_char: int
    end_char: int
    text: str
    actor: ActorType
    agent: bool = False  # stands after "by" in a passive clause, or is the subject of the event verb
    patient: bool = False  # the subject of a passive clause or the object: the target


def assign_roles(mentions: list[ActorMention], unknown_perpetrator: bool = False) -> list[tuple[str, str]]:
    """(canonical name, role) pairs: actor1 acts, actor2 is the target, the rest are associated.

    Agents of passive clauses and subjects come first; targets (passive subjects, objects) become actor2;
    otherwise the order of mention decides ("X clashed with Y").
    """
    ordered: list[str] = []
    for m in sorted(mentions, key=lambda m: m.start_char):
        if m.actor.name not in ordered:
            ordered.append(m.actor.name)
    if not ordered:
        return []
    agents = [m.actor.name for m in mentions if m.agent]
    patients = [m.actor.name for m in mentions if m.patient and m.actor.name not in agents]
    if unknown_perpetrator and not agents:
        # "a car bomb exploded near Russian forces": everyone named is a target; the perpetrator is unnamed.
        return [
            (UNIDENTIFIED, "actor1"),
            *((name, "actor2" if i == 0 else "associated") for i, name in enumerate(ordered)),
        ]
    actor1 = agents[0] if agents else next((n for n in ordered if n not in patients), ordered[0])
    rest = [n for n in ordered if n != actor1]
    actor2 = next((n for n in patients if n != actor1), rest[0] if rest else None)
    roles = [(actor1, "actor1")]
    if actor2:
        roles.append((actor2, "actor2"))
    roles += [(n, "associated") for n in rest if n != actor2]
    return roles
