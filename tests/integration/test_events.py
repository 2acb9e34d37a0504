"""The events stage on the real broker: snapshots -> one record per event on the compacted events topic."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ingest.contract import ArticleSnapshot
from ingest.contract import topics as t
from ingest.contract.broker import (
    TopicPartition,
    decode_headers,
    encode_headers,
    ensure_topics,
    make_consumer,
    make_producer,
    partition_for,
)
from processors.consolidate import Consolidator, Tombstone
from processors.event_stage import EventsTransform, drop_on_revocation, rebuild_on_assignment
from processors.loop import KafkaSink, StreamLoop, rebalance_listener
from processors.metrics import EventsMetrics
from processors.settings import EventsLoopSettings
from tests.conftest import REPO
from tests.integration.test_worker import read_all
from tests.unit.test_consolidate import ARIHA, ARIHA_OSM, BINNISH, CLASH, RULES, incident, snapshot

HAMA = ("Kafr Nabudah", 35.46, 36.51, 1)


def names_for(bootstrap: str, unique: str, partitions: int = 3) -> dict[str, str]:
    names = {"input": f"snapshots-{unique}", "output": f"events-{unique}", "dlq": f"snapdlq-{unique}"}
    ensure_topics(bootstrap, {names["input"]: partitions, names["output"]: 3, names["dlq"]: 1},
                  compacted=[names["input"], names["output"]])  # fmt: skip
    return names


def produce_snapshots(bootstrap: str, topic: str, snaps: list[ArticleSnapshot | tuple[str, str, bytes | None]]) -> None:
    """Snapshots routed by region like the worker's; a (article_id, region, raw value) tuple sends raw bytes."""
    producer = make_producer(bootstrap, client_id="test-snapshots")
    for snap in snaps:
        if isinstance(snap, ArticleSnapshot):
            key, region, value = snap.article_id, snap.region, snap.model_dump_json().encode()
        else:
            key, region, value = snap
        producer.send(topic, key=key.encode(), value=value, partition=partition_for(producer, topic, region.encode()),
                      headers=encode_headers({t.HEADER_SCHEMA_VERSION: "1"}))  # fmt: skip
    producer.flush(timeout=30)
    producer.close()


def final_state(records: list[Any]) -> dict[str, dict[str, Any] | None]:
    """The compacted view: the last value per key (None: deleted)."""
    out: dict[str, dict[str, Any] | None] = {}
    for r in records:
        out[r.key.decode()] = json.loads(r.value) if r.value is not None else None
    return out


def expected(bootstrap: str, topic: str, snaps: list[ArticleSnapshot]) -> dict[str, dict[str, Any] | None]:
    """What one uninterrupted pass of the same snapshots gives: one state per input partition, as the stage keeps."""
    producer = make_producer(bootstrap, client_id="test-expected")
    partition = {r: partition_for(producer, topic, r.encode()) for r in {s.region for s in snaps}}
    producer.close()
    states: dict[int, Consolidator] = {}
    out: dict[str, dict[str, Any] | None] = {}
    for snap in snaps:
        for change in states.setdefault(partition[snap.region], Consolidator(RULES)).apply(snap.article_id, snap):
            out[change.event_id] = None if isinstance(change, Tombstone) else json.loads(change.model_dump_json())
    return out


@pytest.fixture
def stage(kafka_bootstrap: str) -> Iterator[Any]:
    loops: list[tuple[StreamLoop, threading.Thread]] = []

    def start(names: dict[str, str], group: str) -> EventsMetrics:
        metrics = EventsMetrics.create()
        settings = EventsLoopSettings(group_id=group, input_topic=names["input"], output_topic=names["output"],
                                      dead_letter_topic=names["dlq"], max_batch_seconds=0.3)  # fmt: skip
        holder: list[StreamLoop] = []
        consumer = make_consumer(kafka_bootstrap, group, [names["input"]],
                                 listener=rebalance_listener(lambda: holder[0] if holder else None))  # fmt: skip
        transform = EventsTransform(RULES, metrics)
        sink = KafkaSink(make_producer(kafka_bootstrap, "events-test"), names["output"], names["dlq"], 30)
        loop = StreamLoop(consumer, sink, transform, metrics.loop, settings, after_commit=transform.after_commit,
                          on_assigned=rebuild_on_assignment(kafka_bootstrap, consumer, transform),
                          on_revoked=drop_on_revocation(transform))  # fmt: skip
        holder.append(loop)
        thread = threading.Thread(target=loop.run)
        thread.start()
        loops.append((loop, thread))
        return metrics

    yield start
    for loop, thread in loops:
        loop.stop()
        thread.join(timeout=60)


def _active(state: dict[str, dict[str, Any] | None]) -> list[dict[str, Any]]:
    return [e for e in state.values() if e is not None and e["status"] == "active"]


