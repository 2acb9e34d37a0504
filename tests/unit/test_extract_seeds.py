"""Golden tests on the seed articles, with the real model (PROCESSOR_SPACY_MODEL)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from ingest.contract import Incident
from processors.extract import Document, Extractor
from processors.geo.gazetteer import distance_km
from tests.conftest import REPO, seed_text

GOLDEN = REPO / "tests" / "data" / "golden"
ARIHA = (35.8137, 36.6096)


def seed_000(extractor: Extractor) -> list[Incident]:
    doc = Document(id="seed-000", text=seed_text("000_289e2b72f1e3f2dd.txt"),
                   published=datetime(2020, 9, 16, 9, 0, tzinfo=UTC), source_name="North Press Agency")  # fmt: skip
    return extractor.extract(doc).incidents


def summary(incident: Incident) -> dict[str, Any]:
    """The fields a golden file pins (ids and confidences may change with the rules; these may not silently)."""
    loc = incident.location
    return {
        "date": incident.date.isoformat(), "date_precision": incident.date_precision,
        "event_type": incident.event_type, "sub_event_type": incident.sub_event_type,
        "location": None if loc is None else {"name": loc.name, "admin1": loc.admin1, "geo_precision": loc.geo_precision},
        "actors": [[a.name, a.role] for a in incident.actors], "killed": incident.killed, "injured": incident.injured,
        "weapons": incident.weapons, "evidence": incident.evidence.sentence,
    }  # fmt: skip


def test_seed_000_matches_golden_file(extractor: Extractor) -> None:
    got = [summary(i) for i in seed_000(extractor)]
    expected = json.loads((GOLDEN / "seed_000.json").read_text(encoding="utf-8"))
    assert got == expected


def test_seed_000_three_attacks(extractor: Extractor) -> None:
    incidents = {i.date: i for i in seed_000(extractor)}
    assert set(incidents) == {date(2020, 8, 25), date(2020, 8, 17), date(2020, 7, 14)}

    patrol = incidents[date(2020, 8, 25)]
    assert patrol.location is not None and patrol.location.admin1 == "Idlib" and "M4" in patrol.location.name
    assert patrol.injured == 2 and patrol.killed is None
    names = {a.name: a.role for a in patrol.actors}
    assert names["Unidentified armed group"] == "actor1"
    assert {"Russian forces", "Turkish forces"} <= set(names)

    missile = incidents[date(2020, 8, 17)]
    assert missile.event_type == "Explosions/Remote violence"
    assert "guided missile" in missile.weapons
    assert missile.location is not None
    assert distance_km(missile.location.lat, missile.location.lon, *ARIHA) <= 10

    car_bomb = incidents[date(2020, 7, 14)]
    assert (car_bomb.event_type, car_bomb.sub_event_type) == ("Explosions/Remote violence",
                                                               "Remote explosive/landmine/IED")  # fmt: skip
    assert car_bomb.injured == 3 and "car bomb" in car_bomb.weapons
    assert car_bomb.location is not None
    assert distance_km(car_bomb.location.lat, car_bomb.location.lon, *ARIHA) <= 10
    assert ("Russian forces", "actor2") in [(a.name, a.role) for a in car_bomb.actors]


def test_seed_000_background_yields_nothing(extractor: Extractor) -> None:
    evidence = " ".join(i.evidence.sentence for i in seed_000(extractor))
    for background in ("analyst", "observation", "Sochi", "memorandum", "previous patrols", "claimed"):
        assert background not in evidence


def test_seed_002_has_no_incident_with_casualties(extractor: Extractor) -> None:
    doc = Document(id="seed-002", text=seed_text("002_bb0d3a49c01203d0.txt"),
                   published=datetime(2020, 9, 17, tzinfo=UTC))  # fmt: skip
    incidents = extractor.extract(doc).incidents
    assert all(i.killed in (None, 0) and i.injured in (None, 0) for i in incidents)


def test_incident_ids_are_stable(extractor: Extractor) -> None:
    assert [i.incident_id for i in seed_000(extractor)] == [i.incident_id for i in seed_000(extractor)]


def test_outcome_says_why_a_document_gave_no_incident(extractor: Extractor) -> None:
    # "Kafr Nabudah" spells like an Idlib village, so the model runs; the incident then resolves to Hama.
    doc = Document(id="x", text="Regime forces shelled Kafr Nabudah in Hama countryside, killing 3.",
                   published=datetime(2020, 1, 1, tzinfo=UTC))  # fmt: skip
    outcome = extractor.extract(doc)
    assert outcome.incidents == [] and outcome.relevant and outcome.reasons == ("outside_region",)
    football = extractor.extract(Document(id="y", text="Football results from Madrid and Paris."))
    assert football.incidents == [] and not football.relevant and football.reasons == ("not_relevant",)
    # "Arbin" is a sub-district of Rural Damascus: the prefilter drops it before spaCy, though a village spells so too
    arbin = extractor.extract(Document(id="v", text="Regime forces shelled Arbin city in Rural Damascus, killing 3."))
    assert not arbin.relevant and arbin.reasons == ("not_relevant",)
    assert extractor.extract(Document(id="z", text="  ")).reasons == ("empty_text",)
    quiet = extractor.extract(Document(id="w", text="Idlib is a city in north-western Syria with many olive groves."))
    assert quiet.relevant and quiet.incidents == [] and quiet.reasons == ("no_event",)


def test_outside_idlib_is_dropped_not_relabelled(extractor: Extractor) -> None:
    doc = Document(id="z", text="On 2 May 2020, regime forces shelled Kafr Nabudah in Hama countryside, killing 2.",
                   published=datetime(2020, 5, 3, tzinfo=UTC))  # fmt: skip
    assert all(i.location is None or i.location.admin1 == "Idlib" for i in extractor.extract(doc).incidents)
    assert extractor.extract(doc).incidents == []
