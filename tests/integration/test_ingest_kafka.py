"""The ingest service against the real broker: CLI end to end, and a broker that is down and then comes up."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.contract import Article
from ingest.contract.broker import decode_headers, ensure_topics, make_consumer
from ingest.dedup import SeenStore
from ingest.feedlist import FeedConfig
from ingest.fetch import Fetcher, FetchSettings
from ingest.metrics import IngestMetrics
from ingest.publish import ArticlePublisher
from ingest.service import IngestService, Policy
from tests.conftest import REPO
from tests.integration.conftest import SCRIPT
from tests.support.httpserver import LocalServer, serve
from tests.support.kafka import free_port
from tests.support.pages import article_page, rss, seed_articles


def consume_articles(bootstrap: str, topic: str, count: int, timeout_seconds: float = 60.0) -> list:  # type: ignore[type-arg]
    consumer = make_consumer(bootstrap, f"check-{topic}", [topic])
    records: list = []  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout_seconds
    try:
        while len(records) < count and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                records.extend(batch)
    finally:
        consumer.close()
    return records


@pytest.fixture
def seed_site() -> Iterator[LocalServer]:
    with serve() as server:
        server.add("/robots.txt", "User-agent: *\nAllow: /\n", "text/plain")
        items = []
        for article in seed_articles():
            server.add(f"/news/{article.slug}/", article_page(article))
            items.append((article.title, f"/news/{article.slug}/", article.published, "summary"))
        server.add("/feed.xml", rss(server.base, items), "application/rss+xml")
        yield server


def expected_articles(server: LocalServer) -> dict[str, tuple[str, list[str]]]:
    out = {}
    for article in seed_articles():
        canonical = server.url(f"/news/{article.slug}/")
        out[Article.id_for(canonical)] = (canonical, article.paragraphs)
    return out


def test_cli_once_publishes_the_seed_feed(kafka_bootstrap: str, unique: str, seed_site: LocalServer,
                                           tmp_path: Path) -> None:  # fmt: skip
    topic = f"articles-{unique}"
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(f"feeds:\n  - {{id: seeds, url: '{seed_site.url('/feed.xml')}', source_name: Seeds}}\n")
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "INGEST_TOPIC": topic,
           "INGEST_ALLOW_NETWORKS": "127.0.0.1/32", "INGEST_MIN_HOST_DELAY_SECONDS": "0",
           "INGEST_SEEN_DB_PATH": str(tmp_path / "seen.db"), "INGEST_METRICS_PORT": "0"}  # fmt: skip
    run = subprocess.run([sys.executable, "-m", "ingest", "--once", "--feeds", str(feeds)], env=env, cwd=REPO,
                         capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert run.returncode == 0, run.stderr + run.stdout
    records = consume_articles(kafka_bootstrap, topic, 2)
    expected = expected_articles(seed_site)
    assert len(records) == 2
    for record in records:
        article = Article.model_validate_json(record.value)
        canonical, paragraphs = expected[article.article_id]
        assert record.key == article.article_id.encode()
        assert decode_headers(record.headers)["schema_version"] == "1"
        assert article.canonical_url == canonical and article.revision == 1 and article.feed_id == "seeds"
        assert all(p in article.text for p in paragraphs)
    rerun = subprocess.run([sys.executable, "-m", "ingest", "--once", "--feeds", str(feeds)], env=env, cwd=REPO,
                           capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert rerun.returncode == 0
    assert len(consume_articles(kafka_bootstrap, topic, 3, timeout_seconds=3)) == 2  # nothing published twice


def test_broker_down_then_up_loses_nothing(seed_site: LocalServer, tmp_path: Path, unique: str) -> None:
    port = free_port()
    bootstrap = f"127.0.0.1:{port}"
    topic = f"articles-{unique}"
    feeds = [FeedConfig(id="seeds", url=seed_site.url("/feed.xml"), source_name="Seeds", poll_interval_seconds=5)]  # type: ignore[arg-type]
    metrics = IngestMetrics.create(feed_ids=["seeds"])
    publisher = ArticlePublisher(bootstrap, topic, ack_timeout_seconds=5)
    fetcher = Fetcher(FetchSettings(user_agent="t", min_host_delay_seconds=0, allow_networks=("127.0.0.1/32",)))
    service = IngestService(feeds, fetcher, SeenStore(tmp_path / "seen.db"), publisher.publish, metrics,
                            Policy(backoff_base_seconds=1, backoff_max_seconds=4))  # fmt: skip
    state = tmp_path / "late-broker"

    async def scenario() -> None:
        stop = asyncio.Event()
        runner = asyncio.create_task(service.run(stop))
        deadline = time.monotonic() + 60
        while (metrics.registry.get_sample_value("idlib_ingest_publish_failures_total") or 0) < 1:
            assert time.monotonic() < deadline, "no publish failure recorded while the broker was down"
            await asyncio.sleep(0.2)
        assert (metrics.registry.get_sample_value("idlib_ingest_articles_published_total", {"feed": "seeds"}) or 0) == 0
        started = await asyncio.to_thread(
            subprocess.run, [sys.executable, str(SCRIPT), "start", "--state", str(state), "--port", str(port)],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert started.returncode == 0, started.stderr
        await asyncio.to_thread(ensure_topics, bootstrap, {topic: 3})
        deadline = time.monotonic() + 90
        while (metrics.registry.get_sample_value("idlib_ingest_articles_published_total", {"feed": "seeds"}) or 0) < 2:
            assert time.monotonic() < deadline, "articles not published after the broker came up"
            await asyncio.sleep(0.2)
        stop.set()
        await runner
        await fetcher.aclose()

    try:
        asyncio.run(scenario())
        records = consume_articles(bootstrap, topic, 2)
        assert {Article.model_validate_json(r.value).article_id for r in records} == set(expected_articles(seed_site))
    finally:
        publisher.close()
        subprocess.run([sys.executable, str(SCRIPT), "stop", "--state", str(state)], check=False, timeout=120)
