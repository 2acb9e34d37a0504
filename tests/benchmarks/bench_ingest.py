"""Benchmark, one run: pages/s and per-page p50/p95 latency of fetch + clean + publish, over local pages, real
broker, against bare trafilatura extraction of the same pages in one thread (ingest_ratio).

Usage: python tests/benchmarks/bench_ingest.py [--pages 300] [--concurrency 4]
Starts its own local Apache Kafka (deploy/kafka/local_kafka.py) unless KAFKA_BOOTSTRAP_SERVERS is set.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import trafilatura  # noqa: E402

from ingest.contract.broker import ensure_topics  # noqa: E402
from ingest.dedup import SeenStore  # noqa: E402
from ingest.feedlist import FeedConfig  # noqa: E402
from ingest.feeds import parse_feed  # noqa: E402
from ingest.fetch import Fetcher, FetchSettings  # noqa: E402
from ingest.metrics import IngestMetrics  # noqa: E402
from ingest.publish import ArticlePublisher  # noqa: E402
from ingest.service import IngestService, cleaning_pool  # noqa: E402
from tests.support.cpu import CpuWindow, children  # noqa: E402
from tests.support.kafka import broker_for_run, free_port  # noqa: E402
from tests.support.pages import SeedArticle, article_page, rss, seed_articles  # noqa: E402


def bare_pages_per_s(pages: list[str]) -> float:
    """trafilatura alone, the same options as ingest/clean.py, one page after another."""
    t0 = time.perf_counter()
    for page in pages:
        trafilatura.extract(page, output_format="json", with_metadata=True, include_comments=False,
                            include_tables=False, include_links=False, include_images=False, deduplicate=False,
                            favor_precision=True)  # fmt: skip
    return len(pages) / (time.perf_counter() - t0)


# http.server's own CLI listens with a backlog of 5: at 8 concurrent fetches a dropped SYN costs a 1 s retransmit,
# which no news site's server would add. The same server with a backlog of 128.
_SERVE = """
import functools, sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
class Server(ThreadingHTTPServer):
    request_queue_size = 128
class Handler(SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args):
        pass
handler = functools.partial(Handler, directory=sys.argv[2])
Server(("127.0.0.1", int(sys.argv[1])), handler).serve_forever()
"""


@contextmanager
def static_site(files: dict[str, str]) -> Iterator[tuple[str, Path]]:
    """The pages served by a web server in another process (http.server, backlog 128), as a news site would be:
    the server's CPU is not the ingest's. Yields the base URL and the folder served."""
    with tempfile.TemporaryDirectory() as root:
        for path, body in files.items():
            target = Path(root) / path.strip("/") / ("index.html" if path.endswith("/") else "")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(body, encoding="utf-8")
        port = free_port()
        server = subprocess.Popen([sys.executable, "-c", _SERVE, str(port), root],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            yield f"http://127.0.0.1:{port}", Path(root)
        finally:
            server.terminate()
            server.wait(timeout=10)


async def run(bootstrap: str, pages: int, concurrency: int, processes: int) -> dict[str, float]:
    topic = f"bench-articles-{uuid.uuid4().hex[:8]}"
    ensure_topics(bootstrap, {topic: 3})
    files = {"/robots.txt": "User-agent: *\nAllow: /\n"}
    items = []
    html: list[str] = []
    seeds = seed_articles()
    for i in range(pages):
        base = seeds[i % len(seeds)]
        variant = SeedArticle(base.slug, base.title, [*base.paragraphs, f"Page {i} of the benchmark."], base.published)
        html.append(article_page(variant))
        files[f"/p/{i}/"] = html[-1]
        items.append((base.title, f"/p/{i}/", base.published, "s"))
    bare_pages_per_s(html[1:11])  # warm-up (imports, caches), untimed
    before = bare_pages_per_s(html[1:])  # bare trafilatura just before and just after the pipeline: this VM's speed
    with static_site(files) as (site, root), tempfile.TemporaryDirectory() as tmp:  # drifts by up to 20% a minute
        (root / "feed.xml").write_text(rss(site, items), encoding="utf-8")
        feed = FeedConfig(id="bench", url=f"{site}/feed.xml", source_name="Bench")  # type: ignore[arg-type]
        fetcher = Fetcher(FetchSettings(user_agent="bench", min_host_delay_seconds=0, per_host_concurrency=concurrency,
                                        allow_networks=("127.0.0.1/32",)))  # fmt: skip
        publisher = ArticlePublisher(bootstrap, topic)
        service = IngestService([feed], fetcher, SeenStore(Path(tmp) / "seen.db"), publisher.publish,
                                IngestMetrics.create(feed_ids=["bench"]), cleaners=cleaning_pool(processes))  # fmt: skip
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

        cpu = CpuWindow(pid for pid, cmd in children(os.getpid()).items() if "spawn_main" in cmd)  # the cleaners
        t0 = time.perf_counter()
        await asyncio.gather(*(one(e) for e in entries[1:]))
        wall = time.perf_counter() - t0
        used = cpu.stop()
        share = {"ingest_process": used["own"] / wall, "cleaning_processes": used["watched"] / wall,
                 "others": used["others"] / wall, "steal": used["steal"] / wall}  # fmt: skip
        await fetcher.aclose()
        publisher.close()
        if service.cleaners is not None:
            service.cleaners.shutdown()
    after = bare_pages_per_s(html[1:])
    bare = (before + after) / 2
    done = len(latencies)
    q = statistics.quantiles(latencies, n=100)
    print(f"pages: {done}, concurrency: {concurrency}, wall: {wall:.2f} s")
    print(f"throughput: {done / wall:.1f} pages/s (fetch + clean + dedup + publish with acks=all)")
    print(f"bare trafilatura on the same pages: {bare:.1f} pages/s ({before:.1f} before, {after:.1f} after the "
          f"pipeline); ingest_ratio {done / wall / bare:.2f}")  # fmt: skip
    print("CPU, in cores: " + ", ".join(f"{k.replace('_', ' ')} {v:.2f}" for k, v in share.items())
          + " (others: the broker, the page server, the system; steal: the hypervisor's)")  # fmt: skip
    print(f"per-page latency: p50 {q[49] * 1000:.1f} ms, p95 {q[94] * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms")
    return {"pages": done, "concurrency": concurrency, "clean_processes": processes, "ingest_pages_per_s": round(done / wall, 1),
            "bare_trafilatura_pages_per_s": round(bare, 1), "bare_before": round(before, 1),
            "bare_after": round(after, 1), "ingest_ratio": round(done / wall / bare, 3),
            "p50_ms": round(q[49] * 1000, 1), "p95_ms": round(q[94] * 1000, 1),
            **{f"cpu_{k}": round(v, 3) for k, v in share.items()}}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--clean-processes", type=int, default=1, help="as INGEST_CLEAN_PROCESSES (0: a thread)")
    args = parser.parse_args()
    with broker_for_run() as bootstrap:
        figures = asyncio.run(run(bootstrap, args.pages, args.concurrency, args.clean_processes))
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
