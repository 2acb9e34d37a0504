from __future__ import annotations

import pytest

from ingest.contract import ConfigurationError
from processors.actors import UNIDENTIFIED, ActorMention, ActorType, assign_roles
from processors.resources import load_resources


def load_actor_types() -> tuple[ActorType, ...]:
    return tuple(load_resources().actors)


def mention(name: str, start: int, *, agent: bool = False, patient: bool = False) -> ActorMention:
    actor = next(a for a in load_actor_types() if a.name == name)
    return ActorMention(start, start + 5, name, actor, agent, patient)


def test_alias_table_covers_the_main_actors() -> None:
    names = {a.name for a in load_actor_types()}
    for expected in ("Syrian government forces", "Russian forces", "Turkish forces", "Hayat Tahrir al-Sham",
                     "National Liberation Front", "Syrian National Army", "Hurras al-Din", "Turkistan Islamic Party",
                     "Islamic State", UNIDENTIFIED, "Civilians", "Aid workers"):  # fmt: skip
        assert expected in names
    aliases = {alias.lower(): a.name for a in load_actor_types() for alias in a.aliases}
    assert aliases["hts"] == "Hayat Tahrir al-Sham"
    assert aliases["regime forces"] == "Syrian government forces"
    assert aliases["unknown persons"] == UNIDENTIFIED


def test_passive_agent_is_actor1() -> None:
    roles = assign_roles([
        mention("Russian forces", 0, patient=True), mention("Turkish forces", 10), mention(UNIDENTIFIED, 40, agent=True)
    ])  # fmt: skip
    assert roles[0] == (UNIDENTIFIED, "actor1")
    assert ("Russian forces", "actor2") in roles


def test_order_decides_without_grammar() -> None:
    roles = assign_roles([mention("Syrian government forces", 0), mention("Opposition rebels", 30)])
    assert roles == [("Syrian government forces", "actor1"), ("Opposition rebels", "actor2")]


def test_unknown_perpetrator_of_a_bombing() -> None:
    roles = assign_roles([mention("Russian forces", 30)], unknown_perpetrator=True)
    assert roles == [(UNIDENTIFIED, "actor1"), ("Russian forces", "actor2")]


def test_government_camp_comes_from_the_alias_file() -> None:
    assert load_resources().government_camp == {"Syrian government forces", "Pro-government militias", "Russian forces"}


def test_bad_alias_file_is_a_configuration_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "actors.yaml"
    bad.write_text(
        "- {name: X, side: foreign, aliases: [x]}\n- {name: Y, side: martian, aliases: [y]}\n", encoding="utf-8"
    )
    with pytest.raises(ConfigurationError, match=r"actors\.yaml.*line 2"):
        load_resources(str(tmp_path))
