"""Benchmark: pages/s and per-page p50/p95 latency of fetch + clean + publish, over local pages, real broker.

Usage: python tests/benchmarks/bench_ingest.py [--pages 300] [--concurrency 4]
Starts its own local Apache Kafka (deploy/kafka/local_kafka.py) unless KAFKA_BOOTSTRAP_SERVERS is set.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from ingest.contract.broker import ensure_topics  # noqa: E402
from ingest.dedup import SeenStore  # noqa: E402
from ingest.feedlist import FeedConfig  # noqa: E402
from ingest.feeds import parse_feed  # noqa: E402
from ingest.fetch import Fetcher, FetchSettings  # noqa: E402
from ingest.metrics import IngestMetrics  # noqa: E402
from ingest.publish import ArticlePublisher  # noqa: E402
from ingest.service import IngestService  # noqa: E402
from tests.support.httpserver import serve  # noqa: E402
from tests.support.kafka import broker_for_run  # noqa: E402
from tests.support.pages import SeedArticle, article_page, rss, seed_articles  # noqa: E402


async def run(bootstrap: str, pages: int, concurrency: int) -> None:
    topic = f"bench-articles-{uuid.uuid4().hex[:8]}"
    ensure_topics(bootstrap, {topic: 3})
    with serve() as server, tempfile.TemporaryDirectory() as tmp:
        server.add("/robots.txt", "User-agent: *\nAllow: /\n", "text/plain")
        items = []
        seeds = seed_articles()
        for i in range(pages):
            base = seeds[i % len(seeds)]
            variant = SeedArticle(
                base.slug, base.title, [*base.paragraphs, f"Page {i} of the benchmark."], base.published
            )
            server.add(f"/p/{i}/", article_page(variant))
            items.append((base.title, f"/p/{i}/", base.published, "s"))
        server.add("/feed.xml", rss(server.base, items), "application/rss+xml")
        feed = FeedConfig(id="bench", url=server.url("/feed.xml"), source_name="Bench")  # type: ignore[arg-type]
        fetcher = Fetcher(FetchSettings(user_agent="bench", min_host_delay_seconds=0, per_host_concurrency=concurrency,
                                        allow_networks=("127.0.0.1/32",)))  # fmt: skip
        publisher = ArticlePublisher(bootstrap, topic)
        service = IngestService([feed], fetcher, SeenStore(Path(tmp) / "seen.db"), publisher.publish,
                                IngestMetrics.create(feed_ids=["bench"]))  # fmt: skip
        body = (await fetcher.get(str(feed.url), kind="feed")).body
        entries = parse_feed(body, str(feed.url)).entries
        await service._entry(feed, entries[0])  # warm up: robots.txt, producer connection, trafilatura
        latencies: list[float] = []
        gate = asyncio.Semaphore(concurrency)

        async def one(entry):  # type: ignore[no-untyped-def]
            async with gate:
                t0 = time.perf_counter()
                await service._entry(feed, entry)
                latencies.append(time.perf_counter() - t0)

        t0 = time.perf_counter()
        await asyncio.gather(*(one(e) for e in entries[1:]))
        wall = time.perf_counter() - t0
        await fetcher.aclose()
        publisher.close()
    done = len(latencies)
    q = statistics.quantiles(latencies, n=100)
    print(f"pages: {done}, concurrency: {concurrency}, wall: {wall:.2f} s")
    print(f"throughput: {done / wall:.1f} pages/s (fetch + clean + publish with acks=all)")
    print(f"per-page latency: p50 {q[49] * 1000:.1f} ms, p95 {q[94] * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    with broker_for_run() as bootstrap:
        asyncio.run(run(bootstrap, args.pages, args.concurrency))
    return 0


if __name__ == "__main__":
    sys.exit(main())
