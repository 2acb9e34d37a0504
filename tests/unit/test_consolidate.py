"""Consolidation of article snapshots into events (pure): sources of one event, different events apart, revisions,
retractions, order, windows; and merge quality on the labelled pairs of tests/data/event_pairs.jsonl."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime

from ingest.contract import Actor, ArticleSnapshot, Evidence, Incident, Location, Source
from processors.consolidate import Consolidator, MergeRules, Tombstone
from processors.event_stage import run_offline_events
from processors.extract import Extractor
from tests.conftest import REPO

RULES = MergeRules(generic_rules=frozenset({"attack"}), government_camp=frozenset({"Syrian government forces", "Russian forces"}),
                   armed=frozenset({"Syrian government forces", "Hayat Tahrir al-Sham", "Russian forces"}))  # fmt: skip
AIR = ("Explosions/Remote violence", "Air/drone strike", "air-strike")
CLASH = ("Battles", "Armed clash", "clash")
ARIHA = ("Ariha", 35.81, 36.61, 1)
ARIHA_OSM = ("Ariha", 35.812, 36.612, 1)  # another outlet's geocode of the same town
BINNISH = ("Binnish", 35.96, 36.71, 1)


def incident(article: str, place: tuple[str, float, float, int] = ARIHA, when: date = date(2020, 2, 10),
             kind: tuple[str, str, str] = AIR, killed: int | None = 3, actor: str = "Russian forces") -> Incident:  # fmt: skip
    name, lat, lon, precision = place
    return Incident(
        incident_id=f"{article}-{name}-{when}-{kind[2]}", article_id=article, event_type=kind[0],
        sub_event_type=kind[1], rule_id=kind[2], date=when, date_precision="day", killed=killed, confidence=0.7,
        location=Location(name=name, lat=lat, lon=lon, admin1="Idlib", admin2="Ariha", admin3=None,
                          geo_precision=precision),  # type: ignore[arg-type]
        actors=[Actor(name=actor, role="actor1")], evidence=Evidence(sentence=f"{article} says", start=0, end=9),
        source=Source(),
    )  # fmt: skip


def snapshot(article: str, outlet: str, *incidents: Incident, revision: int = 1, hour: int = 8) -> ArticleSnapshot:
    return ArticleSnapshot(article_id=article, revision=revision, url=f"https://{outlet}.example/{article}",
                           source_name=outlet, published_at=datetime(2020, 2, 10, hour, tzinfo=UTC), region="Idlib",
                           incidents=list(incidents))  # fmt: skip


def final(state: Consolidator) -> dict[str, tuple[str, int, tuple[str, ...]]]:
    return {e.event_id: (e.status, e.source_count, tuple(sorted(s.article_id for s in e.sources)))
            for e in state.records()}  # fmt: skip


def test_three_outlets_reporting_one_strike_give_one_event() -> None:
    state = Consolidator(RULES)
    state.apply("a1", snapshot("a1", "sohr", incident("a1", killed=3)))
    state.apply("a2", snapshot("a2", "afp", incident("a2", ARIHA_OSM, killed=5), hour=9))
    late = incident("a3", when=date(2020, 2, 11), killed=4, actor="Syrian government forces")  # a day late
    changes = state.apply("a3", snapshot("a3", "enab", late, hour=10))
    (event,) = [c for c in changes if not isinstance(c, Tombstone)]
    assert (event.source_count, event.article_count, event.status) == (3, 3, "active")
    assert event.killed == 3 and sorted(s.killed for s in event.sources if s.killed) == [3, 4, 5]  # lowest reported
    assert event.date == date(2020, 2, 10) and event.date_end == date(2020, 2, 11)
    assert event.confidence > 0.97 and event.revision == 3 and state.merges == 2


def test_wire_copy_republished_by_another_outlet_is_one_source_with_its_original() -> None:
    state = Consolidator(RULES)
    state.apply("a1", snapshot("a1", "afp", incident("a1")))
    copy = snapshot("a2", "localpaper", incident("a2"), hour=9).model_copy(update={"duplicate_of": "a1"})
    state.apply("a2", copy)
    changes = state.apply("a3", snapshot("a3", "sohr", incident("a3"), hour=10))
    (event,) = [c for c in changes if not isinstance(c, Tombstone)]
    assert (event.article_count, event.source_count) == (3, 2)  # afp + its copy, and sohr
    assert [s.duplicate_of for s in event.sources] == [None, "a1", None]
    alone = Consolidator(RULES)  # a copy whose original reported no incident still counts once
    alone.apply("a2", copy)
    (only,) = alone.records()
    assert only.source_count == 1


def test_an_air_strike_and_a_clash_at_one_village_on_one_day_are_two_events() -> None:
    state = Consolidator(RULES)
    state.apply("a1", snapshot("a1", "sohr", incident("a1")))
    state.apply("a2", snapshot("a2", "afp", incident("a2", kind=CLASH, actor="Hayat Tahrir al-Sham")))
    state.apply("a3", snapshot("a3", "afp", incident("a3", BINNISH)))  # same day, another village
    state.apply("a4", snapshot("a4", "afp", incident("a4", when=date(2020, 2, 13))))  # same village, days later
    assert sorted(v[2] for v in final(state).values()) == [("a1",), ("a2",), ("a3",), ("a4",)]


def test_attackers_of_opposite_sides_are_not_one_event() -> None:
    state = Consolidator(RULES)
    state.apply("a1", snapshot("a1", "sohr", incident("a1", kind=CLASH, actor="Syrian government forces")))
    state.apply("a2", snapshot("a2", "afp", incident("a2", kind=CLASH, actor="Hayat Tahrir al-Sham")))
    assert len(final(state)) == 2


def test_a_revision_that_moves_the_place_retracts_the_old_event_and_creates_the_new() -> None:
    state = Consolidator(RULES)
    (first,) = state.apply("a1", snapshot("a1", "sohr", incident("a1")))
    assert not isinstance(first, Tombstone)
    changes = state.apply("a1", snapshot("a1", "sohr", incident("a1", BINNISH), revision=2))
    by_id = {c.event_id: c for c in changes if not isinstance(c, Tombstone)}
    assert by_id[first.event_id].status == "retracted" and by_id[first.event_id].revision == 2
    (new,) = [e for e in by_id.values() if e.event_id != first.event_id]
    assert new.status == "active" and new.location is not None and new.location.name == "Binnish"
    assert state.apply("a1", snapshot("a1", "sohr", incident("a1"), revision=1)) == []  # a stale revision is ignored


def test_a_source_leaving_recomputes_and_the_id_stays() -> None:
    state = Consolidator(RULES)
    (made,) = state.apply("a1", snapshot("a1", "sohr", incident("a1", killed=3)))
    state.apply("a2", snapshot("a2", "afp", incident("a2", killed=1)))
    changes = state.apply("a2", snapshot("a2", "afp", revision=2))  # the correction reports nothing
    (event,) = changes
    assert not isinstance(event, Tombstone) and not isinstance(made, Tombstone)
    assert event.event_id == made.event_id and event.killed == 3 and event.source_count == 1
    withdrawn = state.apply("a1", None)
    assert [(c.event_id, c.status) for c in withdrawn if not isinstance(c, Tombstone)] == [(made.event_id, "retracted")]


def test_same_articles_in_another_order_give_the_same_events() -> None:
    snaps = [snapshot("a1", "sohr", incident("a1")), snapshot("a2", "afp", incident("a2", ARIHA_OSM), hour=9),
             snapshot("a3", "enab", incident("a3", kind=CLASH, actor="Hayat Tahrir al-Sham"), hour=10),
             snapshot("a4", "afp", incident("a4", BINNISH), hour=11)]  # fmt: skip

    def content(order: list[ArticleSnapshot]) -> list[tuple[object, ...]]:
        state = Consolidator(RULES)
        for s in order:
            state.apply(s.article_id, s)
        return sorted((e.sub_event_type, e.date, e.location.name if e.location else None, e.killed, e.source_count,
                       tuple(sorted(x.article_id for x in e.sources))) for e in state.records())  # fmt: skip

    assert content(snaps) == content(list(reversed(snaps))) == content([snaps[2], snaps[0], snaps[3], snaps[1]])


def test_events_older_than_the_window_leave_memory() -> None:
    state = Consolidator(MergeRules(window_days=3))
    state.apply("a1", snapshot("a1", "sohr", incident("a1")))
    state.apply("a1", snapshot("a1", "sohr", revision=2))  # retracted
    state.apply("a2", snapshot("a2", "afp", incident("a2", when=date(2020, 2, 12))))
    changes = state.apply("a3", snapshot("a3", "afp", incident("a3", when=date(2020, 2, 20))))
    assert any(isinstance(c, Tombstone) for c in changes)  # the retracted event's retention ended
    assert {e.location.name for e in state.records() if e.location} == {"Ariha"} and len(state.events) == 1
    assert set(state.contributions) == {"a3"}


def test_offline_events_from_extract_output(tmp_path) -> None:  # type: ignore[no-untyped-def]
    lines = [json.dumps({"id": "a1", "incidents": [incident("a1").model_dump(mode="json")]}),
             json.dumps({"id": "a2", "incidents": [incident("a2").model_dump(mode="json")]}),
             "{broken", json.dumps({"id": "a1", "incidents": []})]  # fmt: skip
    out = io.StringIO()
    counts = run_offline_events(io.StringIO("\n".join(lines) + "\n"), out, RULES, "Idlib")
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert counts == {"articles": 2, "events": 1, "bad_lines": 1}
    assert [(r["status"], r["article_count"]) for r in rows] == [("active", 1)]


def test_merge_quality_on_the_labelled_pairs(extractor: Extractor) -> None:
    from processors.event_pairs import pair_report, rules_for

    pairs = [json.loads(line) for line in (REPO / "tests" / "data" / "event_pairs.jsonl").read_text().splitlines()]
    assert len(pairs) >= 40 and sum(not p["same"] for p in pairs) >= len(pairs) // 2
    summary = pair_report(extractor, rules_for(extractor), pairs).summary()
    assert summary["precision"] >= 0.95 and summary["recall"] >= 0.80, summary


def test_snapshots_are_routed_by_the_configured_region_key(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from processors.documents import from_json_line
    from processors.extract import Outcome
    from processors.settings import ProcessorSettings
    from processors.worker import with_snapshot, withdrawal

    monkeypatch.setenv("PROCESSOR_REGION_KEY", "Idlib-north")
    key = ProcessorSettings().loop.region_key
    document = from_json_line('{"id": "a1", "text": "x"}')
    (snap,) = [m for m in with_snapshot("snaps", key)(document, Outcome([], True)) if m.topic == "snaps"]
    assert snap.partition_key == b"Idlib-north" and json.loads(snap.value or b"{}")["region"] == "Idlib-north"
    from processors.records import Record

    (gone,) = withdrawal("snaps", key)(Record("articles", 0, 7, b"a1", None))
    assert gone.partition_key == b"Idlib-north" and gone.value is None
