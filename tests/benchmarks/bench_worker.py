"""Benchmark, one run: articles/s through one worker vs the bare extractor on the same articles (ratio), articles/s
with two workers on two partitions against one worker and against two bare extractor processes (what the machine's
two cores give), p50/p95 latency from publish to incident, and worker peak RSS.

Usage: python tests/benchmarks/bench_worker.py [--articles 200] [--texts FILE.jsonl]
Starts its own local Apache Kafka unless KAFKA_BOOTSTRAP_SERVERS is set; PROCESSOR_SPACY_MODEL as for the services.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from ingest.contract import Article, content_hash  # noqa: E402
from ingest.contract.broker import TopicPartition, encode_headers, ensure_topics, make_consumer, make_producer  # noqa: E402
from processors.documents import from_article  # noqa: E402
from processors.extract import Document, Extractor  # noqa: E402
from processors.nlp import build_pipeline, settle_heap  # noqa: E402
from processors.settings import ProcessorSettings  # noqa: E402
from tests.support.cpu import CpuWindow  # noqa: E402
from tests.support.kafka import broker_for_run, free_port  # noqa: E402

MODEL = os.environ.get("PROCESSOR_SPACY_MODEL", "en_core_web_sm")


def make_articles(n: int, texts_file: str | None) -> list[Article]:
    if texts_file:
        texts = [json.loads(x)["text"] for x in Path(texts_file).read_text(encoding="utf-8").splitlines() if x]
    else:
        texts = [p.read_text(encoding="utf-8") for p in sorted((REPO / "seeds").glob("*.txt"))]
    out = []
    for i in range(n):
        text = texts[i % len(texts)]
        url = f"https://bench.example.org/{uuid.uuid4().hex}/"
        out.append(Article(article_id=Article.id_for(url), url=url, canonical_url=url, feed_id="bench",
                           source_name="Bench", title="t", text=text, published_at=datetime(2020, 9, 16, tzinfo=UTC),
                           fetched_at=datetime.now(UTC), content_hash=content_hash(text)))  # fmt: skip
    return out


def processed(port: int) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        page = response.read().decode()
    return sum(
        float(line.split()[-1]) for line in page.splitlines() if line.startswith("idlib_processor_messages_total{")
    )


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def even_split(articles: list[Article], partitions: int) -> list[int]:
    """Each article's partition: the one with the least text so far, so the partitions get equal work. Keyed by
    article_id, 200 articles split at random (107/93, say), which alone caps two workers' speedup at 200/107 = 1.87
    whatever the workers do; a real stream's many keys average out."""
    load = [0] * partitions
    out = []
    for article in articles:
        part = min(range(partitions), key=lambda p: load[p])
        load[part] += len(article.text)
        out.append(part)
    return out


