"""Place watches: configuration checked at load, events inside a circle of a watched type counted."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.contract import ConfigurationError
from processors.consolidate import Consolidator
from processors.resources import load_resources
from processors.watches import load_watches, watching
from tests.conftest import REPO
from tests.unit.test_consolidate import BINNISH, CLASH, RULES, incident, snapshot


def test_the_example_watches_load() -> None:
    watches = load_watches(REPO / "seeds" / "watches.yaml", load_resources().gazetteer)
    assert [w.name for w in watches] == ["Ariha", "M4 highway air strikes"]
    assert abs(watches[0].lat - 35.81) < 0.05 and abs(watches[0].lon - 36.61) < 0.05  # Ariha from the gazetteer


def test_events_inside_a_watch_of_its_types() -> None:
    watches = load_watches(REPO / "seeds" / "watches.yaml", load_resources().gazetteer)
    state = Consolidator(RULES)
    (strike,) = state.apply("a1", snapshot("a1", "sohr", incident("a1")))
    (clash,) = state.apply("c1", snapshot("c1", "afp", incident("c1", kind=CLASH, actor="Hayat Tahrir al-Sham")))
    (far,) = state.apply("b1", snapshot("b1", "afp", incident("b1", BINNISH)))
    assert watching(watches, strike) == ["Ariha", "M4 highway air strikes"]  # type: ignore[arg-type]
    assert watching(watches, clash) == ["Ariha"]  # type: ignore[arg-type]
    assert watching(watches, far) == ["M4 highway air strikes"]  # type: ignore[arg-type]  # 17 km away, < 25
    (gone,) = state.apply("b1", snapshot("b1", "afp", revision=2))
    assert watching(watches, gone) == []  # type: ignore[arg-type]  # retracted events are not news


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("watches:\n  - {name: X, radius_km: 5}\n", "line 2"),
        ("watches:\n  - {name: X, place: Nowhereville, radius_km: 5}\n", "not in the gazetteer"),
        ("watches:\n  - {name: X, lat: 35.8, lon: 36.6, event_types: [Dancing]}\n", "not ACLED"),
        ("watches:\n  - {name: X, lat: 35.8, lon: 36.6}\n  - {name: X, lat: 35.9, lon: 36.6}\n", "share a name"),
    ],
)
def test_a_bad_watches_file_is_a_configuration_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "watches.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigurationError, match=message):
        load_watches(path, load_resources().gazetteer)
