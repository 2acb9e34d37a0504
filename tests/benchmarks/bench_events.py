"""Benchmark: snapshots/s of the events stage against reading the same snapshots bare, on the real broker, and the
memory the consolidation state takes at 100k snapshots; one run.

Usage: python tests/benchmarks/bench_events.py [--snapshots N] [--memory-snapshots M]
Bare reading: a consumer polls the topic and decodes each snapshot (the work any reader of the topic does). The stage:
the same consumer loop with consolidation, publishing the event records and committing. Last stdout line: JSON.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import threading
import time
import tracemalloc
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from ingest.contract import Actor, ArticleSnapshot, Evidence, Incident, Location, Source  # noqa: E402
from ingest.contract.broker import (  # noqa: E402
    TopicPartition,
    encode_headers,
    ensure_topics,
    make_consumer,
    make_producer,
    partition_for,
)
from processors.consolidate import Consolidator, MergeRules  # noqa: E402
from processors.event_stage import EventsTransform  # noqa: E402
from processors.loop import KafkaSink, StreamLoop, rebalance_listener  # noqa: E402
from processors.metrics import EventsMetrics  # noqa: E402
from processors.settings import EventsLoopSettings  # noqa: E402
from tests.support.kafka import broker_for_run  # noqa: E402

PLACES = [("Ariha", 35.81, 36.61), ("Binnish", 35.96, 36.71), ("Saraqib", 35.86, 36.80), ("Sarmada", 36.18, 36.72),
          ("Taftanaz", 35.99, 36.78), ("Kafr Nabl", 35.61, 36.56), ("Harim", 36.21, 36.52)]  # fmt: skip
KINDS = [("Explosions/Remote violence", "Air/drone strike", "air-strike"), ("Battles", "Armed clash", "clash"),
         ("Explosions/Remote violence", "Shelling/artillery/missile attack", "shelling")]  # fmt: skip
OUTLETS = ["sohr", "afp", "enab", "npa", "airwars"]


def snapshots(n: int) -> list[ArticleSnapshot]:
    """n articles: three outlets per event, 21 events every other day."""
    out = []
    start = date(2020, 1, 1)
    for k in range(n):
        event = k // 3
        name, lat, lon = PLACES[event % len(PLACES)]
        kind = KINDS[(event // len(PLACES)) % len(KINDS)]
        day = start + timedelta(days=2 * (event // 21))  # 21 distinct events every other day (7 places x 3 types)
        article = f"bench-{k}"
        incident = Incident(
            incident_id=uuid.uuid5(uuid.NAMESPACE_URL, article).hex, article_id=article, event_type=kind[0],
            sub_event_type=kind[1], rule_id=kind[2], date=day, date_precision="day", killed=k % 5, confidence=0.7,
            location=Location(name=name, lat=lat, lon=lon, admin1="Idlib", admin2=None, admin3=None, geo_precision=1),
            actors=[Actor(name="Syrian government forces", role="actor1")],
            evidence=Evidence(sentence=f"Report {k} of the {kind[1].lower()} in {name}.", start=0, end=40),
            source=Source(url=f"https://{OUTLETS[k % 5]}.example/{k}"),
        )  # type: ignore[arg-type]  # fmt: skip
        out.append(ArticleSnapshot(article_id=article, url=incident.source.url, source_name=OUTLETS[k % 5],
                                   published_at=datetime(day.year, day.month, day.day, 8, tzinfo=UTC),
                                   region="Idlib", incidents=[incident]))  # fmt: skip
    return out


def bare_read(bootstrap: str, topic: str, n: int) -> float:
    consumer = make_consumer(bootstrap, None)
    tp = TopicPartition(topic, 0)
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    count = 0
    started = time.perf_counter()
    while count < n:
        for batch in consumer.poll(timeout_ms=500, max_records=500).values():
            for record in batch:
                ArticleSnapshot.model_validate_json(record.value)
                count += 1
    elapsed = time.perf_counter() - started
    consumer.close()
    return elapsed


def handled(metrics: EventsMetrics) -> float:
    """Input messages the loop has committed, whatever their outcome."""
    return sum(s.value for m in metrics.loop.messages.collect() for s in m.samples if s.name.endswith("_total"))


def stage_seconds(metrics: EventsMetrics) -> dict[str, float]:
    """Seconds the loop spent in each timed stage of its batches (publish: send and wait for acknowledgements)."""
    return {s.labels["stage"]: s.value for m in metrics.loop.stage_duration.collect() for s in m.samples
            if s.name.endswith("_sum")}  # fmt: skip


def stage_run(bootstrap: str, names: dict[str, str], n: int, rules: MergeRules) -> tuple[float, dict[str, float]]:
    group = f"bench-events-{uuid.uuid4().hex[:8]}"
    settings = EventsLoopSettings(group_id=group, input_topic=names["input"], output_topic=names["output"],
                                  dead_letter_topic=names["dlq"])  # the stage's own batching: like with like  # fmt: skip
    holder: list[StreamLoop] = []
    consumer = make_consumer(bootstrap, group, [names["input"]], max_poll_records=settings.max_batch_records,
                             listener=rebalance_listener(lambda: holder[0] if holder else None))  # fmt: skip
    metrics = EventsMetrics.create()
    transform = EventsTransform(rules, metrics)
    sink = KafkaSink(make_producer(bootstrap, "bench-events", linger_ms=5), names["output"], names["dlq"], 60)
    joined: list[float] = []  # the clock starts once the group has assigned the partition (joining is not work)
    loop = StreamLoop(consumer, sink, transform, metrics.loop, settings, after_commit=transform.after_commit,
                      on_assigned=lambda _: joined.append(time.perf_counter()))  # fmt: skip
    holder.append(loop)
    thread = threading.Thread(target=loop.run)
    thread.start()
    # done when the loop has committed every snapshot: its own counter (counted after each commit), read in
    # process; asking the broker for the group's offsets every few milliseconds took the loop's interpreter lock
    while handled(metrics) < n:
        time.sleep(0.01)
    elapsed = time.perf_counter() - joined[0]
    loop.stop()
    thread.join(timeout=60)
    return elapsed, stage_seconds(metrics)


def state_memory(n: int, rules: MergeRules) -> dict[str, float]:
    snaps = snapshots(n)
    timed = Consolidator(rules)
    started = time.perf_counter()
    for snap in snaps:
        timed.apply(snap.article_id, snap)
    elapsed = time.perf_counter() - started
    tracemalloc.start()  # a second pass under tracemalloc (which slows Python down) for the memory figures
    state = Consolidator(rules)
    for snap in snaps:
        state.apply(snap.article_id, snap)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"snapshots": n, "state_mb": round(current / 2**20, 1), "peak_mb": round(peak / 2**20, 1),
            "open_events": len(state.events), "held_articles": len(state.contributions),
            "pure_snapshots_per_s": round(n / elapsed)}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--snapshots", type=int, default=20_000)
    parser.add_argument("--memory-snapshots", type=int, default=100_000)
    args = parser.parse_args()
    rules = MergeRules(generic_rules=frozenset({"attack"}))
    with broker_for_run() as bootstrap:
        unique = uuid.uuid4().hex[:8]
        names = {"input": f"bench-snap-{unique}", "output": f"bench-events-{unique}", "dlq": f"bench-dlq-{unique}"}
        ensure_topics(bootstrap, {names["input"]: 1, names["output"]: 1, names["dlq"]: 1},
                      compacted=[names["input"], names["output"]])  # fmt: skip
        producer = make_producer(bootstrap, "bench-producer", linger_ms=5)
        part = partition_for(producer, names["input"], b"Idlib")
        for snap in snapshots(args.snapshots):
            producer.send(names["input"], key=snap.article_id.encode(), value=snap.model_dump_json().encode(),
                          partition=part, headers=encode_headers({"schema_version": "1"}))  # fmt: skip
        producer.flush(timeout=120)
        producer.close()
        bare_s = bare_read(bootstrap, names["input"], args.snapshots)
        stage_s, timed = stage_run(bootstrap, names, args.snapshots, rules)
    memory = state_memory(args.memory_snapshots, rules)
    bare_rate, stage_rate = args.snapshots / bare_s, args.snapshots / stage_s
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"snapshots: {args.snapshots}; bare read + decode {bare_rate:,.0f}/s ({bare_s:.2f} s); events stage "
        f"{stage_rate:,.0f}/s ({stage_s:.2f} s, publish and commit included)"
    )
    print(f"events_ratio (stage / bare): {stage_rate / bare_rate:.2f} (target >= 0.9)")
    shares = {k: v / stage_s for k, v in timed.items() if k in {"publish", "commit"}}
    print("of the stage's run: " + ", ".join(f"{k} {v:.0%}" for k, v in shares.items())
          + f", the rest (poll, decode, consolidate, records) {1 - sum(shares.values()):.0%}")  # fmt: skip
    print(
        f"state at {memory['snapshots']:,} snapshots: {memory['state_mb']} MB held ({memory['peak_mb']} MB peak), "
        f"{memory['open_events']} open events, {memory['held_articles']} articles held; consolidation alone "
        f"{memory['pure_snapshots_per_s']:,}/s; process peak RSS {rss_mb:.0f} MB"
    )
    print(json.dumps({"snapshots": args.snapshots, "bare_per_s": round(bare_rate), "stage_per_s": round(stage_rate),
                      "events_ratio": round(stage_rate / bare_rate, 3),
                      **{f"stage_{k}_share": round(v, 3) for k, v in shares.items()}, **{f"memory_{k}": v for k, v in memory.items()},
                      "peak_rss_mb": round(rss_mb)}))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