def run_workers(bootstrap: str, articles: list[Article], count: int, partitions: int, log_dir: Path,
                rate: float | None = None) -> dict[str, float]:  # fmt: skip
    tag = uuid.uuid4().hex[:8]
    src, out = f"bench-in-{tag}", f"bench-out-{tag}"
    ensure_topics(bootstrap, {src: partitions, out: 3, f"bench-dlq-{tag}": 1})
    ports = [free_port() for _ in range(count)]
    procs = []
    for port in ports:
        env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "PROCESSOR_SPACY_MODEL": MODEL,
               "PROCESSOR_INPUT_TOPIC": src, "PROCESSOR_OUTPUT_TOPIC": out, "PROCESSOR_DEAD_LETTER_TOPIC": f"bench-dlq-{tag}",
               "PROCESSOR_GROUP_ID": f"bench-{tag}", "PROCESSOR_METRICS_PORT": str(port), "PROCESSOR_LOG_LEVEL": "WARNING"}  # fmt: skip
        with (log_dir / f"worker-{port}.log").open("ab") as log:
            procs.append(subprocess.Popen([sys.executable, "-m", "processors", "worker"], env=env, cwd=REPO, stdout=log,
                                          stderr=subprocess.STDOUT))  # fmt: skip
    for port in ports:  # ready when the metrics endpoint answers (the model is loaded before it starts)
        while True:
            try:
                processed(port)
                break
            except OSError:
                time.sleep(0.3)
    producer = make_producer(bootstrap, "bench")
    warm = make_articles(4 * count, None)  # joining the group and a fresh process's first batch are not throughput
    for a, part in zip(warm, even_split(warm, partitions), strict=True):
        producer.send(src, key=a.article_id.encode(), value=a.model_dump_json().encode(), partition=part,
                      headers=encode_headers({"schema_version": 1}))  # fmt: skip
    producer.flush()
    while sum(processed(p) for p in ports) < len(warm):
        time.sleep(0.25)
    sent: dict[str, float] = {}
    spread = even_split(articles, partitions)
    cpu = CpuWindow(p.pid for p in procs)
    t0 = time.time()
    for i, a in enumerate(articles):
        producer.send(
            src,
            key=a.article_id.encode(),
            value=a.model_dump_json().encode(),
            partition=spread[i],
            headers=encode_headers({"schema_version": 1}),
        )
        sent[a.article_id] = time.time()
        if rate:
            producer.flush()
            time.sleep(1.0 / rate)
    producer.flush()
    # done when the group has committed every record: asking the broker, not the workers (a scrape of their metrics
    # renders every series inside them, CPU taken from extraction)
    probe = make_consumer(bootstrap, f"bench-{tag}")
    inputs = [TopicPartition(src, p) for p in range(partitions)]
    while sum(probe.committed(tp) or 0 for tp in inputs) < len(warm) + len(articles):
        time.sleep(0.1)
    wall = time.time() - t0
    used = cpu.stop()  # this process's own: sending the articles, asking for the committed offsets
    probe.close()
    rss = [peak_rss_mb(p.pid) for p in procs]
    consumer = make_consumer(bootstrap, None)
    tps = [TopicPartition(out, p) for p in sorted(consumer.partitions_for_topic(out) or [])]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    latencies = []
    deadline = time.time() + 10
    while time.time() < deadline:
        for batch in consumer.poll(timeout_ms=300).values():
            for r in batch:
                article_id = json.loads(r.value)["article_id"]
                if article_id in sent:
                    latencies.append(r.timestamp / 1000 - sent[article_id])
        if latencies and time.time() > deadline - 8:
            break
    consumer.close()
    producer.close()
    for p in procs:
        p.terminate()
    for p in procs:
        p.wait(timeout=60)
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [float("nan")] * 99
    return {"articles_per_second": len(articles) / wall, "cpu_share": used["watched"] / wall / len(procs), "p50": q[49],
            "p95": q[94], "rss_mb": max(rss), "wall": wall, "others_share": (used["others"] + used["own"]) / wall,
            "bench_share": used["own"] / wall, "steal_share": used["steal"] / wall}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--texts", default=None)
    args = parser.parse_args()
    articles = make_articles(args.articles, args.texts)
    batch = ProcessorSettings().extraction.nlp_batch_size  # the worker's own setting: compare like with like
    extractor = Extractor(build_pipeline(MODEL), batch_size=batch)
    docs = [from_article(a) for a in articles]
    extractor.extract_batch(docs[:8])
    settle_heap()  # as the worker does after start-up

    def extract_all(some: list[Document]) -> None:
        for i in range(0, len(some), 32):
            extractor.extract_batch(some[i : i + 32])

    def bare_rate() -> float:
        t0 = time.perf_counter()
        extract_all(docs)
        return len(docs) / (time.perf_counter() - t0)

    def bare_in_processes(count: int) -> float:
        """Articles/s of the bare extractor in `count` forked processes at once, the articles split evenly as the
        workers get them: what this machine gives CPU-bound extraction on that many cores."""
        parts = even_split(articles, count)
        ctx = multiprocessing.get_context("fork")
        go = ctx.Event()

        def run(part: int) -> None:
            mine = [d for d, p in zip(docs, parts, strict=True) if p == part]
            go.wait()
            extract_all(mine)

        procs = [ctx.Process(target=run, args=(part,)) for part in range(count)]
        for proc in procs:
            proc.start()
        time.sleep(1.0)
        t0 = time.perf_counter()
        go.set()
        for proc in procs:
            proc.join()
        return len(docs) / (time.perf_counter() - t0)

    with broker_for_run() as bootstrap:
        # the bare extractor runs beside the same broker as the worker, just before and just after it: this VM's
        # speed drifts by up to 20% over a minute, and the mean of the two brackets the worker's run
        before = bare_rate()
        logs = Path(tempfile.mkdtemp(prefix="bench-logs-"))
        one = run_workers(bootstrap, articles, 1, 2, logs)
        after = bare_rate()
        bare = (before + after) / 2
        print(f"bare extractor: {bare:.1f} articles/s ({before:.1f} before, {after:.1f} after the worker; "
              f"{len(docs)} articles, 32 per call, nlp.pipe batch {batch}, in-process)")  # fmt: skip
        print(f"one worker: {one['articles_per_second']:.1f} articles/s; ratio to bare extractor: "
              f"{one['articles_per_second'] / bare:.2f} (target >= 0.9)")  # fmt: skip
        print(f"  publish -> incident latency p50 {one['p50'] * 1000:.0f} ms, p95 {one['p95'] * 1000:.0f} ms "
              f"(all {len(articles)} articles sent at once)")  # fmt: skip
        print(
            f"  worker peak RSS: {one['rss_mb']:.0f} MB (target < 500 MB); CPU busy {one['cpu_share']:.0%} of the time"
        )
        steady = run_workers(bootstrap, make_articles(30, args.texts), 1, 2, logs, rate=2.0)
        print(f"  at a steady 2 articles/s: publish -> incident p50 {steady['p50'] * 1000:.0f} ms, "
              f"p95 {steady['p95'] * 1000:.0f} ms")  # fmt: skip
        two = run_workers(bootstrap, make_articles(args.articles, args.texts), 2, 2, logs)
        # one worker again right after the two: the speedup compares with the mean of the runs around them
        one_again = run_workers(bootstrap, make_articles(args.articles, args.texts), 1, 2, logs)
        single = (one["articles_per_second"] + one_again["articles_per_second"]) / 2
        speedup = two["articles_per_second"] / single
        # the machine's own: two bare extractors at once against one, bracketed the same way
        bare_one = bare_in_processes(1)
        bare_two = bare_in_processes(2)
        bare_one_again = bare_in_processes(1)
        machine_speedup = bare_two / ((bare_one + bare_one_again) / 2)
        print(f"two workers, two partitions: {two['articles_per_second']:.1f} articles/s ({speedup:.2f}x one worker: "
              f"{one['articles_per_second']:.1f} before, {one_again['articles_per_second']:.1f} after; machine has "
              f"{os.cpu_count()} cores)")  # fmt: skip
        print(f"  the machine: two bare extractor processes at once {machine_speedup:.2f}x one ({bare_two:.1f} vs "
              f"{bare_one:.1f} and {bare_one_again:.1f} articles/s): the ceiling for two workers here; workers reach "
              f"{speedup / machine_speedup:.0%} of it")  # fmt: skip
        print(f"  publish -> incident latency p50 {two['p50'] * 1000:.0f} ms, p95 {two['p95'] * 1000:.0f} ms; "
              f"peak RSS {two['rss_mb']:.0f} MB; CPU busy {two['cpu_share']:.0%} per worker; all other processes "
              f"{two['others_share']:.0%} of a core (this one {two['bench_share']:.0%}), the hypervisor's steal "
              f"{two['steal_share']:.0%}")  # fmt: skip
    print(json.dumps({"articles": len(articles), "bare_articles_per_s": round(bare, 2),
                      "bare_before_per_s": round(before, 2), "bare_after_per_s": round(after, 2),
                      "one_worker_articles_per_s": round(one["articles_per_second"], 2),
                      "worker_ratio": round(one["articles_per_second"] / bare, 3),
                      "two_workers_articles_per_s": round(two["articles_per_second"], 2),
                      "one_worker_again_articles_per_s": round(one_again["articles_per_second"], 2),
                      "two_worker_speedup": round(speedup, 3), "two_bare_processes_speedup": round(machine_speedup, 3),
                      "two_worker_speedup_of_machine": round(speedup / machine_speedup, 3),
                      "p50_ms": round(one["p50"] * 1000), "p95_ms": round(one["p95"] * 1000),
                      "steady_p50_ms": round(steady["p50"] * 1000), "steady_p95_ms": round(steady["p95"] * 1000),
                      "peak_rss_mb": round(max(one["rss_mb"], two["rss_mb"])), "cores": os.cpu_count(),
                      "one_worker_cpu_share": round(one["cpu_share"], 3), "two_workers_cpu_share": round(two["cpu_share"], 3),
                      "two_workers_others_share": round(two["others_share"], 3),
                      "two_workers_bench_share": round(two["bench_share"], 3),
                      "two_workers_steal_share": round(two["steal_share"], 3)}))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
