"""Faults against a real broker of the test's own (so stopping it disturbs no other test): the broker stops for 20 s
while two workers run; ingest loses the broker in the middle of a poll. (A worker SIGKILLed mid-batch:
test_worker.py::test_sigkill_mid_batch_then_restart_loses_nothing.)"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ingest.contract import Article
from ingest.contract.broker import ensure_topics
from ingest.dedup import SeenStore
from ingest.feedlist import FeedConfig
from ingest.fetch import Fetcher, FetchSettings
from ingest.metrics import IngestMetrics
from ingest.publish import ArticlePublisher
from ingest.service import IngestService, Policy
from processors.extract import Extractor
from tests.integration.conftest import SCRIPT
from tests.integration.test_ingest_kafka import consume_articles
from tests.integration.test_worker import (
    SEED_000,
    SEED_002,
    article,
    expected_keys,
    good,
    produce,
    read_all,
    start_worker,
    topics_for,
    worker_env,
    workers,  # noqa: F401 - fixture
)
from tests.support.httpserver import LocalServer, serve
from tests.support.kafka import free_port
from tests.support.pages import article_page, rss, seed_articles

OUTAGE_SECONDS = 20


@dataclass
class Broker:
    bootstrap: str
    port: int
    state: Path

    def start(self) -> None:
        started = subprocess.run([sys.executable, str(SCRIPT), "start", "--state", str(self.state), "--port",
                                  str(self.port)], capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
        assert started.returncode == 0, started.stderr

    def stop(self) -> None:
        subprocess.run([sys.executable, str(SCRIPT), "stop", "--state", str(self.state)], check=True, timeout=120,
                       capture_output=True)  # fmt: skip


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[Broker]:
    port = free_port()
    broker = Broker(f"127.0.0.1:{port}", port, tmp_path / "broker")
    broker.start()
    try:
        yield broker
    finally:
        subprocess.run([sys.executable, str(SCRIPT), "stop", "--state", str(broker.state)], check=False, timeout=120)


def test_broker_stops_for_20s_while_two_workers_run(own_broker: Broker, unique: str, tmp_path: Path,
                                                    extractor: Extractor,
                                                    workers: list[subprocess.Popen[bytes]]) -> None:  # noqa: F811  # fmt: skip
    bootstrap = own_broker.bootstrap
    names = topics_for(bootstrap, unique, partitions=2)
    before = [article(300 + n, SEED_000 if n % 2 else SEED_002) for n in range(48)]
    after = [article(400 + n, SEED_000 if n % 2 else SEED_002) for n in range(16)]
    keys = expected_keys(extractor, before + after)
    env = {**worker_env(bootstrap, names, f"g-{unique}"), "PROCESSOR_PUBLISH_TIMEOUT_SECONDS": "10"}
    for i in range(2):
        workers.append(start_worker(env, tmp_path / f"w{i}.log"))
    produce(bootstrap, names["input"], [good(a) for a in before])
    partial = read_all(bootstrap, names["output"], lambda rs: len(rs) >= 4, 180)
    assert 4 <= len({r.key for r in partial}) < len(expected_keys(extractor, before)), "stopped mid-stream"

    own_broker.stop()
    time.sleep(OUTAGE_SECONDS)
    assert [w.poll() for w in workers] == [None, None], "a worker died while the broker was away"
    own_broker.start()

    produce(bootstrap, names["input"], [good(a) for a in after])
    out = read_all(bootstrap, names["output"], lambda rs: {r.key.decode() for r in rs} >= keys, 300)
    got = {r.key.decode() for r in out}
    assert got == keys, f"missing {len(keys - got)}, unexpected {len(got - keys)}"
    values: dict[str, set[str]] = {}
    for record in out:
        values.setdefault(record.key.decode(), set()).add(json.dumps(json.loads(record.value), sort_keys=True))
    assert all(len(v) == 1 for v in values.values()), "a key with two different values"
    assert [w.poll() for w in workers] == [None, None], "the workers recovered without a restart"
    logs = "".join((tmp_path / f"w{i}.log").read_text() for i in range(2))
    assert "worker started" in logs


@pytest.fixture
def six_page_site() -> Iterator[LocalServer]:
    with serve() as server:
        server.add("/robots.txt", "User-agent: *\nAllow: /\n", "text/plain")
        items = []
        for n in range(6):
            seed = seed_articles()[n % 2]
            server.add(f"/news/{n}-{seed.slug}/", article_page(seed))
            items.append((f"{seed.title} ({n})", f"/news/{n}-{seed.slug}/", seed.published, "summary"))
        server.add("/feed.xml", rss(server.base, items), "application/rss+xml")
        yield server


def test_ingest_loses_the_broker_during_a_poll(own_broker: Broker, six_page_site: LocalServer, tmp_path: Path,
                                               unique: str) -> None:  # fmt: skip
    topic = f"articles-{unique}"
    feeds = [FeedConfig(id="f", url=six_page_site.url("/feed.xml"), source_name="F", poll_interval_seconds=60)]  # type: ignore[arg-type]
    publisher = ArticlePublisher(own_broker.bootstrap, topic, ack_timeout_seconds=5)
    acknowledged: list[str] = []

    async def publish_then_lose_the_broker(item: Article) -> tuple[int, int]:
        where = await publisher.publish(item)
        acknowledged.append(item.article_id)
        if len(acknowledged) == 2:
            await asyncio.to_thread(own_broker.stop)  # the broker goes away in the middle of the poll
        return where

    metrics = IngestMetrics.create(feed_ids=["f"])
    store = SeenStore(tmp_path / "seen.db")
    fetcher = Fetcher(FetchSettings(user_agent="t", min_host_delay_seconds=0, allow_networks=("127.0.0.1/32",)))
    service = IngestService(feeds, fetcher, store, publish_then_lose_the_broker, metrics,
                            Policy(backoff_base_seconds=1, jitter_fraction=0))  # fmt: skip

    canonicals = [six_page_site.url(f"/news/{n}-{seed_articles()[n % 2].slug}/") for n in range(6)]

    def marked_seen() -> set[str]:
        return {s.article_id for c in canonicals if (s := store.get(c)) is not None}

    async def scenario() -> None:
        await service.poll(feeds[0])
        assert len(acknowledged) == 2
        assert (metrics.registry.get_sample_value("idlib_ingest_publish_failures_total") or 0) >= 1
        assert marked_seen() == set(acknowledged), "only what the broker acknowledged is marked seen"
        await asyncio.to_thread(own_broker.start)
        await service.poll(feeds[0])  # the next poll publishes the rest, and nothing twice
        await fetcher.aclose()

    try:
        ensure_topics(own_broker.bootstrap, {topic: 3})
        asyncio.run(scenario())
        records = consume_articles(own_broker.bootstrap, topic, 7, timeout_seconds=15)
        ids = [Article.model_validate_json(r.value).article_id for r in records]
        assert sorted(ids) == sorted({Article.id_for(c) for c in canonicals}), "each article once"
        assert marked_seen() == set(ids)
    finally:
        publisher.close()
        store.close()
