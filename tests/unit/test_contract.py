from __future__ import annotations

import json
from datetime import date

import pytest
from pydantic import ValidationError

from ingest.contract import TAXONOMY, Article, Evidence, Incident, Location, Source, stable_id
from ingest.contract.models import EventType, SubEventType
from ingest.contract.schemas import render
from tests.conftest import REPO


def make_incident(**overrides: object) -> Incident:
    fields: dict[str, object] = {
        "incident_id": stable_id("a", "b"),
        "article_id": stable_id("https://example.org/a"),
        "event_type": "Explosions/Remote violence",
        "sub_event_type": "Remote explosive/landmine/IED",
        "date": date(2020, 7, 14),
        "date_precision": "day",
        "location": Location(name="Ariha", lat=35.8137, lon=36.6083, admin1="Idlib", geo_precision=2),
        "actors": [{"name": "Russian forces", "role": "actor2"}],
        "injured": 3,
        "weapons": ["car bomb"],
        "evidence": Evidence(sentence="A car bomb exploded.", start=10, end=30),
        "confidence": 0.8,
        "source": Source(url="https://example.org/a", title="t"),
    }
    fields.update(overrides)
    return Incident.model_validate(fields)


def test_article_round_trip(sample_article: Article) -> None:
    wire = sample_article.model_dump_json()
    again = Article.model_validate_json(wire)
    assert again == sample_article
    assert json.loads(wire)["schema_version"] == 1
    assert json.loads(wire)["published_at"] == "2020-09-16T08:00:00Z"


def test_incident_round_trip() -> None:
    incident = make_incident()
    again = Incident.model_validate_json(incident.model_dump_json())
    assert again == incident
    assert again.killed is None and again.injured == 3


def test_article_id_must_be_a_32_hex_hash(sample_article: Article) -> None:
    data = sample_article.model_dump()
    assert Article.model_validate({**data, "article_id": "0" * 32}).article_id == "0" * 32  # an older rule's id
    with pytest.raises(ValidationError, match="pattern"):
        Article.model_validate({**data, "article_id": "not-a-hash"})


def test_article_needs_text_and_aware_times(sample_article: Article) -> None:
    data = sample_article.model_dump()
    with pytest.raises(ValidationError):
        Article.model_validate({**data, "text": ""})
    with pytest.raises(ValidationError):
        Article.model_validate({**data, "fetched_at": "2020-09-16T09:00:00"})


def test_sub_event_must_belong_to_event_type() -> None:
    with pytest.raises(ValidationError, match="is not a kind of"):
        make_incident(event_type="Battles", sub_event_type="Air/drone strike")


def test_taxonomy_literals_match_table() -> None:
    assert set(EventType.__args__) == set(TAXONOMY)
    assert set(SubEventType.__args__) == {sub for subs in TAXONOMY.values() for sub in subs}


def test_committed_json_schemas_are_current() -> None:
    for name, text in render().items():
        committed = REPO / "docs" / "schemas" / name
        assert committed.exists(), f"{committed} missing: run `make schemas`"
        assert committed.read_text(encoding="utf-8") == text, f"{name} is stale: run `make schemas`"
