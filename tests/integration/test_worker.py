"""Processor workers on the real broker: dead letters, both services end to end, two workers, SIGKILL recovery."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ingest.contract import TAXONOMY, Article, content_hash
from ingest.contract import topics as t
from ingest.contract.broker import decode_headers, encode_headers, ensure_topics, make_consumer, make_producer
from processors.documents import from_article
from processors.extract import REASONS, Extractor
from processors.loop import KafkaSink, StreamLoop
from processors.metrics import ProcessorMetrics
from processors.settings import LoopSettings
from processors.worker import ExtractionTransform, count_outcomes
from tests.conftest import REPO, seed_text
from tests.integration.test_ingest_kafka import seed_site  # noqa: F401 - fixture
from tests.support.kafka import free_port

SEED_000 = seed_text("000_289e2b72f1e3f2dd.txt")
SEED_002 = seed_text("002_bb0d3a49c01203d0.txt")
MODEL = os.environ.get("PROCESSOR_SPACY_MODEL", "en_core_web_sm")


def article(n: int, text: str = SEED_000) -> Article:
    url = f"https://news.example.org/story/{n}/"
    return Article(article_id=Article.id_for(url), url=url, canonical_url=url, feed_id="test", source_name="Test",
                   title=text.splitlines()[0], text=text, published_at=datetime(2020, 9, 16, 8, tzinfo=UTC),
                   fetched_at=datetime(2020, 9, 16, 9, tzinfo=UTC), content_hash=content_hash(text))  # fmt: skip


def produce(bootstrap: str, topic: str, messages: list[tuple[bytes | None, bytes, dict[str, str]]]) -> None:
    producer = make_producer(bootstrap, client_id="test-producer")
    for key, value, headers in messages:
        producer.send(topic, key=key, value=value, headers=encode_headers(headers))
    producer.flush(timeout=30)
    producer.close()


def good(a: Article) -> tuple[bytes, bytes, dict[str, str]]:
    return a.article_id.encode(), a.model_dump_json().encode(), {t.HEADER_SCHEMA_VERSION: "1"}


def read_all(bootstrap: str, topic: str, until: Any, timeout_seconds: float = 120.0) -> list[Any]:
    """Records of a topic from the start, polled until until(records) holds or the deadline passes."""
    consumer = make_consumer(bootstrap, None)
    from ingest.contract.broker import TopicPartition

    parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
    consumer.assign(parts)
    consumer.seek_to_beginning(*parts)
    records: list[Any] = []
    deadline = time.monotonic() + timeout_seconds
    try:
        while time.monotonic() < deadline and not until(records):
            for batch in consumer.poll(timeout_ms=300).values():
                records.extend(batch)
    finally:
        consumer.close()
    return records


def expected_keys(extractor: Extractor, articles: list[Article]) -> set[str]:
    return {i.incident_id for a in articles for i in extractor.extract(from_article(a)).incidents}


def extraction_loop(bootstrap: str, consumer: Any, extractor: Extractor, metrics: ProcessorMetrics,
                    names: dict[str, str], **settings: Any) -> StreamLoop:  # fmt: skip
    """The worker's loop in-process: the StreamLoop with the extraction transform and a Kafka sink."""
    loop_settings = LoopSettings(input_topic=names["input"], output_topic=names["output"],
                                 dead_letter_topic=names["dlq"], **settings)  # fmt: skip
    sink = KafkaSink(
        make_producer(bootstrap, "w"), names["output"], names["dlq"], loop_settings.publish_timeout_seconds
    )
    return StreamLoop(consumer, sink, ExtractionTransform(extractor, metrics.loop), metrics.loop, loop_settings,
                      after_commit=count_outcomes(metrics))  # fmt: skip


def topics_for(bootstrap: str, unique: str, partitions: int = 4) -> dict[str, str]:
    names = {"input": f"articles-{unique}", "output": f"incidents-{unique}", "dlq": f"dlq-{unique}"}
    ensure_topics(bootstrap, {names["input"]: partitions, names["output"]: 3, names["dlq"]: 1})
    return names


def worker_env(bootstrap: str, names: dict[str, str], group: str, metrics_port: int = 0) -> dict[str, str]:
    return {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "PROCESSOR_SPACY_MODEL": MODEL,
            "PROCESSOR_INPUT_TOPIC": names["input"], "PROCESSOR_OUTPUT_TOPIC": names["output"],
            "PROCESSOR_DEAD_LETTER_TOPIC": names["dlq"], "PROCESSOR_GROUP_ID": group,
            "PROCESSOR_METRICS_PORT": str(metrics_port), "PROCESSOR_MAX_BATCH_RECORDS": "4"}  # fmt: skip