def test_outlets_types_and_revisions_on_the_broker(kafka_bootstrap: str, unique: str, stage: Any) -> None:
    names = names_for(kafka_bootstrap, unique)
    metrics = stage(names, f"ev-{unique}")
    snaps = [
        snapshot("a1", "sohr", incident("a1", killed=3)),
        snapshot("a2", "afp", incident("a2", ARIHA_OSM, killed=5), hour=9),
        snapshot("a3", "enab", incident("a3", when=date(2020, 2, 11), killed=4), hour=10),
        snapshot("c1", "afp", incident("c1", kind=CLASH, actor="Hayat Tahrir al-Sham")),  # a clash at Ariha, same day
        snapshot("m1", "sohr", incident("m1", when=date(2020, 2, 15), killed=2), hour=11),
        snapshot("m1", "sohr", incident("m1", BINNISH, when=date(2020, 2, 15), killed=2), revision=2, hour=12),
    ]  # m1's correction moves its strike from Ariha to Binnish
    produce_snapshots(kafka_bootstrap, names["input"], snaps)
    want = expected(kafka_bootstrap, names["input"], snaps)
    records = read_all(kafka_bootstrap, names["output"], lambda rs: final_state(rs) == want, 90)
    state = final_state(records)
    assert state == want
    strike = next(e for e in _active(state) if e["sub_event_type"] == "Air/drone strike" and e["source_count"] == 3)
    assert strike["killed"] == 3 and {s["article_id"] for s in strike["sources"]} == {"a1", "a2", "a3"}
    kinds = sorted((e["sub_event_type"], e["location"]["name"]) for e in _active(state))
    assert kinds == [("Air/drone strike", "Ariha"), ("Air/drone strike", "Binnish"), ("Armed clash", "Ariha")]
    retracted = [e for e in state.values() if e is not None and e["status"] == "retracted"]
    assert [(e["location"]["name"], e["date"], e["article_count"]) for e in retracted] == [("Ariha", "2020-02-15", 0)]
    deadline = time.monotonic() + 10
    while metrics.registry.get_sample_value("idlib_events_retractions_total") != 1:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert metrics.registry.get_sample_value("idlib_events_merges_total") == 2
    assert metrics.registry.get_sample_value("idlib_events_active") == 3


def test_another_order_gives_the_same_events(kafka_bootstrap: str, unique: str, stage: Any) -> None:
    snaps = [snapshot("a1", "sohr", incident("a1")), snapshot("a2", "afp", incident("a2", ARIHA_OSM), hour=9),
             snapshot("c1", "afp", incident("c1", kind=CLASH, actor="Hayat Tahrir al-Sham"), hour=10),
             snapshot("b1", "afp", incident("b1", BINNISH), hour=11)]  # fmt: skip
    results = []
    for order, tag in ((snaps, "x"), (list(reversed(snaps)), "y")):
        names = names_for(kafka_bootstrap, unique + tag)
        stage(names, f"ev-{unique}{tag}")
        produce_snapshots(kafka_bootstrap, names["input"], order)
        records = read_all(kafka_bootstrap, names["output"], lambda rs: len(_active(final_state(rs))) == 3, 90)
        results.append(sorted((e["sub_event_type"], e["location"]["name"], e["source_count"],
                               tuple(sorted(s["article_id"] for s in e["sources"])))
                              for e in _active(final_state(records))))  # fmt: skip
    assert results[0] == results[1] and len(results[0]) == 3


def test_a_malformed_snapshot_goes_to_the_dead_letter_topic(kafka_bootstrap: str, unique: str, stage: Any) -> None:
    names = names_for(kafka_bootstrap, unique)
    metrics = stage(names, f"ev-{unique}")
    produce_snapshots(kafka_bootstrap, names["input"], [
        ("bad1", "Idlib", b"{not json"), ("bad2", "Idlib", json.dumps({"article_id": "bad2"}).encode()),
        snapshot("a1", "sohr", incident("a1")),
    ])  # fmt: skip
    dead = read_all(kafka_bootstrap, names["dlq"], lambda rs: len(rs) >= 2, 60)
    reasons = {r.key.decode(): decode_headers(r.headers)[t.HEADER_DLQ_REASON] for r in dead}
    assert reasons == {"bad1": "undecodable", "bad2": "invalid_snapshot"}
    events = read_all(kafka_bootstrap, names["output"], lambda rs: len(rs) >= 1, 60)
    assert len(_active(final_state(events))) == 1  # the good snapshot behind them was not stalled
    deadline = time.monotonic() + 10
    while metrics.registry.get_sample_value("idlib_events_dead_letters_total", {"reason": "undecodable"}) != 1:
        assert time.monotonic() < deadline
        time.sleep(0.2)


