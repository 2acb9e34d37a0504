"""Actor alias table and the roles of the actors named in an incident (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml

from ingest.contract.errors import ConfigurationError

Side = Literal["government", "foreign", "non_state", "civilian"]
SIDES = frozenset({"government", "foreign", "non_state", "civilian"})
GOVERNMENT_SIDE = frozenset({"Syrian government forces", "Pro-government militias", "Russian forces"})


@dataclass(frozen=True)
class ActorType:
    name: str
    side: Side
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class ActorMention:
    start_char: int
    end_char: int
    text: str
    actor: ActorType
    agent: bool = False  # stands after "by" in a passive clause, or is the subject of the event verb
    patient: bool = False  # the subject of a passive clause or the object: the target


@lru_cache(maxsize=4)
def load_actor_types(path: str | None = None) -> tuple[ActorType, ...]:
    """Read and validate actors.yaml; a bad file stops the service (ConfigurationError)."""
    source = Path(path) if path else Path(str(resources.files("processors") / "data" / "actors.yaml"))
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"actor table unreadable: {exc}") from exc
    if not isinstance(raw, list) or not raw:
        raise ConfigurationError("actor table must be a non-empty list")
    out = []
    for entry in raw:
        if not isinstance(entry, dict) or entry.get("side") not in SIDES or not entry.get("aliases"):
            raise ConfigurationError(f"bad actor entry: {entry!r}")
        out.append(ActorType(str(entry["name"]), entry["side"], tuple(str(a) for a in entry["aliases"])))
    return tuple(out)


UNIDENTIFIED = "Unidentified armed group"


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


def side_of(name: str) -> Side | None:
    for actor in load_actor_types():
        if actor.name == name:
            return actor.side
    return None