def start_worker(env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("ab") as handle:  # the child keeps its own descriptor
        return subprocess.Popen([sys.executable, "-m", "processors", "worker"], env=env, cwd=REPO, stdout=handle,
                                stderr=subprocess.STDOUT)  # fmt: skip


@pytest.fixture
def workers() -> Iterator[list[subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)


def test_poison_messages_go_to_the_dead_letter_topic(kafka_bootstrap: str, unique: str, extractor: Extractor) -> None:
    names = topics_for(kafka_bootstrap, unique, partitions=1)
    boom = article(999, SEED_000 + "\nEXPLODE-THE-EXTRACTOR")

    class Fragile(Extractor):
        def extract_batch(self, documents: Any) -> list[Any]:
            if any("EXPLODE-THE-EXTRACTOR" in d.text for d in documents):
                raise RuntimeError("extractor failed on purpose")
            return super().extract_batch(documents)

    wanted = [article(1), article(2)]
    poison = [
        (b"k1", b"\xff\xfe not utf-8", {t.HEADER_SCHEMA_VERSION: "1"}),
        (b"k2", b"{not json", {t.HEADER_SCHEMA_VERSION: "1"}),
        (b"k3", json.dumps({"article_id": "x", "schema_version": 1}).encode(), {t.HEADER_SCHEMA_VERSION: "1"}),
        (b"k4", json.dumps({**json.loads(wanted[0].model_dump_json()), "schema_version": 99}).encode(),
         {t.HEADER_SCHEMA_VERSION: "99"}),
        good(boom),
    ]  # fmt: skip
    produce(kafka_bootstrap, names["input"], [*poison, good(wanted[0]), good(wanted[1])])
    metrics = ProcessorMetrics.create(reasons=REASONS)
    consumer = make_consumer(kafka_bootstrap, f"g-{unique}", [names["input"]], max_poll_records=3)
    worker = extraction_loop(kafka_bootstrap, consumer, Fragile(extractor.nlp), metrics, names, max_batch_records=3)
    runner = threading.Thread(target=worker.run)
    runner.start()
    keys = expected_keys(extractor, wanted)
    try:
        out = read_all(kafka_bootstrap, names["output"], lambda rs: {r.key.decode() for r in rs} >= keys)
        dead = read_all(kafka_bootstrap, names["dlq"], lambda rs: len(rs) >= 5)
    finally:
        worker.stop()
        runner.join(timeout=60)
    assert {r.key.decode() for r in out} == keys
    by_key = {r.key: r for r in dead}
    reasons = {k: decode_headers(r.headers)[t.HEADER_DLQ_REASON] for k, r in by_key.items()}
    assert reasons == {b"k1": "undecodable", b"k2": "undecodable", b"k3": "invalid_article",
                       b"k4": "unknown_schema_version", boom.article_id.encode(): "extractor_error"}  # fmt: skip
    first = decode_headers(by_key[b"k1"].headers)
    assert by_key[b"k1"].value == b"\xff\xfe not utf-8"  # the original bytes
    assert first[t.HEADER_DLQ_TOPIC] == names["input"] and first[t.HEADER_DLQ_PARTITION] == "0"
    assert first[t.HEADER_DLQ_OFFSET] == "0" and first[t.HEADER_SCHEMA_VERSION] == "1"
    assert decode_headers(by_key[boom.article_id.encode()].headers)[t.HEADER_DLQ_ERROR_CLASS] == "RuntimeError"
    assert metrics.registry.get_sample_value("idlib_processor_dead_letters_total", {"reason": "undecodable"}) == 2
    assert metrics.registry.get_sample_value("idlib_processor_messages_total", {"outcome": "incidents"}) == 2
    assert metrics.registry.get_sample_value("idlib_processor_messages_total", {"outcome": "dead_letter"}) == 5
    by_type = [
        metrics.registry.get_sample_value("idlib_processor_incidents_total", {"event_type": e}) for e in TAXONOMY
    ]
    assert sum(v or 0 for v in by_type) == len(keys)  # every published incident counted once, by type
    assert metrics.registry.get_sample_value("idlib_processor_no_incident_total", {"reason": "no_place"}) == 0
    committed = make_consumer(kafka_bootstrap, f"g-{unique}").committed
    from ingest.contract.broker import TopicPartition

    assert committed(TopicPartition(names["input"], 0)) == 7  # the partition did not stall


def test_seeds_through_both_services(kafka_bootstrap: str, unique: str, seed_site, tmp_path: Path,  # noqa: F811
                                     extractor: Extractor, workers: list[subprocess.Popen[bytes]]) -> None:  # fmt: skip
    names = topics_for(kafka_bootstrap, unique)
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(f"feeds:\n  - {{id: seeds, url: '{seed_site.url('/feed.xml')}', source_name: Seeds}}\n")
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "INGEST_TOPIC": names["input"],
           "INGEST_ALLOW_NETWORKS": "127.0.0.1/32", "INGEST_MIN_HOST_DELAY_SECONDS": "0",
           "INGEST_SEEN_DB_PATH": str(tmp_path / "seen.db"), "INGEST_METRICS_PORT": "0"}  # fmt: skip
    workers.append(start_worker(worker_env(kafka_bootstrap, names, f"g-{unique}"), tmp_path / "worker.log"))
    ingest = subprocess.run([sys.executable, "-m", "ingest", "--once", "--feeds", str(feeds)], env=env, cwd=REPO,
                            capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert ingest.returncode == 0, ingest.stderr
    articles = [
        Article.model_validate_json(r.value) for r in read_all(kafka_bootstrap, names["input"], lambda rs: len(rs) >= 2)
    ]
    keys = expected_keys(extractor, articles)
    assert len(keys) == 3
    out = read_all(kafka_bootstrap, names["output"], lambda rs: {r.key.decode() for r in rs} >= keys, 180)
    incidents = {r.key.decode(): json.loads(r.value) for r in out}
    assert set(incidents) == keys
    assert {i["date"] for i in incidents.values()} == {"2020-08-25", "2020-08-17", "2020-07-14"}
    assert all(decode_headers(r.headers)[t.HEADER_SCHEMA_VERSION] == "1" for r in out)


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        return response.read().decode()


def test_two_workers_split_partitions_and_emit_every_key(kafka_bootstrap: str, unique: str, tmp_path: Path,
                                                         extractor: Extractor,
                                                         workers: list[subprocess.Popen[bytes]]) -> None:  # fmt: skip
    names = topics_for(kafka_bootstrap, unique, partitions=4)
    wanted = [article(n, SEED_000 if n % 2 == 0 else SEED_002) for n in range(24)]
    keys = expected_keys(extractor, wanted)
    ports = [free_port(), free_port()]
    for i, port in enumerate(ports):
        workers.append(start_worker(worker_env(kafka_bootstrap, names, f"g-{unique}", port), tmp_path / f"w{i}.log"))
    time.sleep(0)  # both join before data arrives only by chance; the split is checked from what each consumed
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        logs = [(tmp_path / f"w{i}.log").read_text() if (tmp_path / f"w{i}.log").exists() else "" for i in range(2)]
        if all("worker started" in text for text in logs):
            break
        time.sleep(0.5)
    produce(kafka_bootstrap, names["input"], [good(a) for a in wanted])
    out = read_all(kafka_bootstrap, names["output"], lambda rs: {r.key.decode() for r in rs} >= keys, 180)
    assert {r.key.decode() for r in out} >= keys
    time.sleep(1.5)  # let the final lag update land
    pages = [scrape(port) for port in ports]
    consumed = []
    for page in pages:
        total = sum(float(line.split()[-1]) for line in page.splitlines()
                    if line.startswith("idlib_processor_messages_total{"))  # fmt: skip
        consumed.append(total)
    assert all(c > 0 for c in consumed), f"each worker consumed a share: {consumed}"
    assert sum(consumed) >= len(wanted)
    lag_partitions = [{line.split('partition="')[1].split('"')[0] for line in page.splitlines()
                       if line.startswith("idlib_processor_consumer_lag{")} for page in pages]  # fmt: skip
    assert not (lag_partitions[0] & lag_partitions[1]), lag_partitions
    assert lag_partitions[0] | lag_partitions[1] == {"0", "1", "2", "3"}
    for proc in workers:
        proc.send_signal(signal.SIGTERM)
    assert [proc.wait(timeout=60) for proc in workers] == [0, 0]


def test_sigkill_mid_batch_then_restart_loses_nothing(kafka_bootstrap: str, unique: str, tmp_path: Path,
                                                      extractor: Extractor,
                                                      workers: list[subprocess.Popen[bytes]]) -> None:  # fmt: skip
    names = topics_for(kafka_bootstrap, unique, partitions=2)
    wanted = [article(100 + n) for n in range(30)]
    keys = expected_keys(extractor, wanted)
    produce(kafka_bootstrap, names["input"], [good(a) for a in wanted])
    env = worker_env(kafka_bootstrap, names, f"g-{unique}")
    first = start_worker(env, tmp_path / "first.log")
    workers.append(first)
    partial = read_all(kafka_bootstrap, names["output"], lambda rs: len(rs) >= 6, 180)
    assert 6 <= len({r.key for r in partial}) < len(keys), "killed part-way through"
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    workers.append(start_worker(env, tmp_path / "second.log"))
    out = read_all(kafka_bootstrap, names["output"], lambda rs: {r.key.decode() for r in rs} >= keys, 240)
    got = {r.key.decode() for r in out}
    assert got == keys  # nothing missing, and no key that is not expected
    values: dict[str, set[str]] = {}
    for r in out:
        body = json.loads(r.value)
        values.setdefault(r.key.decode(), set()).add(json.dumps({k: v for k, v in body.items()}, sort_keys=True))
    assert all(len(v) == 1 for v in values.values())  # a replay repeats the same incident under the same key


def test_partitions_revoked_mid_batch_are_not_committed(kafka_bootstrap: str, unique: str,
                                                        extractor: Extractor) -> None:  # fmt: skip
    from ingest.contract.broker import TopicPartition

    names = topics_for(kafka_bootstrap, unique, partitions=2)
    produce(kafka_bootstrap, names["input"], [good(article(500 + n, SEED_002)) for n in range(12)])
    consumer = make_consumer(kafka_bootstrap, f"g-{unique}", [names["input"]])
    worker = extraction_loop(kafka_bootstrap, consumer, extractor, ProcessorMetrics.create(), names)
    records: list[Any] = []
    deadline = time.monotonic() + 60
    while len({r.partition for r in records}) < 2 or len(records) < 12:
        assert time.monotonic() < deadline, "records from both partitions"
        for batch in consumer.poll(timeout_ms=500).values():
            records.extend(batch)
    gone, kept = TopicPartition(names["input"], 0), TopicPartition(names["input"], 1)
    worker.on_partitions_revoked([gone])  # as kafka-python would call it inside a poll during the batch
    worker.commit(records)
    assert consumer.committed(gone) is None  # the new owner replays it from the start
    assert consumer.committed(kept) == max(r.offset for r in records if r.partition == 1) + 1
    worker.stop()
    consumer.close()
    worker.sink.close()


def test_worker_reads_the_custom_data_folder(kafka_bootstrap: str, unique: str, tmp_path: Path,
                                             workers: list[subprocess.Popen[bytes]]) -> None:  # fmt: skip
    from tests.support.data_folder import TEXT, VILLAGE, VILLAGE_LAT, custom_data_folder

    names = topics_for(kafka_bootstrap, unique, partitions=1)
    folder = custom_data_folder(tmp_path)
    env = {**worker_env(kafka_bootstrap, names, f"g-{unique}"), "PROCESSOR_GAZETTEER_DIR": str(folder)}
    workers.append(start_worker(env, tmp_path / "worker.log"))
    produce(kafka_bootstrap, names["input"], [good(article(700, TEXT))])
    (record,) = read_all(kafka_bootstrap, names["output"], lambda rs: len(rs) >= 1, 180)
    incident = json.loads(record.value)
    assert incident["location"]["name"] == VILLAGE and incident["location"]["lat"] == VILLAGE_LAT
    assert incident["rule_id"] == "shelling"
    workers[0].send_signal(signal.SIGTERM)
    assert workers[0].wait(timeout=60) == 0


def test_a_partial_batch_is_not_held_back_for_the_gathering_window(kafka_bootstrap: str, unique: str,
                                                                   extractor: Extractor) -> None:  # fmt: skip
    """Two articles and a batch of up to 100 gathered for up to 55 s: the loop takes what is at hand and processes
    it, instead of waiting out the window for records that are not coming."""
    names = topics_for(kafka_bootstrap, unique, partitions=1)
    wanted = [article(1), article(2)]
    produce(kafka_bootstrap, names["input"], [good(a) for a in wanted])
    metrics = ProcessorMetrics.create(reasons=REASONS)
    consumer = make_consumer(kafka_bootstrap, f"g-{unique}", [names["input"]])
    worker = extraction_loop(kafka_bootstrap, consumer, extractor, metrics, names, max_batch_records=100,
                             max_batch_seconds=55)  # fmt: skip
    runner = threading.Thread(target=worker.run)
    runner.start()
    keys = expected_keys(extractor, wanted)
    try:
        out = read_all(kafka_bootstrap, names["output"], lambda rs: {r.key.decode() for r in rs} >= keys, 40)
    finally:
        worker.stop()
        runner.join(timeout=60)
    assert {r.key.decode() for r in out} == keys  # within 40 s, though the window is 55 s
    assert metrics.registry.get_sample_value("idlib_processor_batch_size_count") == 1  # both in one batch