def _start_stage(bootstrap: str, names: dict[str, str], group: str, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "PROCESSOR_EVENTS_INPUT_TOPIC": names["input"],
           "PROCESSOR_EVENTS_OUTPUT_TOPIC": names["output"], "PROCESSOR_EVENTS_DEAD_LETTER_TOPIC": names["dlq"],
           "PROCESSOR_EVENTS_GROUP_ID": group, "PROCESSOR_EVENTS_METRICS_PORT": "0",
           "PROCESSOR_EVENTS_MAX_BATCH_RECORDS": "5", "PROCESSOR_EVENTS_MAX_BATCH_SECONDS": "0.2"}  # fmt: skip
    with log.open("ab") as handle:
        return subprocess.Popen([sys.executable, "-m", "processors", "events"], env=env, cwd=REPO, stdout=handle,
                                stderr=subprocess.STDOUT)  # fmt: skip


def _many(n: int, regions: tuple[str, ...] = ("Idlib",)) -> list[ArticleSnapshot]:
    """n articles: groups of three outlets per event, on consecutive days, some later corrected."""
    snaps = []
    for k in range(n):
        day = date(2020, 2, 1 + (k // 3) % 25)
        region = regions[k % len(regions)]
        place = ARIHA if region == "Idlib" else HAMA
        inc = incident(f"n{k}", place, when=day, killed=k % 4 + 1).model_copy(
            update={"location": incident(f"n{k}", place).location.model_copy(update={"admin1": region})}  # type: ignore[union-attr]
        )
        snap = snapshot(f"n{k}", ("sohr", "afp", "enab")[k % 3], inc, hour=k % 20)
        snaps.append(snap.model_copy(update={"region": region}))
        if k % 7 == 0:
            snaps.append(snap.model_copy(update={"region": region, "revision": 2, "incidents": []}))
    return snaps


@pytest.fixture
def procs() -> Iterator[list[subprocess.Popen[bytes]]]:
    running: list[subprocess.Popen[bytes]] = []
    yield running
    for proc in running:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)


def test_kill_9_mid_stream_then_restart_gives_the_same_events(kafka_bootstrap: str, unique: str, tmp_path: Path,
                                                              procs: list[subprocess.Popen[bytes]]) -> None:  # fmt: skip
    names = names_for(kafka_bootstrap, unique)
    snaps = _many(60)
    want = expected(kafka_bootstrap, names["input"], snaps)
    first = _start_stage(kafka_bootstrap, names, f"ev-{unique}", tmp_path / "first.log")
    procs.append(first)
    produce_snapshots(kafka_bootstrap, names["input"], snaps)
    read_all(kafka_bootstrap, names["output"], lambda rs: len(rs) >= 15, 120)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    procs.append(_start_stage(kafka_bootstrap, names, f"ev-{unique}", tmp_path / "second.log"))
    records = read_all(kafka_bootstrap, names["output"], lambda rs: final_state(rs) == want, 180)
    assert final_state(records) == want
    assert "event state rebuilt" in (tmp_path / "second.log").read_text()
    by_revision: dict[tuple[str, int], set[bytes]] = {}
    for r in records:  # a replayed record repeats the same value under the same key and revision
        if r.value is not None:
            by_revision.setdefault((r.key.decode(), json.loads(r.value)["revision"]), set()).add(r.value)
    assert all(len(v) == 1 for v in by_revision.values())


def test_two_instances_share_partitions_without_duplicates(kafka_bootstrap: str, unique: str, tmp_path: Path,
                                                           procs: list[subprocess.Popen[bytes]]) -> None:  # fmt: skip
    names = names_for(kafka_bootstrap, unique, partitions=3)
    regions = ("Idlib", "Hama", "Aleppo", "Latakia")
    producer = make_producer(kafka_bootstrap, "probe")
    spread = {partition_for(producer, names["input"], r.encode()) for r in regions}
    producer.close()
    assert len(spread) >= 2  # the regions fall in more than one partition
    for i in range(2):
        procs.append(_start_stage(kafka_bootstrap, names, f"ev-{unique}", tmp_path / f"s{i}.log"))
    deadline = time.monotonic() + 90
    while not all("partitions assigned" in (tmp_path / f"s{i}.log").read_text() for i in range(2)):
        assert time.monotonic() < deadline, "both instances joined"
        time.sleep(0.5)
    time.sleep(3)  # let the group settle on its final assignment
    snaps = _many(40, regions)
    want = expected(kafka_bootstrap, names["input"], snaps)
    produce_snapshots(kafka_bootstrap, names["input"], snaps)
    records = read_all(kafka_bootstrap, names["output"], lambda rs: final_state(rs) == want, 180)
    assert final_state(records) == want
    by_revision: dict[tuple[str, int], set[bytes]] = {}
    for r in records:
        if r.value is not None:
            by_revision.setdefault((r.key.decode(), json.loads(r.value)["revision"]), set()).add(r.value)
    assert all(len(v) == 1 for v in by_revision.values())
    consumer = make_consumer(kafka_bootstrap, f"ev-{unique}")
    owners = [consumer.committed(TopicPartition(names["input"], p)) for p in sorted(spread)]
    consumer.close()
    assert all(o is not None and o > 0 for o in owners)
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
