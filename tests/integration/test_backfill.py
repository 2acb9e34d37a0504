"""Backfill on the real broker: only the articles of the time range are re-extracted, and the run resumes."""

from __future__ import annotations

from datetime import UTC, datetime

from ingest.contract import topics as t
from ingest.contract.broker import encode_headers, ensure_topics, make_producer
from processors.backfill import run_backfill
from processors.extract import Extractor
from processors.settings import LoopSettings
from tests.integration.test_worker import SEED_000, article, expected_keys, read_all, topics_for


def test_backfill_replays_only_the_range(kafka_bootstrap: str, unique: str, extractor: Extractor) -> None:
    names = topics_for(kafka_bootstrap, unique, partitions=2)
    snapshots = f"snapshots-{unique}"
    ensure_topics(kafka_bootstrap, {snapshots: 1}, compacted=[snapshots])
    times = [datetime(2021, 1, 1, tzinfo=UTC), datetime(2021, 6, 1, tzinfo=UTC), datetime(2021, 9, 1, tzinfo=UTC)]
    articles = [article(900 + n, SEED_000) for n in range(3)]
    producer = make_producer(kafka_bootstrap, "test-backfill")
    for a, when in zip(articles, times, strict=True):
        producer.send(names["input"], key=a.article_id.encode(), value=a.model_dump_json().encode(),
                      timestamp_ms=int(when.timestamp() * 1000), headers=encode_headers({t.HEADER_SCHEMA_VERSION: "1"}))  # fmt: skip
    producer.flush(timeout=30)
    producer.close()
    settings = LoopSettings(input_topic=names["input"], output_topic=names["output"], dead_letter_topic=names["dlq"],
                            snapshot_topic=snapshots, max_batch_seconds=0.3)  # fmt: skip
    since, until = datetime(2021, 5, 1, tzinfo=UTC), datetime(2021, 8, 1, tzinfo=UTC)
    group = f"backfill-{unique}"
    assert run_backfill(kafka_bootstrap, extractor, settings, since, until, group, progress=False) == 1
    keys = expected_keys(extractor, [articles[1]])
    out = read_all(kafka_bootstrap, names["output"], lambda rs: {r.key.decode() for r in rs} >= keys, 60)
    assert {r.key.decode() for r in out} == keys  # nothing from the articles outside the range
    snaps = read_all(kafka_bootstrap, snapshots, lambda rs: len(rs) >= 1, 30)
    assert [r.key.decode() for r in snaps] == [articles[1].article_id]
    assert run_backfill(kafka_bootstrap, extractor, settings, since, until, group, progress=False) == 0  # resumed
    assert run_backfill(kafka_bootstrap, extractor, settings, since, None, f"{group}-open", progress=False) == 2
